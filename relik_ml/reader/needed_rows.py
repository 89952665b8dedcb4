"""Encoding that spends the upper encoder layers only on the rows the heads read.

The heads read final hidden states at two kinds of positions: window tokens (start, end, mention
vectors) and the candidates' special tokens <ST_i> (entity and relation vectors). The tokens of the
candidate texts (titles, descriptions: two thirds of an AIDA input at K = 50) are never read.

`encode_needed_rows` (exact, a reader with the paper's joint attention at inference): the last
layer computes keys and values for every position but queries, attention output and feed-forward
only for the needed rows: the same numbers at those rows. (A reader trained with
`candidate_attention = "own-text"` saves more: `own_text` module.)

Only BERT-type encoders (BERT, MiniLM, E5: `model_type` "bert") with SDPA attention are run this
way; for any other backbone `supports_needed_rows` is false and the reader calls the encoder as usual.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel

SUPPORTED_MODEL_TYPES = ("bert",)


def supports_needed_rows(encoder: PreTrainedModel) -> bool:
    """Whether `encoder` has the BERT layout this module drives (embeddings, then post-LN layers)."""
    layers = getattr(getattr(encoder, "encoder", None), "layer", None)
    if encoder.config.model_type not in SUPPORTED_MODEL_TYPES or not layers:
        return False
    last = layers[-1]
    return (
        getattr(encoder.config, "_attn_implementation", None) == "sdpa"
        and not getattr(encoder.config, "is_decoder", False)
        and all(hasattr(last.attention.self, name) for name in ("query", "key", "value", "scaling"))
        and all(hasattr(last, name) for name in ("intermediate", "output"))
    )


def needed_rows(window_mask: torch.Tensor, *special_positions: torch.Tensor | None) -> torch.Tensor:
    """(B, L) bool: [CLS], window tokens and every position named in the (B, N) special-token positions."""
    rows = window_mask.clone()
    rows[:, 0] = True
    for positions in special_positions:
        if positions is not None:
            rows.scatter_(1, positions, True)
    return rows


def encode_needed_rows(
    encoder: PreTrainedModel, input_ids: torch.Tensor, attention_mask: torch.Tensor, rows: torch.Tensor
) -> torch.Tensor:
    """(B, L, H) final hidden states, exact at `rows`; the other positions carry no meaning."""
    layers = encoder.encoder.layer
    hidden, keys_mask = _every_token_through(encoder, input_ids, attention_mask, len(layers) - 1)
    return _last_layer_on_rows(layers[-1], hidden, keys_mask, rows)


def _every_token_through(
    encoder: PreTrainedModel, input_ids: torch.Tensor, attention_mask: torch.Tensor, count: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Embeddings then the first `count` layers over every token; also the (B, 1, 1, L) real-token keys mask."""
    keys_mask = attention_mask.bool()[:, None, None, :]
    hidden = encoder.embeddings(input_ids=input_ids)
    for layer in encoder.encoder.layer[:count]:
        hidden = layer(hidden, keys_mask)
    return hidden, keys_mask


def selected_first(rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Positions (B, M) putting each row's selected positions first (in order), M = the most selected
    in a row, and which of them are selected (B, M)."""
    width = max(int(rows.sum(1).max()), 1)
    order = torch.argsort((~rows).to(torch.uint8), dim=1, stable=True)[:, :width]
    return order, rows.gather(1, order)


def _last_layer_on_rows(layer, hidden: torch.Tensor, keys_mask: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """One post-LN BERT layer whose queries, attention output and feed-forward see only `rows`."""
    batch, _, size = hidden.shape
    order, _ = selected_first(rows)
    index = order[..., None].expand(*order.shape, size)
    picked = hidden.gather(1, index)  # (B, M, H)
    attention = layer.attention.self
    heads = attention.num_attention_heads

    def split(x: torch.Tensor) -> torch.Tensor:
        return x.view(batch, x.shape[1], heads, -1).transpose(1, 2)

    context = F.scaled_dot_product_attention(
        split(attention.query(picked)), split(attention.key(hidden)), split(attention.value(hidden)),
        attn_mask=keys_mask, scale=attention.scaling,
    )
    attended = layer.attention.output(context.transpose(1, 2).reshape(batch, picked.shape[1], size), picked)
    out = layer.output(layer.intermediate(attended), attended)
    return hidden.scatter(1, index, out)
