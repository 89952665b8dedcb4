"""benchmarks/refresh_bench.py end to end on a tiny backbone: the refresh it times must be correct."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from relik_ml.backbones import tiny_backbone
from relik_ml.io import write_jsonl
from relik_ml.types import Passage

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))  # the benchmarks import as scripts

import refresh_bench  # noqa: E402


def test_refresh_bench_small(tmp_path: Path) -> None:
    kb = tmp_path / "kb.jsonl"
    write_jsonl(kb, [Passage(f"Q{i}", f"Entity {i}", f"an entity described by number {i}" * (i % 3)) for i in range(120)])
    out = tmp_path / "refresh.json"
    report = refresh_bench.main([
        "--passages", str(kb), "--backbone", str(tiny_backbone(tmp_path / "backbone")), "--size", "5000",
        "--changed-fraction", "0.01", "--base-passages", "40", "--chunk", "16", "--threads", "1",
        "--ivf-factory", "IVF16,Flat", "--out", str(out),
    ])
    assert json.loads(out.read_text()) == json.loads(json.dumps(report, default=str))
    assert report["refresh"]["counts"] == {"added": 25, "updated": 25, "removed": 50, "unchanged": 4925,
                                           "embedded": 50, "size": 4975}
    assert report["data"]["final_kb_size"] == 4975
    assert report["sanity"]["ids_equal_newer_kb"] and report["sanity"]["stale_ids"] == 0
    assert report["sanity"]["same_top_10_as_rebuild"]
    sanity = report["sanity"]  # a random tiny encoder's dot products need not rank a vector's own id first
    assert sanity["probes"] == 20 and 0 <= sanity["probes_found_first"] <= sanity["probes_in_top_10"] <= 20
    assert report["index_only"]["ivf"]["ids_equal_newer_kb"]
    assert report["index_only"]["ivf"]["counts"] == report["refresh"]["counts"]
    assert len(report["embedding_rate"]["chunk_passages_per_s"]) == 3
    rebuild = report["rebuild"]
    assert rebuild["s"] == rebuild["embed_s_derived"] + rebuild["flat_build_s_timed"]
    assert rebuild["s"] == min(rebuild["s_at_passages_per_s_median_over_chunks"], rebuild["s_at_refresh_call_passages_per_s"])
    assert report["rebuild_over_refresh"] == rebuild["s"] / report["refresh"]["timed_s"]
