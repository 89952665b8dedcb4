from __future__ import annotations

import numpy as np
import pytest
import torch

from relik_ml.index import IndexConfig, PassageIndex
from relik_ml.io import write_jsonl
from relik_ml.retriever.config import RetrieverConfig, RetrieverTrainConfig
from relik_ml.retriever.data import RetrieverExample
from relik_ml.retriever.module import RetrieverModule
from relik_ml.retriever.pool import PoolConfig, draw_pool, stale_negatives
from relik_ml.retriever.train import train_retriever
from relik_ml.types import Passage, Window


class _LookupRetriever:
    """Embeds windows by a lookup table: a deterministic stand-in for the retriever that built the index."""

    def __init__(self, window_vectors):
        self.window_vectors = window_vectors

    def encode_windows(self, windows, batch_size=64):
        return np.array([self.window_vectors[w.id] for w in windows], dtype=np.float32)


def _window(wid: str) -> Window:
    return Window(wid, "d", "x", 0, 1)


def _kb(tmp_path, n: int):
    kb = tmp_path / "kb"
    kb.mkdir()
    write_jsonl(kb / "passages.jsonl", ({"id": f"P{i}", "title": f"t{i}", "text": ""} for i in range(n)))
    return kb


def test_stale_negatives_are_the_index_top_ranks_without_golds():
    vectors = np.array([[float(i), 1.0] for i in range(8)], dtype=np.float32)  # (1, 0) ranks P7 > P6 > ...
    index = PassageIndex.build(vectors, [f"P{i}" for i in range(8)], IndexConfig(factory="Flat"))
    model = _LookupRetriever({"w": [1.0, 0.0], "v": [-1.0, 0.0]})
    examples = [RetrieverExample(_window("w"), ("P6",)), RetrieverExample(_window("v"), ("P0", "P1"))]
    assert stale_negatives(model, index, examples, limit=3) == {"w": ("P7", "P5", "P4"), "v": ("P2", "P3", "P4")}
    assert stale_negatives(model, index, examples, limit=0) == {}


def test_pool_keeps_golds_and_stale_negatives_and_samples_the_rest_uniformly(tmp_path):
    kb = _kb(tmp_path, 1000)
    examples = [RetrieverExample(_window("w"), ("P3", "P999", "missing"))]
    pool = draw_pool(kb / "passages.jsonl", examples, {"w": ("P500", "P3")}, PoolConfig(size=100, seed=1))
    ids = [p.id for p in pool.passages]
    assert len(ids) == len(set(ids)) == 99  # the gold missing from the KB keeps its slot empty
    assert {"P3", "P999", "P500"} <= set(ids)
    assert pool.counts == {"kb_passages": 1000, "pool_passages": 99, "gold": 2, "gold_missing": 1,
                           "stale_negatives": 1, "sampled": 96}
    sampled = [int(i[1:]) for i in ids if i not in {"P3", "P999", "P500"}]
    assert max(sampled) > 900 and min(sampled) < 100  # spread over the whole file, not its head
    again = draw_pool(kb / "passages.jsonl", examples, {"w": ("P500",)}, PoolConfig(size=100, seed=1))
    other = draw_pool(kb / "passages.jsonl", examples, {"w": ("P500",)}, PoolConfig(size=100, seed=2))
    assert [p.id for p in again.passages] == ids and [p.id for p in other.passages] != ids


def test_pool_smaller_than_its_required_passages_keeps_them_all(tmp_path):
    kb = _kb(tmp_path, 50)
    examples = [RetrieverExample(_window(f"w{i}"), (f"P{i}",)) for i in range(10)]
    pool = draw_pool(kb / "passages.jsonl", examples, {}, PoolConfig(size=5))
    assert sorted(p.id for p in pool.passages) == sorted(f"P{i}" for i in range(10))
    assert pool.counts["sampled"] == 0


def test_pool_config_rejects_bad_values():
    with pytest.raises(ValueError, match="size"):
        PoolConfig(size=0)
    with pytest.raises(ValueError, match="stale_negatives_per_window"):
        PoolConfig(stale_negatives_per_window=-1)


def test_initial_negatives_serve_the_first_batches(tmp_path, monkeypatch, tiny_backbone_dir, toy_kb,
                                                   toy_train_windows, toy_dev_windows):
    torch.set_num_threads(1)
    seen: list[list[str]] = []
    original = RetrieverModule.training_step

    def recording_step(self, batch, batch_idx):
        seen.append(list(batch.passage_ids))
        return original(self, batch, batch_idx)

    monkeypatch.setattr(RetrieverModule, "training_step", recording_step)
    window = toy_train_windows[0]
    golds = {s.label for s in window.spans}
    negative = next(p.id for p in toy_kb if p.id not in golds)
    train = RetrieverTrainConfig(batch_size=1, passages_per_batch=3, max_steps=1, patience=None,
                                 eval_k=1, hard_negatives_per_window=5, seed=0)
    config = RetrieverConfig(backbone=str(tiny_backbone_dir), max_query_tokens=32, max_passage_tokens=32)
    train_retriever([window], toy_dev_windows, toy_kb, config, train, tmp_path / "r", accelerator="cpu",
                    initial_negatives={window.id: (negative, "not-in-the-kb")})
    assert negative in seen[0] and "not-in-the-kb" not in seen[0]


def test_retriever_stage_with_pool_size_trains_on_a_pool_of_the_kb(tmp_path, tiny_backbone_dir, toy_kb,
                                                                  toy_train_windows, toy_dev_windows):
    from relik_ml.pipeline import retrieval
    from relik_ml.pipeline.summary import PASSAGES_FILE, WINDOWS_FILE
    from relik_ml.tracking import TrackingConfig

    torch.set_num_threads(1)
    kb, train_dir, dev_dir = tmp_path / "kb", tmp_path / "train", tmp_path / "dev"
    extra = [Passage(f"X{i}", f"extra {i}", "") for i in range(20)]  # passages no window names
    for directory, rows in ((kb, [p.to_json() for p in [*toy_kb, *extra]]), (train_dir, [w.to_json() for w in toy_train_windows]),
                            (dev_dir, [w.to_json() for w in toy_dev_windows])):
        directory.mkdir()
        write_jsonl(directory / (PASSAGES_FILE if directory == kb else WINDOWS_FILE), rows)
    golds = {s.label for w in [*toy_train_windows, *toy_dev_windows] for s in w.spans}
    train = RetrieverTrainConfig(batch_size=4, passages_per_batch=8, max_steps=2, patience=None, eval_k=1,
                                 pool_size=len(golds) + 5, seed=0)
    config = RetrieverConfig(backbone=str(tiny_backbone_dir), max_query_tokens=32, max_passage_tokens=32)
    summary = retrieval.retriever("el/retriever", str(tiny_backbone_dir), [train_dir], [dev_dir], kb, config, train,
                                  TrackingConfig(enabled=False), tmp_path, tmp_path / "out", tmp_path / "work")
    assert summary.counts["passages"] == len(golds) + 5
    assert summary.counts["pool_gold"] == len(golds) and summary.counts["pool_sampled"] == 5
    assert summary.counts["pool_kb_passages"] == len(toy_kb) + len(extra)
