"""`RelikReaderModel`: one encoder pass over window + candidates, then the heads of ReLiK §3.2.

- start head: 2-way softmax per window token, p_start(s).
- end head: 2-way softmax over [X_s; X_t] per (start s, token t >= s); overlapping spans allowed.
- EL head: GELU projection (shared) of mentions [X_s; X_e] and of special tokens [X_ST; X_ST],
  dot product, softmax over <ST0> (NME) … <STK>.
- RE head: GELU subject / object / relation projections, Hadamard product per (subject, object,
  relation), 2-way classifier, computed in chunks of `config.relation_chunk_size` rows (and
  recomputed in backward) so memory does not grow with spans² x relations.
- cIE: the RE mention vector is [X_s; X_e; softmax(EL logits) @ X_ST(0:K)].

Training passes gold `spans` (teacher forcing for the end, EL and RE heads); inference leaves them
out and the heads run on the predicted spans. At inference a BERT-type encoder's last layer runs only
on the rows the heads read (`needed_rows`; exact there; `read_needed_rows_only = False` turns it off).
With `config.candidate_attention = "own-text"` candidate texts attend to themselves only and
inference encodes each distinct text of a batch once (`own_text`; exact too, same switch).
Loss = start + end (+ EL) (+ RE); the start and end cross-entropies weight the positive class by
`config.span_positive_weight`.

Candidates in several passes (EL inference, `inputs.build_reader_passes`): `window_of` (B,) names
the window of each row, the rows of a window consecutive. Spans (start, end and their scores) come
from the window's first pass only, not an average over passes: the window tokens attend to the
candidates, so their states differ from pass to pass, and the first pass holds the best-ranked
candidates, the input a trimmed reader sees, so mention detection is the trimmed reader's. Each
(span, candidate) logit comes from
the pass holding the candidate (its mention vector [X_s; X_e] and <ST_i> taken in that pass), NME
(<ST0>) from the first pass; the softmax then runs over all K + 1 slots, as over one long input.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint
from transformers import AutoConfig, AutoModel, PreTrainedModel
from transformers.activations import get_activation
from transformers.utils import ModelOutput

from relik_ml.reader.configuration import RelikReaderConfig
from relik_ml.reader.needed_rows import (
    encode_needed_rows,
    needed_rows,
    supports_needed_rows,
)
from relik_ml.reader.own_text import encode_own_text, encode_own_text_deduplicated
from relik_ml.reader.span_picking import pick_spans, pick_starts


@dataclass
class RelikReaderOutput(ModelOutput):
    """Reader outputs; spans are gold in training and predicted at inference."""

    loss: torch.FloatTensor | None = None
    start_loss: torch.FloatTensor | None = None
    end_loss: torch.FloatTensor | None = None
    entity_loss: torch.FloatTensor | None = None
    relation_loss: torch.FloatTensor | None = None
    start_logits: torch.FloatTensor | None = None  # (B, L, 2)
    spans: torch.LongTensor | None = None  # (S, 3) [batch row, start position, end position], sorted
    span_scores: torch.FloatTensor | None = None  # (S,) p_start * p_end
    entity_logits: torch.FloatTensor | None = None  # (S, E) over <ST0> … <STK>, padding = -inf-ish
    triplets: torch.LongTensor | None = None  # (T, 3) [subject span row, object span row, relation slot]
    triplet_scores: torch.FloatTensor | None = None  # (T,) p_rel of the kept triplets


@dataclass
class RelationScores:
    """Summed RE loss over `rows` triplet rows, and the triplets above the threshold."""

    loss_sum: torch.Tensor
    rows: int
    triplets: torch.Tensor  # (T, 3) local [subject, object, relation]
    scores: torch.Tensor  # (T,)


def _projection(in_size: int, out_size: int, activation: str) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_size, out_size), get_activation(activation))


def _classifier(in_size: int, hidden_size: int, activation: str) -> nn.Module:
    """2-way classifier: one linear layer (paper) or, with `hidden_size` > 0, a GELU MLP."""
    if hidden_size <= 0:
        return nn.Linear(in_size, 2)
    return nn.Sequential(_projection(in_size, hidden_size, activation), nn.Linear(hidden_size, 2))


def _split_first_linear(head: nn.Module) -> tuple[nn.Linear, Callable[[torch.Tensor], torch.Tensor]]:
    """A `_classifier`'s first linear layer and the rest of it (identity for a single layer)."""
    if isinstance(head, nn.Linear):
        return head, lambda x: x
    (first, activation), last = head
    return first, lambda x: last(activation(x))


