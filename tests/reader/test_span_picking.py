"""Start / end thresholds, the per-row cap and the tensor helpers of span picking."""
from __future__ import annotations

import torch

from relik_ml.reader.span_picking import _lex_order, _rank_within, pick_spans, pick_starts


def test_start_threshold_is_strict():
    probs = torch.tensor([[0.9, 0.5, 0.51, 0.2, 0.99]])
    mask = torch.tensor([[False, True, True, True, False]])
    assert pick_starts(probs, mask, 0.5).tolist() == [[0, 2]]


def test_end_threshold_scores_and_cap():
    starts = torch.tensor([[0, 1], [0, 3], [1, 2]])
    p_start = torch.tensor([0.8, 0.6, 0.9])
    end_probs = torch.tensor([[0.0, 0.7, 0.9, 0.5], [0.0, 0.0, 0.0, 0.6], [0.0, 0.0, 0.2, 0.4]])
    spans, scores = pick_spans(starts, p_start, end_probs, 0.5, max_per_row=10)
    assert spans.tolist() == [[0, 1, 1], [0, 1, 2], [0, 3, 3]]  # overlapping (1,1) and (1,2) both kept
    assert torch.allclose(scores, torch.tensor([0.56, 0.72, 0.36]))
    capped, _ = pick_spans(starts, p_start, end_probs, 0.5, max_per_row=1)
    assert capped.tolist() == [[0, 1, 2]]  # the best-scoring span of the row


def _rank_within_loop(groups: torch.Tensor) -> torch.Tensor:
    """The plain definition: position of each element among the earlier elements of its group."""
    seen: dict[int, int] = {}
    ranks = []
    for value in groups.tolist():
        ranks.append(seen.get(value, 0))
        seen[value] = ranks[-1] + 1
    return torch.tensor(ranks, dtype=torch.long)


def test_rank_within_and_lex_order_match_their_plain_definitions():
    generator = torch.Generator().manual_seed(0)
    for size in (0, 1, 7, 200):
        groups = torch.randint(0, 5, (size,), generator=generator)
        assert _rank_within(groups).tolist() == _rank_within_loop(groups).tolist()
        rows = torch.randint(0, 9, (size, 3), generator=generator)
        expected = sorted(range(size), key=lambda i: tuple(rows[i].tolist()))  # Python's sort is stable
        assert _lex_order(rows).tolist() == expected


def test_pick_spans_caps_each_row_by_score():
    generator = torch.Generator().manual_seed(1)
    starts = torch.tensor([[b, s] for b in range(3) for s in range(1, 6)])
    end_probs = torch.rand(len(starts), 8, generator=generator)
    p_start = torch.rand(len(starts), generator=generator)
    spans, scores = pick_spans(starts, p_start, end_probs, 0.3, max_per_row=4)
    everything, all_scores = pick_spans(starts, p_start, end_probs, 0.3, max_per_row=1000)
    for b in range(3):
        row = all_scores[everything[:, 0] == b]
        kept = scores[spans[:, 0] == b]
        assert sorted(kept.tolist(), reverse=True) == sorted(row.tolist(), reverse=True)[:4]
    assert spans.tolist() == sorted(spans.tolist())
