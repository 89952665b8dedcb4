"""Candidate texts encoded on their own (`RelikReaderConfig.candidate_attention = "own-text"`).

The paper's reader encodes `[CLS] window [SEP] <ST0> <ST1> c1 … <STK> cK [SEP]` with full
self-attention, so every candidate text is encoded again for every window it is retrieved for.
With "own-text" the attention is restricted so that a candidate text does not depend on the window:

- a candidate text token attends to the tokens of its own text only, and its position ids restart
  at 1 (as if the text were encoded alone);
- a special token <ST_i> attends to [CLS], the window, the [SEP]s, every special token and the
  tokens of its own candidate text (so it stands for that candidate in this window);
- [CLS], window and [SEP] tokens attend to everything, as in the paper.

`encode_own_text` applies that mask over the whole input (training, and the reference for tests).
`encode_own_text_deduplicated` computes the same hidden states at every non-text row for inference:
each distinct candidate text of the batch goes through the encoder once, on its own, and the window
rows attend to its keys and values at each layer. A document's windows retrieve largely the same
candidates, so most of the candidate-text work disappears.

Inputs name the candidate of each position with `special_of` (B, L): the position of the special
token of the candidate a token belongs to (the special token itself included), -1 for [CLS], window
tokens, [SEP] and padding (`ReaderInput.special_of`). BERT-type encoders with SDPA attention only
(`needed_rows.supports_needed_rows`).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel

from relik_ml.reader.needed_rows import selected_first


def own_text_positions(special_of: torch.Tensor) -> torch.Tensor:
    """(B, L) position ids: candidate text tokens count from 1 after their special token, others as usual."""
    positions = torch.arange(special_of.shape[1], device=special_of.device).expand_as(special_of)
    return torch.where(_is_text(special_of), positions - special_of, positions)


def own_text_mask(special_of: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """(B, 1, L, L) bool: which key each query may attend to (module docstring)."""
    positions = torch.arange(special_of.shape[1], device=special_of.device)
    text = _is_text(special_of)
    special = special_of == positions
    query_of, key_of = special_of[:, :, None], special_of[:, None, :]
    text_query = text[:, :, None] & text[:, None, :] & (key_of == query_of)
    special_query = special[:, :, None] & (~text[:, None, :] | (key_of == positions[None, :, None]))
    other_query = (~text & ~special)[:, :, None]
    return ((text_query | special_query | other_query) & attention_mask.bool()[:, None, :])[:, None]


def encode_own_text(
    encoder: PreTrainedModel, input_ids: torch.Tensor, attention_mask: torch.Tensor, special_of: torch.Tensor
) -> torch.Tensor:
    """(B, L, H) hidden states with the own-text attention over the whole input (differentiable)."""
    hidden = encoder.embeddings(input_ids=input_ids, position_ids=own_text_positions(special_of))
    mask = own_text_mask(special_of, attention_mask)
    for layer in encoder.encoder.layer:
        hidden = layer(hidden, mask)
    return hidden


def encode_own_text_deduplicated(
    encoder: PreTrainedModel, input_ids: torch.Tensor, attention_mask: torch.Tensor, special_of: torch.Tensor
) -> torch.Tensor:
    """(B, L, H) equal to `encode_own_text` at every non-text position; text positions hold zeros."""
    texts = _distinct_texts(input_ids, special_of)
    text_keys, text_values = _encode_texts_alone(encoder, texts)
    order, kept = selected_first(attention_mask.bool() & ~_is_text(special_of))  # (B, M) non-text rows
    row_special_of = special_of.gather(1, order)
    hidden = encoder.embeddings(input_ids=input_ids.gather(1, order), position_ids=order)
    mask = _row_mask(order, kept, row_special_of, texts)
    for layer, keys, values in zip(encoder.encoder.layer, text_keys, text_values):
        hidden = _row_layer(layer, hidden, keys[texts.flat_index], values[texts.flat_index], mask)
    index = order[..., None].expand_as(hidden)
    out = torch.zeros(*input_ids.shape, hidden.shape[-1], dtype=hidden.dtype, device=hidden.device)
    return out.scatter(1, index, torch.where(kept[..., None], hidden, 0.0))


@dataclass(frozen=True)
class _Texts:
    """The batch's distinct candidate texts, packed shortest first, and where each window's text tokens are."""

    ids: torch.Tensor  # (U, T) distinct texts (padded), shortest first
    lengths: torch.Tensor  # (U,) their lengths
    flat_index: torch.Tensor  # (B, N): each window's text tokens in the packed (sum of lengths) tokens
    token_mask: torch.Tensor  # (B, N): real text tokens
    token_special: torch.Tensor  # (B, N): the position of each text token's special token


def _distinct_texts(input_ids: torch.Tensor, special_of: torch.Tensor) -> _Texts:
    order, token_mask = selected_first(_is_text(special_of))  # (B, N) text tokens first
    token_special = torch.where(token_mask, special_of.gather(1, order), -1)
    owner_b, owner_n = token_mask.nonzero(as_tuple=True)
    owner_key = owner_b * special_of.shape[1] + token_special[owner_b, owner_n]
    segments, segment_of = torch.unique(owner_key, return_inverse=True)
    offset = order[owner_b, owner_n] - token_special[owner_b, owner_n] - 1  # index of the token in its text
    length = int(offset.max()) + 1 if offset.numel() else 1
    texts = torch.full((len(segments), length), -1, dtype=input_ids.dtype, device=input_ids.device)
    texts[segment_of, offset] = input_ids[owner_b, order[owner_b, owner_n]]
    distinct, text_of_segment = torch.unique(texts, dim=0, return_inverse=True)
    lengths = (distinct >= 0).sum(1)
    shortest_first = torch.argsort(lengths, stable=True)
    rank = torch.empty_like(shortest_first)
    rank[shortest_first] = torch.arange(len(shortest_first), device=rank.device)
    starts = torch.cumsum(lengths[shortest_first], 0) - lengths[shortest_first]  # packed start, in sorted order
    flat_index = torch.zeros_like(order)
    flat_index[owner_b, owner_n] = starts[rank[text_of_segment[segment_of]]] + offset
    return _Texts(distinct[shortest_first].clamp(min=0), lengths[shortest_first], flat_index, token_mask, token_special)


def _encode_texts_alone(encoder: PreTrainedModel, texts: _Texts) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Per layer, the keys and values (sum of lengths, H) of the texts encoded alone (positions 1 … length).

    Texts of one length run together, so no padding is computed. Without any text: one zero key/value
    that no window reads.
    """
    layers = encoder.encoder.layer
    keys: list[list[torch.Tensor]] = [[] for _ in layers]
    values: list[list[torch.Tensor]] = [[] for _ in layers]
    for size in torch.unique_consecutive(texts.lengths).tolist():
        ids = texts.ids[texts.lengths == size, :size]
        positions = torch.arange(1, size + 1, device=ids.device).expand_as(ids)
        hidden = encoder.embeddings(input_ids=ids, position_ids=positions)
        for depth, layer in enumerate(layers):
            attention = layer.attention.self
            flat = hidden.reshape(-1, hidden.shape[-1])
            keys[depth].append(attention.key(flat))
            values[depth].append(attention.value(flat))
            hidden = layer(hidden, None)
    if not texts.lengths.numel():
        empty = torch.zeros(1, encoder.config.hidden_size, device=texts.ids.device)
        return [empty] * len(layers), [empty] * len(layers)
    return [torch.cat(k) for k in keys], [torch.cat(v) for v in values]


