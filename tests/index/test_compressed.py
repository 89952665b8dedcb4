"""Compressed two-stage (IVF-PQ + Refine) indexes, `factory: auto`, and building from memory-mapped parts."""
from __future__ import annotations

import faiss
import numpy as np
import pytest

from relik_ml.errors import InputError
from relik_ml.index import IndexConfig, PassageIndex, exact_search, recall_at_k, refresh_index
from relik_ml.index import config as index_config
from relik_ml.index.exact import exact_search_blocks

# the large-KB factory's shape at test size: IVF first pass over 4-bit fast-scan PQ, SQ8 re-scoring
REFINE = IndexConfig(factory="IVF16,PQ8x4fs,Refine(SQ8)", nprobe=8, k_factor=8, recall_check_queries=50, recall_k=10)


def exact_ids(vectors, ids, queries, k):
    _, positions = exact_search(vectors, queries, k)
    return [[ids[p] for p in row] for row in positions.tolist()]


def centroids(index: PassageIndex) -> np.ndarray:
    ivf = faiss.extract_index_ivf(index.faiss_index)
    return ivf.quantizer.reconstruct_n(0, ivf.nlist)


def test_refine_index_reaches_high_recall_and_k_factor_matters(vectors, ids, queries):
    index = PassageIndex.build(vectors, ids, REFINE)
    truth = exact_ids(vectors, ids, queries, 10)
    assert index.build_recall is not None and index.build_recall > 0.9
    assert recall_at_k(index.search(queries, 10)[1], truth) > 0.9
    index.set_search_knobs(k_factor=1, nprobe=1)  # PQ order only, one list: clearly worse
    assert index.config.k_factor == 1
    assert recall_at_k(index.search(queries, 10)[1], truth) < 0.8


def test_refine_scores_are_close_to_exact_dot_products(vectors, ids, queries):
    index = PassageIndex.build(vectors, ids, REFINE)
    scores, found = index.search(queries[:5], 3)
    position = {item: n for n, item in enumerate(ids)}
    exact = np.array([[vectors[position[i]] @ q for i in row] for row, q in zip(found, queries[:5])])
    np.testing.assert_allclose(scores, exact, atol=0.02)  # SQ8 re-scoring, not PQ distances


def test_refine_save_load_keeps_ids_knobs_and_results(vectors, ids, queries, tmp_path):
    index = PassageIndex.build(vectors, ids, REFINE)
    index.set_search_knobs(nprobe=4, k_factor=2)
    index.save(tmp_path / "idx")
    loaded = PassageIndex.load(tmp_path / "idx")
    assert loaded.ids == ids and loaded.config == index.config
    assert loaded.search(queries, 10)[1] == index.search(queries, 10)[1]
    assert faiss.extract_index_ivf(loaded.faiss_index).nprobe == 4


def test_refine_removal_tombstones_then_compacts_without_retraining(vectors, ids, queries):
    index = PassageIndex.build(vectors, ids, REFINE)
    trained = centroids(index)
    index.remove(ids[:100])
    assert index.stored_vectors == len(ids)  # tombstoned: positions of both stages stay aligned
    found = index.search(np.concatenate([queries, vectors[:100]]), 20)[1]
    assert not {item for row in found for item in row} & set(ids[:100])
    index.remove(ids[100:450])  # 450 > 20% of 2000: compacted
    assert index.stored_vectors == len(index) == len(ids) - 450
    np.testing.assert_array_equal(centroids(index), trained)
    live_ids = ids[450:]
    truth = exact_ids(vectors[450:], live_ids, queries, 10)
    assert recall_at_k(index.search(queries, 10)[1], truth) > 0.9
    index.add(vectors[:3], ["A", "B", "C"])
    assert all(new in row for new, row in zip("ABC", index.search(vectors[:3], 5)[1]))


def test_refine_index_refreshes_in_place(vectors, ids, queries):
    index = PassageIndex.build(vectors[:1500], ids[:1500], REFINE)
    held = {i: "v1" for i in ids[:1500]}
    newer = {i: "v1" for i in ids[100:1500]} | {i: "v1" for i in ids[1500:]}  # 100 removed, 500 new
    newer["Q200"] = "v2"  # changed: now holds Q1999's vector
    rows = {i: n for n, i in enumerate(ids)}

    def embed(batch):
        return np.stack([vectors[1999] if i == "Q200" else vectors[rows[i]] for i in batch])

    counts = refresh_index(index, held, newer, embed)
    assert (counts.added, counts.updated, counts.removed, counts.size) == (500, 1, 100, 1900)
    assert set(index.ids) == set(newer)
    found = index.search(vectors[[1600, 1999, 5]], 10)[1]
    assert "Q1600" in found[0] and "Q200" in found[1] and not set(found[2]) & set(ids[:100])


