"""Baselines as ranked candidate lists, scored by the same R@K as the bi-encoder."""
from __future__ import annotations

import numpy as np
import pytest

from relik_ml.mel import (
    EmbeddingAlias,
    alias_table_rankings,
    build_alias_table,
    multilingual_key,
    rank_by_embeddings,
    recall_at_k,
    string_similarity_rankings,
)


def test_alias_table_ranks_a_known_alias_first_and_counts_anchors(toy_kb):
    table = build_alias_table(toy_kb, [("Parigi", "Q90"), ("Parigi", "Q90"), ("Parigi", "Q142"), ("東京", "Q1490")])
    rankings = alias_table_rankings(table, ["Paris", "parigi", "東京", "Oslo"], 10)
    assert rankings[0] == ["Q90"]
    assert rankings[1] == ["Q90", "Q142"]  # two anchors beat one
    assert rankings[2] == ["Q1490"]
    assert rankings[3] == []  # NIL
    assert alias_table_rankings(table, ["parigi"], 10, case="cased") == [[]]


def test_string_similarity_ranks_the_closest_name_first(toy_kb):
    table = build_alias_table(toy_kb)
    rankings = string_similarity_rankings(table, ["Pariss", "Toky", "Germania"], 3)
    assert [r[0] for r in rankings] == ["Q90", "Q1490", "Q183"]


def test_multilingual_key_keeps_scripts():
    assert multilingual_key("  Ｔｏｋｙｏ  東京 ") == "tokyo 東京"


def test_embedding_alias_ranks_an_exact_alias_first(encoder, toy_kb):
    ranker = EmbeddingAlias(encoder, [(e.name, e.id) for e in toy_kb] + [("Lutetia", "Q90")])
    rankings = ranker.rank(["Berlin", "Lutetia", "Rome"], 3)
    assert [r[0] for r in rankings] == ["Q64", "Q90", "Q220"]
    assert all(len(r) == 3 and len(set(r)) == 3 for r in rankings)


def test_rank_by_embeddings_counts_an_entity_once_and_widens():
    keys = np.array([[1, 0], [0.99, 0.14], [0.98, 0.2], [0, 1]], dtype=np.float32)
    assert rank_by_embeddings(np.array([[1, 0]], dtype=np.float32), keys, ["A", "A", "A", "B"], 2) == [["A", "B"]]


def test_recall_at_k():
    rankings = [["a", "b"], ["c"], []]
    assert recall_at_k(rankings, ["a", "x", "c"], (1, 2)) == {"R@1": pytest.approx(33.33), "R@2": pytest.approx(33.33)}
    with pytest.raises(ValueError):
        recall_at_k([], [], (1,))
