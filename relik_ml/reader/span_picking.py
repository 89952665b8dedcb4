"""Span picking on reader tensors: p_start(s) > threshold, then p_end(t | s) > threshold for t >= s.

Overlapping spans are allowed; at most `max_per_row` spans per window, best p_start * p_end first,
returned in (batch, start, end) order. `decoding` turns the picked spans into records.
"""
from __future__ import annotations

import torch


def pick_starts(start_probs: torch.Tensor, window_mask: torch.Tensor, threshold: float) -> torch.Tensor:
    """(B, L) probabilities → (n, 2) [batch, position] of window tokens above the threshold."""
    return torch.nonzero((start_probs > threshold) & window_mask)


def pick_spans(
    starts: torch.Tensor, start_probs: torch.Tensor, end_probs: torch.Tensor, threshold: float, max_per_row: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Spans (S, 3) [batch, start, end] with p_end > threshold and their scores p_start * p_end.

    `start_probs` is (n,) for the starts, `end_probs` is (n, W) over positions 0..W-1 (invalid
    positions already 0). At most `max_per_row` spans per batch row, best first.
    """
    rows, ends = torch.nonzero(end_probs > threshold, as_tuple=True)
    scores = start_probs[rows] * end_probs[rows, ends]
    spans = torch.stack([starts[rows, 0], starts[rows, 1], ends], dim=-1)  # (S, 3)
    order = torch.argsort(scores, descending=True, stable=True)
    spans, scores = spans[order], scores[order]
    rank = _rank_within(spans[:, 0])
    keep = rank < max_per_row
    spans, scores = spans[keep], scores[keep]
    order = _lex_order(spans)
    return spans[order], scores[order]


def _lex_order(rows: torch.Tensor) -> torch.Tensor:
    """Permutation sorting (n, c) non-negative integer rows lexicographically (stable)."""
    if rows.shape[0] == 0:
        return torch.arange(0, device=rows.device)
    key = torch.zeros_like(rows[:, 0])
    for column in range(rows.shape[1]):
        key = key * (int(rows[:, column].max()) + 1) + rows[:, column]
    return torch.argsort(key, stable=True)


def _rank_within(groups: torch.Tensor) -> torch.Tensor:
    """Position of each element among the earlier elements of the same group."""
    if groups.numel() == 0:
        return torch.zeros_like(groups)
    order = torch.argsort(groups, stable=True)  # groups contiguous, original order kept inside each
    ordered = groups[order]
    positions = torch.arange(groups.numel(), device=groups.device)
    first = torch.ones_like(ordered, dtype=torch.bool)
    first[1:] = ordered[1:] != ordered[:-1]
    group_start = torch.cummax(torch.where(first, positions, 0), dim=0).values
    rank = torch.empty_like(groups)
    rank[order] = positions - group_start
    return rank
