from __future__ import annotations

import random

import numpy as np

from relik_ml.retriever.data import RetrieverExample
from relik_ml.retriever.mining import mine_hard_negatives, sample_windows, select_hard_negatives
from relik_ml.types import Passage, Window


def test_select_skips_golds_and_keeps_rank_order():
    assert select_hard_negatives(["A", "G", "B", "C", "H", "D"], {"G", "H"}, 3) == ("A", "B", "C")
    assert select_hard_negatives(["G"], {"G"}, 3) == ()


def test_sampling_probability():
    examples = list(range(2000))
    assert sample_windows(examples, 1.0, random.Random(0)) == examples
    kept = len(sample_windows(examples, 0.2, random.Random(0)))
    assert 300 < kept < 500


class _FixedRetriever:
    """Embeds passages and windows by a lookup table (a deterministic mock encoder)."""

    def __init__(self, passage_vectors, window_vectors):
        self.passage_vectors, self.window_vectors = passage_vectors, window_vectors

    def encode_passages(self, passages, batch_size=128, show_progress=False):
        return np.array([self.passage_vectors[p.id] for p in passages], dtype=np.float32)

    def encode_windows(self, windows, batch_size=64):
        return np.array([self.window_vectors[w.id] for w in windows], dtype=np.float32)


def test_mining_returns_top_scoring_non_gold_passages():
    passages = [Passage(f"P{i}", f"t{i}", "") for i in range(6)]
    passage_vectors = {f"P{i}": [float(i), 1.0] for i in range(6)}  # window (1, 0) ranks P5 > P4 > ...
    windows = [Window("w", "d", "x", 0, 1), Window("v", "d", "y", 0, 1)]
    model = _FixedRetriever(passage_vectors, {"w": [1.0, 0.0], "v": [-1.0, 0.0]})
    examples = [RetrieverExample(windows[0], ("P4",)), RetrieverExample(windows[1], ("P0", "P1"))]
    mined = mine_hard_negatives(model, examples, passages, limit=2)
    assert mined == {"w": ("P5", "P3"), "v": ("P2", "P3")}
    assert mine_hard_negatives(model, examples, passages, limit=2, probability=0.0) == {}
