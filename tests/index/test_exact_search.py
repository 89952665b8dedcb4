from __future__ import annotations

import numpy as np
import pytest

from relik_ml.errors import InputError
from relik_ml.index import exact_search, recall_at_k


@pytest.mark.parametrize("metric", ["ip", "l2"])
def test_exact_search_matches_numpy_brute_force(vectors, queries, metric):
    scores, positions = exact_search(vectors, queries, k=10, batch_size=7, metric=metric)
    if metric == "ip":
        reference = queries @ vectors.T
    else:
        reference = -((queries[:, None, :] - vectors[None, :, :]) ** 2).sum(-1)
    expected = np.argsort(-reference, axis=1, kind="stable")[:, :10]
    np.testing.assert_array_equal(positions, expected)
    np.testing.assert_allclose(scores, np.take_along_axis(reference, expected, 1), rtol=1e-4, atol=1e-4)
    assert scores.dtype == np.float32 and positions.dtype == np.int64


def test_exact_search_pads_when_k_exceeds_rows(vectors, queries):
    scores, positions = exact_search(vectors[:5], queries[:3], k=8)
    assert positions.shape == (3, 8)
    assert sorted(positions[0, :5].tolist()) == [0, 1, 2, 3, 4]
    assert (positions[:, 5:] == -1).all() and np.isneginf(scores[:, 5:]).all()


def test_recall_at_k_counts_overlap_and_ignores_padding():
    assert recall_at_k([["a", "b"], ["c", "x"]], [["a", "b"], ["c", "d"]]) == pytest.approx(0.75)
    assert recall_at_k([["a", ""]], [["a", ""]]) == 1.0
    assert recall_at_k([np.array([3, 1])], [np.array([1, -1])]) == 1.0
    with pytest.raises(InputError, match="rows"):
        recall_at_k([["a"]], [])


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (lambda v: v.astype(np.float64), "float32"),
        (lambda v: v[:, :16].copy(), "dimension"),
        (lambda v: np.where(np.arange(len(v))[:, None] == 3, np.nan, v).astype(np.float32), "row 3"),
        (lambda v: v.T.copy().T, "C-contiguous"),
        (lambda v: v[0], "2-D"),
    ],
)
def test_exact_search_rejects_bad_queries(vectors, queries, bad, message):
    with pytest.raises(InputError, match=message):
        exact_search(vectors, bad(queries), k=3)


def test_exact_search_rejects_unknown_metric(vectors, queries):
    with pytest.raises(InputError, match="metric"):
        exact_search(vectors, queries, k=3, metric="cosine")
