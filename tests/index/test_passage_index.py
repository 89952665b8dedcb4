from __future__ import annotations

import json

import numpy as np
import pytest

from relik_ml.errors import InputError
from relik_ml.index import IndexConfig, PassageIndex, exact_search, recall_at_k

FLAT = IndexConfig(recall_check_queries=0)
HNSW = IndexConfig(factory="HNSW16", ef_search=64, recall_check_queries=50, recall_k=10)
IVFPQ = IndexConfig(factory="IVF16,PQ8x4", nprobe=4, recall_check_queries=50, recall_k=10)
FACTORIES = {"flat": FLAT, "hnsw": HNSW, "ivfpq": IVFPQ}


def exact_ids(vectors, ids, queries, k, metric="ip"):
    _, positions = exact_search(vectors, queries, k, metric=metric)
    return [[ids[p] for p in row] for row in positions.tolist()]


@pytest.mark.parametrize("metric", ["ip", "l2"])
def test_flat_returns_the_exact_search_results(vectors, ids, queries, metric):
    index = PassageIndex.build(vectors, ids, IndexConfig(metric=metric, recall_check_queries=0))
    scores, found = index.search(queries, k=10)
    exact_scores, positions = exact_search(vectors, queries, 10, metric=metric)
    assert found == [[ids[p] for p in row] for row in positions.tolist()]
    np.testing.assert_allclose(scores, exact_scores, rtol=1e-4, atol=1e-4)
    assert scores.dtype == np.float32 and scores.shape == (len(queries), 10)


def test_batched_search_equals_one_batch(vectors, ids, queries):
    index = PassageIndex.build(vectors, ids, FLAT)
    assert index.search(queries, 5, batch_size=7)[1] == index.search(queries, 5)[1]


def test_k_beyond_index_size_pads_with_empty_ids_and_minus_inf(vectors, ids, queries):
    index = PassageIndex.build(vectors[:4], ids[:4], FLAT)
    scores, found = index.search(queries[:2], k=6)
    assert sorted(found[0][:4]) == sorted(ids[:4]) and found[0][4:] == ["", ""]
    assert np.isfinite(scores[:, :4]).all() and np.isneginf(scores[:, 4:]).all()


@pytest.mark.parametrize("name", ["hnsw", "ivfpq"])
def test_approximate_recall_is_measured_and_sane(vectors, ids, queries, name):
    index = PassageIndex.build(vectors, ids, FACTORIES[name])
    _, found = index.search(queries, 10)
    measured = recall_at_k(found, exact_ids(vectors, ids, queries, 10))
    assert index.build_recall is not None
    assert index.build_recall > {"hnsw": 0.9, "ivfpq": 0.6}[name]
    assert measured > {"hnsw": 0.9, "ivfpq": 0.6}[name]


def test_recall_check_can_be_skipped(vectors, ids):
    assert PassageIndex.build(vectors[:50], ids[:50], FLAT).build_recall is None


@pytest.mark.parametrize("name", list(FACTORIES))
def test_removed_ids_are_never_returned(vectors, ids, queries, name):
    index = PassageIndex.build(vectors, ids, FACTORIES[name])
    gone = set(ids[::3])
    assert index.remove(sorted(gone)) == len(gone)
    _, found = index.search(np.concatenate([queries, vectors[:30]]), k=50)
    returned = {item for row in found for item in row}
    assert not returned & gone
    assert len(index) == len(ids) - len(gone) and ids[0] not in index and ids[1] in index
    assert set(index.ids) == set(ids) - gone


@pytest.mark.parametrize("name", list(FACTORIES))
def test_added_and_upserted_vectors_are_found(vectors, ids, name):
    index = PassageIndex.build(vectors[:1500], ids[:1500], FACTORIES[name])
    index.add(vectors[1500:], ids[1500:])
    index.upsert(vectors[[1700, 1800]], ["Q5", "NEW"])  # Q5 now holds Q1700's vector
    _, found = index.search(vectors[[1600, 1700, 1800]], k=50)  # PQ codes are coarse: look deeper
    assert "Q1600" in found[0] and {"Q5", "Q1700"} <= set(found[1]) and "NEW" in found[2]
    assert len(index) == len(ids) + 1


