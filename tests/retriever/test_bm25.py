from __future__ import annotations

import math
import random
from collections import Counter

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


def test_streamed_index_matches_the_formula_on_random_passages():
    rng = random.Random(0)
    vocab = [f"w{i}" for i in range(30)]
    passages = [Passage(str(i), rng.choice(vocab), " ".join(rng.choices(vocab, k=rng.randint(0, 12))))
                for i in range(200)]
    bm25 = BM25(iter(passages))  # a generator: the index is built in one pass
    docs = [Counter(tokenize(f"{p.title} {p.text}")) for p in passages]
    average = sum(sum(d.values()) for d in docs) / len(docs)
    query = "w3 w3 w17 unknown"
    expected = []
    for d in docs:
        norm = 1.5 * (1 - 0.75 + 0.75 * sum(d.values()) / average)
        expected.append(sum(c * bm25.idf(t) * d[t] * 2.5 / (d[t] + norm) for t, c in Counter(tokenize(query)).items()))
    assert bm25.scores(query) == pytest.approx(expected, rel=1e-5, abs=1e-6)
    top = bm25.search([query], k=5)[1][0]
    assert top == [passages[i].id for i in sorted(range(200), key=lambda i: (-expected[i], i))[:5]]