def _row_mask(order: torch.Tensor, kept: torch.Tensor, row_special_of: torch.Tensor, texts: _Texts) -> torch.Tensor:
    """(B, 1, M, M + N): row queries over row keys, then over the window's text tokens."""
    special = row_special_of == order
    over_rows = kept[:, None, :].expand(-1, order.shape[1], -1)
    own_text = texts.token_special[:, None, :] == order[:, :, None]
    over_texts = texts.token_mask[:, None, :] & (~special[:, :, None] | own_text)
    return torch.cat([over_rows, over_texts], dim=2)[:, None]


def _row_layer(layer, hidden: torch.Tensor, text_keys: torch.Tensor, text_values: torch.Tensor,
               mask: torch.Tensor) -> torch.Tensor:
    """One post-LN BERT layer on the rows (B, M, H), whose attention also reads the text keys/values (B, N, H)."""
    attention = layer.attention.self
    batch, rows, size = hidden.shape
    heads = attention.num_attention_heads

    def split(x: torch.Tensor) -> torch.Tensor:
        return x.view(batch, x.shape[1], heads, -1).transpose(1, 2)

    keys = torch.cat([attention.key(hidden), text_keys], dim=1)
    values = torch.cat([attention.value(hidden), text_values], dim=1)
    context = F.scaled_dot_product_attention(
        split(attention.query(hidden)), split(keys), split(values), attn_mask=mask, scale=attention.scaling
    )
    attended = layer.attention.output(context.transpose(1, 2).reshape(batch, rows, size), hidden)
    return layer.output(layer.intermediate(attended), attended)


def _is_text(special_of: torch.Tensor) -> torch.Tensor:
    positions = torch.arange(special_of.shape[1], device=special_of.device)
    return (special_of >= 0) & (special_of != positions)