def test_refresh_equals_rebuild(vectors, ids, queries):
    """Flat on A, minus X, plus Y gives exactly the results of Flat built on (A - X) + Y."""
    a_ids, y_ids = ids[:1800], ids[1800:]
    x_ids = set(ids[:1800:7])
    refreshed = PassageIndex.build(vectors[:1800], a_ids, FLAT)
    refreshed.remove(x_ids)
    refreshed.add(vectors[1800:], y_ids)
    keep = [i for i, item in enumerate(ids) if item not in x_ids]
    rebuilt = PassageIndex.build(np.ascontiguousarray(vectors[keep]), [ids[i] for i in keep], FLAT)
    probe = np.concatenate([queries, vectors[:40]])
    refreshed_scores, refreshed_ids = refreshed.search(probe, k=20)
    rebuilt_scores, rebuilt_ids = rebuilt.search(probe, k=20)
    assert refreshed_ids == rebuilt_ids
    np.testing.assert_array_equal(refreshed_scores, rebuilt_scores)
    assert sorted(refreshed.ids) == sorted(rebuilt.ids)


def test_hnsw_tombstones_until_compaction(vectors, ids, queries):
    index = PassageIndex.build(vectors, ids, IndexConfig(factory="HNSW16", recall_check_queries=0, compact_fraction=0.1))
    index.remove(ids[:100])
    assert index.stored_vectors == len(ids)  # tombstoned, graph untouched
    before = index.search(queries, 10)[1]
    index.remove(ids[100:250])  # 250 > 10% of 2000: the graph is rebuilt from live vectors
    assert index.stored_vectors == len(index) == len(ids) - 250
    _, after = index.search(queries, 10)
    assert not {item for row in after for item in row} & set(ids[:250])
    assert recall_at_k(after, before) > 0.8


def test_int_ids_come_from_a_counter_and_are_never_reused(vectors, ids, tmp_path):
    index = PassageIndex.build(vectors[:10], ids[:10], FLAT)
    index.remove(["Q3"])
    index.add(vectors[10:12], ["Q3", "Q10"])
    index.save(tmp_path / "idx")
    lines = (tmp_path / "idx" / "ids.txt").read_text().splitlines()
    assert "3\tQ3" not in lines and "10\tQ3" in lines and "11\tQ10" in lines
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert manifest["next_int_id"] == 12 and manifest["counts"]["ids"] == 11 and manifest["dim"] == 32


@pytest.mark.parametrize("name", list(FACTORIES))
def test_save_load_round_trip(vectors, ids, queries, tmp_path, name):
    index = PassageIndex.build(vectors, ids, FACTORIES[name])
    index.remove(ids[:20])
    index.save(tmp_path / "idx")
    loaded = PassageIndex.load(tmp_path / "idx")
    assert loaded.search(queries, 10)[1] == index.search(queries, 10)[1]
    assert loaded.ids == index.ids and loaded.config == index.config and loaded.dim == 32
    assert loaded.build_recall == index.build_recall and loaded.stored_vectors == index.stored_vectors
    loaded.add(vectors[:1], ["LATE"])
    assert "LATE" in loaded and "LATE" in loaded.search(vectors[:1], 10)[1][0]


def test_save_replaces_an_existing_artifact(vectors, ids, tmp_path):
    PassageIndex.build(vectors[:10], ids[:10], FLAT).save(tmp_path / "idx")
    PassageIndex.build(vectors[:5], ids[:5], FLAT).save(tmp_path / "idx")
    assert len(PassageIndex.load(tmp_path / "idx")) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]