def test_auto_is_flat_for_small_kbs_and_the_benchmarked_index_for_large_ones():
    auto = IndexConfig(factory="auto", auto_threshold=1000)
    assert auto.resolved(999).factory == "Flat"
    large = auto.resolved(1000)
    assert large.factory == index_config.LARGE_KB_FACTORY
    assert {name: getattr(large, name) for name in index_config.LARGE_KB_KNOBS} == index_config.LARGE_KB_KNOBS
    assert IndexConfig(factory="HNSW32").resolved(10**9).factory == "HNSW32"


def test_auto_builds_flat_below_and_the_large_kb_index_above_the_threshold(vectors, ids, queries, tmp_path):
    auto = IndexConfig(factory="auto", auto_threshold=1000, recall_check_queries=0)
    small = PassageIndex.build(vectors[:999], ids[:999], auto)
    assert small.config.factory == "Flat" and small.search(queries, 5)[1] == exact_ids(vectors[:999], ids[:999], queries, 5)
    large = PassageIndex.build(vectors, ids, auto)
    assert large.config.factory == index_config.LARGE_KB_FACTORY
    assert recall_at_k(large.search(queries, 10)[1], exact_ids(vectors, ids, queries, 10)) > 0.95
    large.save(tmp_path / "idx")
    loaded = PassageIndex.load(tmp_path / "idx")
    assert loaded.config == large.config and loaded.config.factory != "auto"  # the manifest names the concrete index
    refresh_index(loaded, dict.fromkeys(ids, "v1"), dict.fromkeys(ids[10:], "v1") | {"NEW": "v1"},
                  lambda batch: vectors[:1])
    assert "NEW" in loaded and "Q3" not in loaded and "NEW" in loaded.search(vectors[:1], 10)[1][0]


@pytest.mark.parametrize("config", [IndexConfig(recall_check_queries=20, recall_k=10), REFINE], ids=["flat", "refine"])
def test_build_from_memory_mapped_parts_equals_build(vectors, ids, queries, tmp_path, config):
    parts = []
    for number, (start, end) in enumerate([(0, 700), (700, 1300), (1300, 2000)]):
        np.save(tmp_path / f"{number}.npy", vectors[start:end])
        parts.append((np.load(tmp_path / f"{number}.npy", mmap_mode="r"), ids[start:end]))
    streamed = PassageIndex.build_from_parts(parts, config, chunk_rows=256)
    whole = PassageIndex.build(vectors, ids, config)
    assert streamed.ids == whole.ids and streamed.build_recall == whole.build_recall
    assert streamed.search(queries, 10)[1] == whole.search(queries, 10)[1]


def test_parts_with_duplicate_ids_or_mismatched_shapes_are_errors(vectors, ids):
    with pytest.raises(InputError, match="already indexed"):
        PassageIndex.build_from_parts([(vectors[:10], ids[:10]), (vectors[10:20], ids[:10])])
    with pytest.raises(InputError, match="part 1: 9 ids for 10 vectors"):
        PassageIndex.build_from_parts([(vectors[:10], ids[:10]), (vectors[10:20], ids[10:19])])
    with pytest.raises(InputError, match="one dimension"):
        PassageIndex.build_from_parts([(vectors[:10], ids[:10]), (vectors[10:20, :16], ids[10:20])])


def test_exact_search_over_blocks_equals_one_search(vectors, queries):
    scores, positions = exact_search(vectors, queries, 30)
    block_scores, block_positions = exact_search_blocks((vectors[i : i + 300] for i in range(0, 2000, 300)), queries, 30)
    np.testing.assert_array_equal(block_positions, positions)
    np.testing.assert_allclose(block_scores, scores, rtol=1e-5, atol=1e-5)


def test_unknown_search_knob_is_an_error(vectors, ids):
    index = PassageIndex.build(vectors[:50], ids[:50], IndexConfig(recall_check_queries=0))
    with pytest.raises(InputError, match="not search knobs"):
        index.set_search_knobs(nlist=3)
