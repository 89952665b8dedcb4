"""A sparse BM25 baseline over passages (title + text), queried with window texts."""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from relik_ml.types import Passage, Window

_WORD = re.compile(r"\w+")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return _WORD.findall(text.lower())


class BM25:
    """Okapi BM25 with an inverted index: term -> (passage rows, term frequencies)."""

    def __init__(self, passages: Sequence[Passage], k1: float = 1.5, b: float = 0.75) -> None:
        self.ids = [p.id for p in passages]
        self.k1 = k1
        self.b = b
        docs = [Counter(tokenize(f"{p.title} {p.text}")) for p in passages]
        self.lengths = np.array([sum(d.values()) for d in docs], dtype=np.float32)  # (P,)
        self.average_length = float(self.lengths.mean()) if len(docs) else 0.0
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for row, counts in enumerate(docs):
            for term, tf in counts.items():
                postings[term].append((row, tf))
        self.postings = {  # term -> (rows (n,), term frequencies (n,))
            t: (np.array([r for r, _ in p]), np.array([f for _, f in p], np.float32)) for t, p in postings.items()
        }

    def idf(self, term: str) -> float:
        """Non-negative BM25 idf: log(1 + (N - df + 0.5) / (df + 0.5))."""
        df = len(self.postings[term][0]) if term in self.postings else 0
        return math.log(1.0 + (len(self.ids) - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for a query: float32 (P,)."""
        out = np.zeros(len(self.ids), dtype=np.float32)
        norm = self.k1 * (1.0 - self.b + self.b * self.lengths / max(self.average_length, 1e-9))  # (P,)
        for term, count in Counter(tokenize(query)).items():
            if term not in self.postings:
                continue
            rows, tf = self.postings[term]
            out[rows] += count * self.idf(term) * tf * (self.k1 + 1.0) / (tf + norm[rows])
        return out

    def search(self, queries: Sequence[str], k: int) -> tuple[np.ndarray, list[list[str]]]:
        """Top-k per query: scores float32 (q, k') and ids, best first, k' = min(k, P); ties by row."""
        k = min(k, len(self.ids))
        if k < 1:
            raise ValueError("k must be >= 1 and the BM25 index non-empty")
        all_scores = np.zeros((len(queries), k), dtype=np.float32)
        all_ids: list[list[str]] = []
        for i, query in enumerate(queries):
            scores = self.scores(query)
            top = _top_rows(scores, k)
            all_scores[i] = scores[top]
            all_ids.append([self.ids[j] for j in top])
        return all_scores, all_ids

    def search_windows(self, windows: Sequence[Window], k: int, use_topic: bool = True) -> list[list[str]]:
        """Top-k passage ids per window, querying with the window text (and its topic)."""
        queries = [f"{w.text} {w.topic}" if use_topic else w.text for w in windows]
        return self.search(queries, k)[1]


def _top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Rows of the k highest scores, best first, ties broken by the lower row."""
    candidates = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    cut = scores[candidates].min()
    candidates = np.flatnonzero(scores >= cut)  # every row tied with the k-th score
    return candidates[np.lexsort((candidates, -scores[candidates]))][:k]
