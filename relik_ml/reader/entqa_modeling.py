"""`EntqaReaderModel`: EntQA's reader (seed 003, §2.2): one encoder pass per (window, candidate) pair.

- start / end heads: w_start, w_end ∈ R^H; p_start(s | e_k), p_end(t | e_k) are softmaxes over [CLS]
  (the (1, 1) "no span") and the window tokens of pair k; p_span(s, t | e_k) = p_start x p_end.
- rerank head: w_rerank ∈ R^H on the [CLS] vector; p_rerank(e_k) is a softmax over the candidates
  of one window (`pair_window` numbers them; at inference the rows of a window may be spread over
  batches, so the softmax is taken when the window is decoded, `entqa_decoding`).

Loss (objective 2 of the paper, as means): start + end = -log p_start / p_end of every gold mention
of every pair, the (1, 1) answer for a candidate not mentioned in its window; entity_loss = -log
p_rerank of each gold candidate.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PreTrainedModel
from transformers.utils import ModelOutput

from relik_ml.reader.configuration import EntqaReaderConfig


@dataclass
class EntqaReaderOutput(ModelOutput):
    """Per pair (row): log-probabilities of the start / end positions and the rerank logit."""

    loss: torch.FloatTensor | None = None
    start_loss: torch.FloatTensor | None = None
    end_loss: torch.FloatTensor | None = None
    entity_loss: torch.FloatTensor | None = None  # the rerank loss
    relation_loss: torch.FloatTensor | None = None  # always None (EntQA links entities only)
    start_log_probs: torch.FloatTensor | None = None  # (R, L), -inf outside [CLS] + window
    end_log_probs: torch.FloatTensor | None = None  # (R, L)
    rerank_logits: torch.FloatTensor | None = None  # (R,)


def group_log_softmax(logits: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
    """log softmax of (R,) `logits` within each group of (R,) `groups` (0 … G-1)."""
    count = int(groups.max()) + 1 if groups.numel() else 0
    peak = logits.new_full((count,), float("-inf")).scatter_reduce(0, groups, logits.detach(), "amax")
    shifted = (logits - peak[groups]).exp()
    total = logits.new_zeros(count).index_add(0, groups, shifted)
    return logits - peak[groups] - total.log()[groups]


class EntqaReaderModel(PreTrainedModel):
    """EntQA reader: encoder (AutoModel from `config.encoder`) + start, end and rerank vectors."""

    config_class = EntqaReaderConfig
    base_model_prefix = "encoder"

    def __init__(self, config: EntqaReaderConfig) -> None:
        super().__init__(config)
        encoder_config = dict(config.encoder or {})
        model_type = encoder_config.pop("model_type", "bert")
        self.encoder = AutoModel.from_config(AutoConfig.for_model(model_type, **encoder_config))
        positions = getattr(self.encoder.config, "max_position_embeddings", None)
        if positions is not None and config.max_input_tokens > positions:
            raise ValueError(f"max_input_tokens={config.max_input_tokens} exceeds the encoder's {positions} positions")
        hidden = self.encoder.config.hidden_size
        self.dropout = nn.Dropout(config.dropout)
        self.start_head = nn.Linear(hidden, 1)
        self.end_head = nn.Linear(hidden, 1)
        self.rerank_head = nn.Linear(hidden, 1)
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)

    @classmethod
    def from_backbone(cls, path: str, config: EntqaReaderConfig) -> EntqaReaderModel:
        """Heads initialised at random on a pretrained local encoder (its vocabulary unchanged)."""
        encoder = AutoModel.from_pretrained(path)
        config.encoder = encoder.config.to_dict()
        model = cls(config)
        model.encoder.load_state_dict(encoder.state_dict())
        return model

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        span_mask: torch.Tensor,
        pair_window: torch.Tensor | None = None,
        gold_candidate: torch.Tensor | None = None,
        gold_spans: torch.Tensor | None = None,
    ) -> EntqaReaderOutput:
        """Gold `gold_candidate` (R,) and `gold_spans` (G, 3) [row, start, end] add the losses."""
        hidden = self.dropout(self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state)
        floor = torch.finfo(hidden.dtype).min
        start = self.start_head(hidden).squeeze(-1).masked_fill(~span_mask, floor).log_softmax(-1)  # (R, L)
        end = self.end_head(hidden).squeeze(-1).masked_fill(~span_mask, floor).log_softmax(-1)
        rerank = self.rerank_head(hidden[:, 0]).squeeze(-1)  # (R,)
        losses = {}
        if gold_spans is not None and gold_candidate is not None and pair_window is not None:
            rows, starts, ends = gold_spans.unbind(-1)
            losses["start_loss"] = -start[rows, starts].mean()
            losses["end_loss"] = -end[rows, ends].mean()
            gold_log_probs = group_log_softmax(rerank, pair_window)[gold_candidate]
            if gold_log_probs.numel():
                losses["entity_loss"] = -gold_log_probs.mean()
        return EntqaReaderOutput(
            loss=sum(losses.values()) if losses else None,
            **losses,
            start_log_probs=start,
            end_log_probs=end,
            rerank_logits=rerank,
        )


AutoModel.register(EntqaReaderConfig, EntqaReaderModel, exist_ok=True)
