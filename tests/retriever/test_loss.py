from __future__ import annotations

import math

import pytest
import torch

from relik_ml.retriever.loss import multilabel_nce


def test_single_gold_matches_hand_computed_softmax():
    query = torch.tensor([[1.0, 0.0]])
    passages = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])  # scores 1, 0, 0
    mask = torch.tensor([[True, False, False]])
    expected = math.log(math.e + 2) - 1
    assert multilabel_nce(query, passages, mask).item() == pytest.approx(expected, rel=1e-6)


def test_other_golds_of_the_same_window_are_not_negatives():
    query = torch.tensor([[1.0, 0.0]])
    passages = torch.tensor([[1.0, 0.0], [2.0, 0.0], [0.0, 0.0]])  # scores 1, 2, 0
    mask = torch.tensor([[True, True, False]])
    expected = math.log(1 + math.exp(-1)) + math.log(1 + math.exp(-2))  # each gold vs the one negative
    assert multilabel_nce(query, passages, mask).item() == pytest.approx(expected, rel=1e-6)


def test_golds_of_other_windows_are_negatives_and_goldless_windows_are_ignored():
    queries = torch.tensor([[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]])
    passages = torch.tensor([[1.0, 0.0], [0.0, 1.0]])  # window 0 gold p0, window 1 gold p1, window 2 none
    mask = torch.tensor([[True, False], [False, True], [False, False]])
    per_window = math.log(1 + math.exp(-1))  # gold score 1 vs the other window's gold at 0
    assert multilabel_nce(queries, passages, mask).item() == pytest.approx(per_window, rel=1e-6)


def test_matches_a_loop_reference_and_backpropagates():
    torch.manual_seed(0)
    queries = torch.randn(4, 8, requires_grad=True)
    passages = torch.randn(10, 8)
    mask = torch.rand(4, 10) < 0.3
    mask[0] = False
    mask[1, :] = True  # a window whose passages are all gold: every term is 0
    loss = multilabel_nce(queries, passages, mask)
    scores = queries @ passages.T
    terms = []
    for i in range(4):
        negatives = scores[i][~mask[i]]
        golds = [-(s - torch.logsumexp(torch.cat([s.view(1), negatives]), 0)) for s in scores[i][mask[i]]]
        if golds:
            terms.append(torch.stack(golds).sum())
    assert loss.item() == pytest.approx(torch.stack(terms).mean().item(), rel=1e-5)
    loss.backward()
    assert torch.isfinite(queries.grad).all()


def test_no_gold_gives_zero_and_bad_mask_shape_raises():
    queries, passages = torch.randn(2, 4), torch.randn(3, 4)
    assert multilabel_nce(queries, passages, torch.zeros(2, 3, dtype=torch.bool)).item() == 0.0
    with pytest.raises(ValueError):
        multilabel_nce(queries, passages, torch.zeros(3, 2, dtype=torch.bool))