def _masked_ce(
    logits: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor, weight: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean cross-entropy over the masked entries, weighted per class when `weight` is given (0 when none)."""
    labels = labels[mask]
    total = F.cross_entropy(logits[mask], labels, weight=weight, reduction="sum")
    count = labels.new_tensor(labels.numel(), dtype=total.dtype) if weight is None else weight[labels].sum()
    return total / count.clamp(min=1e-12) if labels.numel() else total


def _gather(hidden: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """(B, L, H) hidden, (B, N) positions → (B, N, H)."""
    return hidden[torch.arange(hidden.shape[0], device=hidden.device)[:, None], positions]


def _first_passes(window_of: torch.Tensor) -> torch.Tensor:
    """(B,) bool: rows that start a window (the rows of a window are consecutive)."""
    first = torch.ones_like(window_of, dtype=torch.bool)
    first[1:] = window_of[1:] != window_of[:-1]
    return first


class RelationHead(nn.Module):
    """Hadamard triplet representations S_m ⊙ O_m' ⊙ R_k → 2-way classifier, in row chunks."""

    def __init__(self, mention_size: int, hidden_size: int, size: int, activation: str) -> None:
        super().__init__()
        self.subject = _projection(mention_size, size, activation)
        self.object = _projection(mention_size, size, activation)
        self.relation = _projection(hidden_size, size, activation)
        self.classifier = nn.Linear(size, 2)

    def forward(
        self,
        mentions: torch.Tensor,
        relations: torch.Tensor,
        gold: torch.Tensor | None,
        chunk_size: int,
        threshold: float,
        positive_weight: float = 1.0,
    ) -> RelationScores:
        """Score all n x n x r rows of (n, D) mentions and (r, H) relation tokens.

        With `gold`, `loss_sum` adds each row's cross-entropy, positive rows weighted by `positive_weight`.
        """
        subjects, objects, rels = self.subject(mentions), self.object(mentions), self.relation(relations)
        n, r = mentions.shape[0], relations.shape[0]
        gold_rows = None if gold is None else gold[:, 0] * n * r + gold[:, 1] * r + gold[:, 2]
        loss_sum, hits, scores = subjects.new_zeros(()), [], []
        class_weight = subjects.new_tensor([1.0, positive_weight])
        for begin in range(0, n * n * r, chunk_size):
            rows = torch.arange(begin, min(begin + chunk_size, n * n * r), device=mentions.device)
            logits = self._logits(subjects, objects, rels, rows)  # (c, 2)
            if gold_rows is not None:
                labels = torch.isin(rows, gold_rows).long()
                loss_sum = loss_sum + F.cross_entropy(logits, labels, weight=class_weight, reduction="sum")
            probs = logits.detach().softmax(-1)[:, 1]
            kept = probs > threshold
            hits.append(rows[kept])
            scores.append(probs[kept])
        flat = torch.cat(hits) if hits else mentions.new_zeros(0, dtype=torch.long)
        triplets = torch.stack([flat // (n * r), (flat // r) % n, flat % r], dim=-1)  # (T, 3)
        return RelationScores(loss_sum, n * n * r, triplets, torch.cat(scores) if scores else subjects.new_zeros(0))

    def _logits(self, subjects, objects, rels, rows) -> torch.Tensor:
        """Logits of the given flat rows; recomputed in backward so only (c, 2) is kept."""
        if torch.is_grad_enabled() and subjects.requires_grad:
            return checkpoint(self._chunk, subjects, objects, rels, rows, use_reentrant=False)
        return self._chunk(subjects, objects, rels, rows)

    def _chunk(self, subjects, objects, rels, rows) -> torch.Tensor:
        n, r = objects.shape[0], rels.shape[0]
        triplet = subjects[rows // (n * r)] * objects[(rows // r) % n] * rels[rows % r]  # (c, P)
        return self.classifier(triplet)


class RelikReaderModel(PreTrainedModel):
    """ReLiK reader: encoder (AutoModel from `config.encoder`) + span, EL and RE heads."""

    config_class = RelikReaderConfig
    base_model_prefix = "encoder"
    read_needed_rows_only = True  # inference: the last encoder layer only on window and special-token rows

    def __init__(self, config: RelikReaderConfig) -> None:
        super().__init__(config)
        encoder_config = dict(config.encoder or {})
        model_type = encoder_config.pop("model_type", "bert")
        self.encoder = AutoModel.from_config(AutoConfig.for_model(model_type, **encoder_config))
        positions = getattr(self.encoder.config, "max_position_embeddings", None)
        if positions is not None and config.max_input_tokens > positions:
            raise ValueError(f"max_input_tokens={config.max_input_tokens} exceeds the encoder's {positions} positions")
        self.check_candidate_attention()
        hidden = self.encoder.config.hidden_size
        self.dropout = nn.Dropout(config.dropout)
        self.start_head = _classifier(hidden, config.span_head_hidden_size, config.activation)
        self.end_head = _classifier(2 * hidden, config.span_head_hidden_size, config.activation)
        if config.has_entities:
            self.entity_projection = _projection(2 * hidden, config.entity_projection_size or hidden, config.activation)
        if config.has_relations:
            mention_size = (3 if config.task == "cie" else 2) * hidden
            size = config.relation_projection_size or hidden
            self.relation_head = RelationHead(mention_size, hidden, size, config.activation)
        self.post_init()

    def check_candidate_attention(self) -> None:
        """Raise `ValueError` when the config asks for an attention the encoder cannot be driven through."""
        if self.config.candidate_attention == "own-text" and not supports_needed_rows(self.encoder):
            raise ValueError("candidate_attention 'own-text' needs a BERT-type encoder with SDPA attention "
                             f"(got model_type {self.encoder.config.model_type!r})")

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)

    @classmethod
    def from_backbone(cls, path: str, config: RelikReaderConfig, *, vocab_size: int | None = None) -> RelikReaderModel:
        """Heads initialised at random on a pretrained local encoder; `vocab_size` = len(tokenizer)."""
        encoder = AutoModel.from_pretrained(path)
        if vocab_size is not None:
            encoder.resize_token_embeddings(vocab_size)
        config.encoder = encoder.config.to_dict()
        model = cls(config)
        model.encoder.load_state_dict(encoder.state_dict())
        return model

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        window_mask: torch.Tensor,
        entity_positions: torch.Tensor | None = None,
        entity_mask: torch.Tensor | None = None,
        relation_positions: torch.Tensor | None = None,
        relation_mask: torch.Tensor | None = None,
        spans: torch.Tensor | None = None,
        span_entities: torch.Tensor | None = None,
        triplets: torch.Tensor | None = None,
        special_of: torch.Tensor | None = None,
        relation_threshold: float | None = None,
        window_of: torch.Tensor | None = None,
    ) -> RelikReaderOutput:
        """Gold `spans` (S, 3) switch on training mode; `span_entities` (S,), `triplets` (T, 3) add EL/RE losses.

        `relation_threshold` overrides `config.relation_threshold` for the triplets kept in the output
        (validation keeps every triplet above a floor to score a whole threshold grid).
        `window_of` (B,) reads rows as passes of windows (module docstring, EL only): the output's
        span rows are then window numbers and `entity_logits` cover every pass's candidates.
        """
        if window_of is not None and self.config.task != "el":
            raise ValueError("candidates in several passes (window_of) are for EL readers only")
        specials = (entity_positions, relation_positions)
        predicting = spans is None
        if window_of is None:
            hidden = self._encode(input_ids, attention_mask, window_mask, specials, special_of, predicting=predicting)
        else:
            hidden = self._encode_passes_apart(window_of, input_ids, attention_mask, window_mask, specials, special_of,
                                               predicting=predicting)
        hidden = self.dropout(hidden)
        start_logits = self.start_head(hidden)  # (B, L, 2)
        if spans is None:
            span_rows = window_mask if window_of is None else window_mask & _first_passes(window_of)[:, None]
            spans, span_scores = self._predict_spans(hidden, start_logits, span_rows)
            losses = {}
        else:
            span_scores, losses = self._span_losses(hidden, start_logits, window_mask, spans)
        mentions = torch.cat([hidden[spans[:, 0], spans[:, 1]], hidden[spans[:, 0], spans[:, 2]]], dim=-1)  # (S, 2H)
        entity_logits = triplet_out = None
        if self.config.has_entities:
            if window_of is None:
                entity_logits, entity_hidden = self._link(hidden, mentions, spans, entity_positions, entity_mask)
            else:  # EL only: entity_hidden is not read
                entity_logits = self._link_passes(hidden, spans, entity_positions, entity_mask, window_of)
                spans = torch.cat([window_of[spans[:, 0], None], spans[:, 1:]], dim=-1)
            if span_entities is not None:
                losses["entity_loss"] = _masked_ce(entity_logits, span_entities, span_entities >= 0)
            if self.config.task == "cie":
                weighted = torch.einsum("se,seh->sh", entity_logits.softmax(-1), entity_hidden[spans[:, 0]])  # (S, H)
                mentions = torch.cat([mentions, weighted], dim=-1)  # (S, 3H)
        if self.config.has_relations:
            threshold = self.config.relation_threshold if relation_threshold is None else relation_threshold
            triplet_out = self._extract(hidden, mentions, spans, relation_positions, relation_mask, triplets, threshold)
            if triplets is not None:
                losses["relation_loss"] = triplet_out.loss_sum / max(triplet_out.rows, 1)
        return RelikReaderOutput(
            loss=sum(losses.values()) if losses else None,
            **losses,
            start_logits=start_logits,
            spans=spans,
            span_scores=span_scores,
            entity_logits=entity_logits,
            triplets=None if triplet_out is None else triplet_out.triplets,
            triplet_scores=None if triplet_out is None else triplet_out.scores,
        )

    def _encode(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, window_mask: torch.Tensor,
        special_positions: tuple[torch.Tensor | None, ...], special_of: torch.Tensor | None, *, predicting: bool,
    ) -> torch.Tensor:
        """Final hidden states (B, L, H), meaningful at the rows the heads read (`needed_rows`)."""
        if self.config.candidate_attention == "own-text":
            if special_of is None:
                raise ValueError("candidate_attention 'own-text' needs `special_of` (from `collate`)")
            if not self.training and self.read_needed_rows_only:  # exact at every row the heads read
                return encode_own_text_deduplicated(self.encoder, input_ids, attention_mask, special_of)
            return encode_own_text(self.encoder, input_ids, attention_mask, special_of)
        if predicting and not self.training and self.read_needed_rows_only and supports_needed_rows(self.encoder):
            rows = needed_rows(window_mask, *special_positions)
            return encode_needed_rows(self.encoder, input_ids, attention_mask, rows)
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    def _encode_passes_apart(
        self, window_of: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor, window_mask: torch.Tensor,
        special_positions: tuple[torch.Tensor | None, ...], special_of: torch.Tensor | None, *, predicting: bool,
    ) -> torch.Tensor:
        """`_encode` of first passes and of later passes as two batches, each cut to its own longest row.

        A later pass holds the candidates left over by the first (often a few), so padding it to the
        first passes' length would double the encoding cost; padding never changes real rows.
        """
        hidden = None
        first = _first_passes(window_of)
        for rows in (first, ~first):
            if not rows.any():
                continue
            width = int(attention_mask[rows].sum(1).max())
            part = self._encode(
                input_ids[rows, :width], attention_mask[rows, :width], window_mask[rows, :width],
                tuple(None if p is None else p[rows] for p in special_positions),
                None if special_of is None else special_of[rows, :width], predicting=predicting)
            if hidden is None:
                hidden = part.new_zeros(*input_ids.shape, part.shape[-1])
            hidden[rows, :width] = part
        return hidden

    def _end_logits(self, hidden: torch.Tensor, starts: torch.Tensor, window_mask: torch.Tensor):
        """End logits (n, W, 2) for (n, 2) [batch, start] and the valid-end mask (n, W).

        The end head reads [X_s; X_t]; its first linear layer is applied as W_s X_s + W_t X_t + b,
        once per start and once per token, instead of to each of the n x W concatenated pairs.
        """
        width = int(window_mask.sum(1).max()) + 1 if window_mask.numel() else 1
        first, rest = _split_first_linear(self.end_head)
        size = hidden.shape[-1]
        start_part = F.linear(hidden[starts[:, 0], starts[:, 1]], first.weight[:, :size])  # (n, h)
        token_part = F.linear(hidden[:, :width], first.weight[:, size:], first.bias)  # (B, W, h)
        logits = rest(start_part[:, None] + token_part[starts[:, 0]])  # (n, W, 2)
        positions = torch.arange(width, device=hidden.device)
        valid = window_mask[starts[:, 0], :width] & (positions[None] >= starts[:, 1:2])  # (n, W)
        return logits, valid

    def _predict_spans(self, hidden, start_logits, window_mask) -> tuple[torch.Tensor, torch.Tensor]:
        """Threshold starts, then ends given each start; at most `max_predicted_spans` per row."""
        start_probs = start_logits.softmax(-1)[..., 1]  # (B, L)
        starts = pick_starts(start_probs, window_mask, self.config.start_threshold)
        end_logits, valid = self._end_logits(hidden, starts, window_mask)
        end_probs = end_logits.softmax(-1)[..., 1] * valid  # (n, W)
        p_start = start_probs[starts[:, 0], starts[:, 1]]
        return pick_spans(starts, p_start, end_probs, self.config.end_threshold, self.config.max_predicted_spans)

    def _span_losses(self, hidden, start_logits, window_mask, spans) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Start loss over window tokens, end loss over t >= s for every gold start; gold span scores."""
        start_labels = torch.zeros_like(window_mask, dtype=torch.long)
        start_labels[spans[:, 0], spans[:, 1]] = 1
        starts, which = torch.unique(spans[:, :2], dim=0, return_inverse=True)
        end_logits, valid = self._end_logits(hidden, starts, window_mask)
        end_labels = torch.zeros_like(valid, dtype=torch.long)
        end_labels[which, spans[:, 2]] = 1
        weight = start_logits.new_tensor([1.0, self.config.span_positive_weight])
        losses = {
            "start_loss": _masked_ce(start_logits, start_labels, window_mask, weight),
            "end_loss": _masked_ce(end_logits, end_labels, valid, weight),
        }
        p_start = start_logits.detach().softmax(-1)[spans[:, 0], spans[:, 1], 1]
        p_end = end_logits.detach().softmax(-1)[which, spans[:, 2], 1]
        return p_start * p_end, losses

    def _link(self, hidden, mentions, spans, entity_positions, entity_mask) -> tuple[torch.Tensor, torch.Tensor]:
        """EL logits (S, E) and the raw entity special-token vectors (B, E, H)."""
        entity_hidden = _gather(hidden, entity_positions)  # (B, E, H)
        entities = self.entity_projection(torch.cat([entity_hidden, entity_hidden], dim=-1))  # (B, E, P)
        projected = self.entity_projection(mentions)  # (S, P)
        batch, slots = entities.shape[:2]
        # One product against every row's entities, then each span keeps its own row: (S, B*E) floats
        # instead of the (S, E, P) copy that gathering the entities per span would make.
        every_row = (projected @ entities.reshape(batch * slots, -1).T).view(-1, batch, slots)  # (S, B, E)
        logits = every_row[torch.arange(len(spans), device=spans.device), spans[:, 0]]  # (S, E)
        logits = logits.masked_fill(~entity_mask[spans[:, 0]], torch.finfo(logits.dtype).min)
        return logits, entity_hidden

    def _link_passes(self, hidden, spans, entity_positions, entity_mask, window_of) -> torch.Tensor:
        """EL logits (S, 1 + K) of first-pass spans over the candidates of every pass of their window.

        Slot 0 (NME) from the first pass, then each pass's candidates in order; one `_link` call over
        every (span, pass of its window) pair.
        """
        pair_span, pair_row = torch.nonzero(window_of[spans[:, 0], None] == window_of[None, :], as_tuple=True)
        starts, ends = spans[pair_span, 1], spans[pair_span, 2]
        mentions = torch.cat([hidden[pair_row, starts], hidden[pair_row, ends]], dim=-1)  # (P, 2H)
        pair_spans = torch.stack([pair_row, starts, ends], dim=-1)
        logits, _ = self._link(hidden, mentions, pair_spans, entity_positions, entity_mask)  # (P, E)
        first = _first_passes(window_of)
        counts = entity_mask.sum(1) - 1  # candidates per row
        before = torch.cumsum(counts, 0) - counts  # candidates in all earlier rows
        rows = torch.arange(len(window_of), device=window_of.device)
        first_row = torch.cummax(torch.where(first, rows, 0), dim=0).values
        offset = before - before[first_row]  # candidates in earlier passes of the same window
        totals = torch.zeros_like(counts).index_add_(0, window_of, counts)
        merged = logits.new_full((len(spans), 1 + int(totals.max())), torch.finfo(logits.dtype).min)
        slots = torch.arange(logits.shape[1], device=logits.device)
        columns = offset[pair_row, None] + slots[None]  # (P, E): slot j of a pass → merged column
        keep = entity_mask[pair_row] & ((slots[None] > 0) | first[pair_row, None])
        which = pair_span[:, None].expand_as(columns)
        merged[which[keep], columns[keep]] = logits[keep]
        return merged

    def _extract(
        self, hidden, mentions, spans, relation_positions, relation_mask, triplets, threshold: float,
    ) -> RelationScores:
        """RE over each row's spans x spans x relation candidates (kept: p_rel > threshold); span rows are global."""
        relation_hidden = _gather(hidden, relation_positions)  # (B, R, H)
        loss_sum, rows, found, scores = hidden.new_zeros(()), 0, [], []
        for b in range(hidden.shape[0]):
            members = torch.nonzero(spans[:, 0] == b).squeeze(-1)
            if members.numel() == 0:
                continue
            offset = int(members[0])
            gold = None
            if triplets is not None:
                gold = triplets[(triplets[:, 0] >= offset) & (triplets[:, 0] < offset + members.numel())]
                gold = gold - torch.tensor([offset, offset, 0], device=gold.device)
            out = self.relation_head(
                mentions[members], relation_hidden[b][relation_mask[b]], gold,
                self.config.relation_chunk_size, threshold, self.config.relation_positive_weight,
            )
            loss_sum, rows = loss_sum + out.loss_sum, rows + out.rows
            found.append(out.triplets + torch.tensor([offset, offset, 0], device=hidden.device))
            scores.append(out.scores)
        triplets_out = torch.cat(found) if found else spans.new_zeros(0, 3)
        return RelationScores(loss_sum, rows, triplets_out, torch.cat(scores) if scores else hidden.new_zeros(0))


AutoModel.register(RelikReaderConfig, RelikReaderModel, exist_ok=True)
