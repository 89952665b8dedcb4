from __future__ import annotations

import math

import pytest

from relik_ml.retriever.bm25 import BM25, tokenize
from relik_ml.retriever.evaluate import recall_with_kb
from relik_ml.types import Passage


def test_tokenize_lowercases_words():
    assert tokenize("Rome, Italy's capital!") == ["rome", "italy", "s", "capital"]


def test_retrieves_the_obviously_matching_passage(toy_kb, toy_dev_windows):
    bm25 = BM25(toy_kb)
    scores, ids = bm25.search(["we visited the castle on the hill"], k=3)
    assert ids[0][0] == next(p.id for p in toy_kb if p.title == "castle")
    assert scores[0][0] > scores[0][1] >= scores[0][2]
    result = recall_with_kb(toy_dev_windows, bm25.search_windows(toy_dev_windows, 10), {p.id for p in toy_kb}, (1, 10))
    assert result["recall@10"] > 0.9


def test_score_matches_the_formula():
    passages = [Passage("a", "cat", "cat dog"), Passage("b", "dog", "")]
    bm25 = BM25(passages, k1=1.2, b=0.5)
    idf = math.log(1 + (2 - 1 + 0.5) / (1 + 0.5))
    norm = 1.2 * (1 - 0.5 + 0.5 * 3 / 2)
    assert bm25.scores("cat")[0] == pytest.approx(idf * 2 * 2.2 / (2 + norm), rel=1e-6)
    assert bm25.scores("cat")[1] == 0.0


def test_ties_are_broken_by_row_and_k_is_capped():
    bm25 = BM25([Passage(str(i), "same", "") for i in range(5)])
    assert bm25.search(["same"], k=10)[1] == [["0", "1", "2", "3", "4"]]
    assert bm25.search(["unknown"], k=2)[1] == [["0", "1"]]
