"""A sparse BM25 baseline over passages (title + text), queried with window texts.

The index is a term-major sparse matrix (CSC: one column of passage rows per term) holding each
(passage, term) pair's saturated term frequency tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg));
a query adds idf-weighted columns. Built in one streaming pass over the passages (only the token
ids, counts and lengths are kept), so a Wikipedia-size KB of short passages fits in memory.
"""
from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse

from relik_ml.types import Passage, Window

_WORD = re.compile(r"\w+")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return _WORD.findall(text.lower())


class BM25:
    """Okapi BM25 with an inverted index: term -> (passage rows, saturated term frequencies)."""

    def __init__(self, passages: Iterable[Passage], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self.ids: list[str] = []
        self.vocabulary: dict[str, int] = {}
        rows, terms, counts = array("i"), array("i"), array("f")
        lengths = array("f")
        for passage in passages:
            tokens = Counter(tokenize(f"{passage.title} {passage.text}"))
            row = len(self.ids)
            self.ids.append(passage.id)
            lengths.append(sum(tokens.values()))
            for term, tf in tokens.items():
                rows.append(row)
                terms.append(self.vocabulary.setdefault(term, len(self.vocabulary)))
                counts.append(tf)
        self.lengths = np.frombuffer(lengths, dtype=np.float32)  # (P,)
        self.average_length = float(self.lengths.mean()) if len(self.ids) else 0.0
        rows_np, terms_np = np.frombuffer(rows, dtype=np.int32), np.frombuffer(terms, dtype=np.int32)
        tf = np.frombuffer(counts, dtype=np.float32)  # (pairs,)
        norm = k1 * (1.0 - b + b * self.lengths[rows_np] / max(self.average_length, 1e-9))  # (pairs,)
        weights = tf * (k1 + 1.0) / (tf + norm)
        shape = (len(self.ids), len(self.vocabulary))
        self.matrix = sparse.csc_matrix((weights, (rows_np, terms_np)), shape=shape, dtype=np.float32)  # (P, T)
        df = np.diff(self.matrix.indptr)  # (T,) passages per term
        self.idfs = np.log1p((len(self.ids) - df + 0.5) / (df + 0.5)).astype(np.float32)  # (T,)

    def idf(self, term: str) -> float:
        """Non-negative BM25 idf: log(1 + (N - df + 0.5) / (df + 0.5))."""
        column = self.vocabulary.get(term)
        df = 0 if column is None else int(self.matrix.indptr[column + 1] - self.matrix.indptr[column])
        return math.log(1.0 + (len(self.ids) - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for a query: float32 (P,)."""
        out = np.zeros(len(self.ids), dtype=np.float32)
        indptr, indices, data = self.matrix.indptr, self.matrix.indices, self.matrix.data
        for term, count in Counter(tokenize(query)).items():
            column = self.vocabulary.get(term)
            if column is None:
                continue
            start, end = indptr[column], indptr[column + 1]
            out[indices[start:end]] += count * self.idfs[column] * data[start:end]
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
    above = np.flatnonzero(scores > cut)
    tied = np.flatnonzero(scores == cut)[: k - len(above)]  # the lowest rows tied with the k-th score
    return np.concatenate([above[np.lexsort((above, -scores[above]))], tied])