def test_use_gpu_without_a_gpu_searches_on_cpu(vectors, ids, queries):
    index = PassageIndex.build(vectors, ids, IndexConfig(use_gpu=True, recall_check_queries=0))
    assert index.search(queries, 5)[1] == exact_ids(vectors, ids, queries, 5)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda v, i: PassageIndex.build(v[:, :16].copy(), i, FLAT).add(v[:1], ["X"]), "dimension 32"),
        (lambda v, i: PassageIndex.build(v.astype(np.float64), i, FLAT), "float32"),
        (lambda v, i: PassageIndex.build(np.full_like(v, np.nan), i, FLAT), "NaN"),
        (lambda v, i: PassageIndex.build(v, i[:-1], FLAT), "1999 ids for 2000 vectors"),
        (lambda v, i: PassageIndex.build(v[:2], ["A", "A"], FLAT), "duplicate"),
        (lambda v, i: PassageIndex.build(v[:1], ["A\tB"], FLAT), "tabs"),
        (lambda v, i: PassageIndex.build(v[:0], [], FLAT), "zero vectors"),
        (lambda v, i: PassageIndex.build(v[:10], i[:10], FLAT).add(v[:1], ["Q1"]), "already indexed"),
        (lambda v, i: PassageIndex.build(v[:10], i[:10], FLAT).remove(["Q1", "nope"]), "not in the index"),
        (lambda v, i: PassageIndex.build(v[:10], i[:10], FLAT).search(v[:1], 0), "k and batch_size"),
        (lambda v, i: PassageIndex.build(v, i, IndexConfig(factory="Bogus9")), "could not parse"),
        (lambda v, i: PassageIndex.build(v[:50], i[:50], IndexConfig(factory="IVF256,Flat")), "training"),
        (lambda v, i: IndexConfig(metric="cos"), "metric"),
    ],
)
def test_bad_input_raises_input_error(vectors, ids, call, message):
    with pytest.raises(InputError, match=message):
        call(vectors, ids)


def test_failed_remove_changes_nothing(vectors, ids):
    index = PassageIndex.build(vectors[:10], ids[:10], FLAT)
    with pytest.raises(InputError):
        index.remove(["Q1", "nope"])
    assert len(index) == 10 and "Q1" in index


def test_searching_an_emptied_index_is_an_error(vectors, ids):
    index = PassageIndex.build(vectors[:3], ids[:3], FLAT)
    index.remove(ids[:3])
    with pytest.raises(InputError, match="empty index"):
        index.search(vectors[:1], 1)


def test_load_rejects_ids_that_disagree_with_the_index(vectors, ids, tmp_path):
    PassageIndex.build(vectors[:10], ids[:10], FLAT).save(tmp_path / "idx")
    ids_file = tmp_path / "idx" / "ids.txt"
    ids_file.write_text("".join(ids_file.read_text().splitlines(keepends=True)[:-1]))
    with pytest.raises(InputError, match=r"ids.txt: 9 ids \+ 0 removed do not match the 10 vectors"):
        PassageIndex.load(tmp_path / "idx")


def test_load_reports_the_bad_line_of_ids_txt(vectors, ids, tmp_path):
    PassageIndex.build(vectors[:3], ids[:3], FLAT).save(tmp_path / "idx")
    (tmp_path / "idx" / "ids.txt").write_text("0\tQ0\nx\tQ1\n2\tQ2\n")
    with pytest.raises(InputError, match=r"ids.txt:2: int id is not an integer"):
        PassageIndex.load(tmp_path / "idx")


def test_load_rejects_a_corrupt_index_file(vectors, ids, tmp_path):
    PassageIndex.build(vectors[:3], ids[:3], FLAT).save(tmp_path / "idx")
    (tmp_path / "idx" / "index.faiss").write_bytes(b"not faiss")
    with pytest.raises(InputError, match="index.faiss: not a readable FAISS index"):
        PassageIndex.load(tmp_path / "idx")


def test_load_without_manifest_is_an_error(tmp_path):
    with pytest.raises(InputError, match="manifest"):
        PassageIndex.load(tmp_path)
