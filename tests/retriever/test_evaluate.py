from __future__ import annotations

import pytest

from relik_ml.retriever.evaluate import evaluate_retrieval, recall_at_k, recall_with_kb
from relik_ml.types import NME, Span, Window


def test_recall_at_k_is_micro_over_gold_pairs():
    gold = [("A", "B"), ("C",), ()]
    retrieved = [["A", "X", "B"], ["X", "Y", "C"], ["A"]]
    result = recall_at_k(gold, retrieved, ks=(1, 2, 3))
    assert result["recall@1"] == pytest.approx(1 / 3)
    assert result["recall@2"] == pytest.approx(1 / 3)
    assert result["recall@3"] == pytest.approx(1.0)
    assert (result["windows"], result["skipped_windows"], result["gold"]) == (2, 1, 3)


def test_recall_at_k_without_gold_and_mismatched_rows():
    assert recall_at_k([()], [["A"]], ks=(1,))["recall@1"] == 0.0
    with pytest.raises(ValueError):
        recall_at_k([("A",)], [], ks=(1,))


def test_recall_with_kb_leaves_out_golds_missing_from_the_kb():
    window = Window("w", "d", "ab", 0, 2, spans=(Span(0, 1, "A"), Span(1, 2, "Z"), Span(0, 2, NME)))
    result = recall_with_kb([window], [["A"]], {"A", "B"}, ks=(1,))
    assert result["recall@1"] == 1.0 and result["gold_outside_kb"] == 1


def test_evaluate_retrieval_runs_end_to_end(retriever, toy_kb, toy_dev_windows):
    result = evaluate_retrieval(retriever, toy_dev_windows, toy_kb, ks=(1, 10, 100))
    assert result["windows"] == len(toy_dev_windows)
    assert 0.0 <= result["recall@1"] <= result["recall@10"] <= result["recall@100"] == 1.0  # 100 > KB size
