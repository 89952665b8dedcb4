"""benchmarks/index_wiki.py on small memory-mapped shards: the figures it reports must be right."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from relik_ml.index import exact_search

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))  # the benchmarks import as scripts

import index_wiki  # noqa: E402
from tests.index.conftest import clustered  # noqa: E402


def write_shard(directory: Path, vectors: np.ndarray, ids: list[str], manifest: bool = True) -> None:
    directory.mkdir(parents=True)
    np.save(directory / "embeddings.npy", vectors)
    (directory / "ids.txt").write_text("".join(f"{i}\n" for i in ids))
    if manifest:
        (directory / "manifest.json").write_text("{}")


def test_shards_truth_candidate_and_sweep(tmp_path):
    vectors = clustered(3050, dim=32, seed=3)
    ids = [f"E{i}" for i in range(3000)]
    for number, start in enumerate(range(0, 3000, 1000)):
        write_shard(tmp_path / "emb" / f"shard-{number}", vectors[start : start + 1000], ids[start : start + 1000])
    write_shard(tmp_path / "emb" / "shard-9", vectors[:5], ["x"] * 5, manifest=False)  # unfinished: skipped
    write_shard(tmp_path / "emb" / ".shard-8.tmp", vectors[:5], ["y"] * 5)
    shards = index_wiki.finished_shards(tmp_path / "emb")
    assert [s.name for s in shards] == ["shard-0", "shard-1", "shard-2"]
    parts = index_wiki.load_parts(shards, 2500)
    assert [len(v) for v, _ in parts] == [1000, 1000, 500] and parts[2][1][-1] == "E2499"

    queries = np.ascontiguousarray(vectors[3000:])
    args = argparse.Namespace(work_dir=tmp_path / "work", exact_chunk=700, train_size=2500, seed=0, add_chunk=600,
                              threads=1, repeats=1)
    args.work_dir.mkdir()
    truth = index_wiki.exact_truth(parts, queries, args)
    _, positions = exact_search(np.ascontiguousarray(vectors[:2500]), queries, index_wiki.K)
    assert truth["ids"] == [[ids[p] for p in row] for row in positions.tolist()]
    assert truth["ram_bytes_as_flat"] == 2500 * 32 * 4 and truth["search_s"] > 0

    figures, directory = index_wiki.build_candidate(parts, "HNSW16,SQ8", args)
    assert figures["index_file_bytes"] == (directory / "index.faiss").stat().st_size and figures["id_map_bytes"] > 0
    np.save(tmp_path / "queries.npy", queries)
    truth_path = tmp_path / "truth.json"
    index_wiki.write_json(truth_path, truth)
    child = index_wiki.main(["--search-loaded", str(directory), "--queries-npy", str(tmp_path / "queries.npy"),
                             "--truth-json", str(truth_path), "--sweep-json", json.dumps([{"ef_search": 16}, {"ef_search": 256}]),
                             "--threads", "1", "--repeats", "1"])
    low, high = child["sweep"]
    assert low["ef_search"] == 16 and high["recall_at_100"] > 0.9 and high["recall_at_100"] >= low["recall_at_100"]
    figures["sweep"] = child["sweep"]
    chosen = index_wiki.choose(figures, exact_s=1.0, target=0.9)
    assert chosen["recall_at_100"] >= 0.9 and chosen["speedup_vs_exact"] == round(1.0 / chosen["search_s"], 2)
    assert index_wiki.choose(figures, exact_s=1.0, target=1.01) is None


def test_projection_models():
    hnsw = {"factory": "HNSW32,SQ8", "build_s": 10.0, "index_file_bytes": 1000, "id_map_bytes": 100}
    projected = index_wiki.projection(hnsw, 1000, 1_000_000)
    assert projected["ram_bytes"] == 1_100_000 and projected["build_s"] == round(10.0 * 1000 * 2, 1)
    ivf = {"factory": "IVF128,SQ8", "train_s": 2.0, "add_s": 1.0, "build_s": 3.0, "index_file_bytes": 10, "id_map_bytes": 0}
    assert index_wiki.resolve_factory("IVFauto,SQ8", 1000) == "IVF128,SQ8"
    projected = index_wiki.projection(ivf, 1000, 4000)  # nlist 128 -> 256
    assert projected["build_s"] == 2.0 * 2 + 1.0 * 4 * 2 and projected["measured"] is False
