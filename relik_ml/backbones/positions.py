"""Lengthen a model's learned absolute position table by tiling the rows it already has."""
from __future__ import annotations

import torch
from torch import nn
from transformers import PreTrainedModel


def extend_positions(model: PreTrainedModel, new_max: int) -> PreTrainedModel:
    """Grow `embeddings.position_embeddings` to `new_max` rows in place; new rows repeat learned ones."""
    embeddings = getattr(model.base_model, "embeddings", None)
    table = getattr(embeddings, "position_embeddings", None)
    if not isinstance(table, nn.Embedding):
        raise ValueError(f"{type(model).__name__} has no learned absolute position table to extend")
    old_max = table.num_embeddings
    if new_max <= old_max:
        raise ValueError(f"new_max={new_max} must exceed the current {old_max} positions")
    offset = _first_position(embeddings)
    rows = torch.arange(new_max, device=table.weight.device)
    rows = torch.where(rows < offset, rows, offset + (rows - offset) % (old_max - offset))  # (new_max,)
    grown = nn.Embedding(new_max, table.embedding_dim, padding_idx=table.padding_idx)
    grown.to(device=table.weight.device, dtype=table.weight.dtype)
    with torch.no_grad():
        grown.weight.copy_(table.weight[rows])
    embeddings.position_embeddings = grown
    _resize_index_buffers(embeddings, old_max, new_max)
    model.config.max_position_embeddings = new_max
    return model


def _first_position(embeddings: nn.Module) -> int:
    """RoBERTa-family models number positions from padding_idx + 1; BERT from 0."""
    padding_idx = getattr(embeddings, "padding_idx", None)
    return 0 if padding_idx is None else padding_idx + 1


def _resize_index_buffers(embeddings: nn.Module, old_max: int, new_max: int) -> None:
    """Rebuild the (1, max_positions) `position_ids` / `token_type_ids` buffers at the new length."""
    for name, buffer in list(embeddings.named_buffers(recurse=False)):
        if name not in ("position_ids", "token_type_ids") or buffer.shape[-1] != old_max:
            continue
        values = torch.arange(new_max) if name == "position_ids" else torch.zeros(new_max)
        persistent = name not in embeddings._non_persistent_buffers_set
        values = values.to(dtype=buffer.dtype, device=buffer.device).unsqueeze(0)  # (1, new_max)
        embeddings.register_buffer(name, values, persistent=persistent)
