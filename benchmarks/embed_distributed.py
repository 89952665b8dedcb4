"""Passage embeddings on a Dask cluster through Dagster (`relik_assets.distributed`): 1 vs 2 workers, then the whole KB.

    python benchmarks/embed_distributed.py subset   # 50k passages, 1 worker then 2 workers (1 thread each)
    python benchmarks/embed_distributed.py full     # every passage, 32 shards, 2 workers; re-run to resume
    python benchmarks/embed_distributed.py progress # the finished shards of a running full run, into the JSON

Encoder: the zero-shot MiniLM backbone saved as a retriever directory (`<out>/el/retriever_zero_shot`,
passage side truncated to 32 tokens). The subset is the KB passages whose sha1 bucket is 0 (spread
over the whole file, not its alphabetical head), capped at `--subset`. Throughput is read from the
shard manifests: passages / the busiest worker's summed shard seconds (`embed_passages_per_second`,
steady state), beside passages / job wall time (cluster start and worker imports included).
The full run writes `<out>/el/passage_embeddings/shard-<i>`; its wall time is first shard start to
last shard end (from the manifests, so a resumed run is timed honestly). Results:
benchmarks/results/embed_distributed.json (each phase updates its own section).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import dagster as dg  # noqa: E402

from relik_assets.distributed import ClusterConfig, ShardEmbeddingResource, execute_embedding_job  # noqa: E402
from relik_ml.io import atomic_directory, iter_jsonl, read_json, write_json, write_jsonl  # noqa: E402
from relik_ml.pipeline.embedding_shards import shard_of  # noqa: E402
from relik_ml.pipeline.summary import PASSAGES_FILE  # noqa: E402

RESULTS = ROOT / "benchmarks/results/embed_distributed.json"


def zero_shot_retriever(directory: Path, backbone: str, max_passage_tokens: int) -> Path:
    """The untrained backbone as a retriever directory (what a 0-step retriever run saves)."""
    from relik_ml.retriever.configuration import RelikRetrieverConfig
    from relik_ml.retriever.encoder import Retriever

    if not (directory / "config.json").exists():
        model = Retriever.from_backbone(RelikRetrieverConfig(backbone=backbone, max_passage_tokens=max_passage_tokens))
        with atomic_directory(directory) as tmp:
            model.save_pretrained(tmp)
    return directory


def subset_passages(kb: Path, directory: Path, size: int) -> Path:
    """`size` passages spread over the KB: those in sha1 bucket 0 of total/size buckets (the id is
    salted, so the subset's ids still spread evenly over the embedding shards' own sha1 buckets)."""
    if (directory / PASSAGES_FILE).exists():
        return directory
    total = read_json(kb / "manifest.json")["counts"]["passages"]
    buckets = max(1, total // size)

    def rows():
        kept = 0
        for _, obj in iter_jsonl(kb / PASSAGES_FILE):
            if kept < size and shard_of(f"subset/{obj['id']}", buckets) == 0:
                kept += 1
                yield obj

    with atomic_directory(directory) as tmp:
        write_jsonl(tmp / PASSAGES_FILE, rows())
    return directory


def shard_manifests(out: Path, shards: int) -> list[dict]:
    return [read_json(out / f"shard-{i}/manifest.json") for i in range(shards)]


def throughput(manifests: list[dict]) -> dict:
    busy: dict[int, float] = defaultdict(float)
    for m in manifests:
        busy[m["built_by"]["pid"]] += m["seconds"]
    passages = sum(m["counts"]["passages"] for m in manifests)
    return {"passages": passages, "workers_used": len(busy), "busiest_worker_seconds": round(max(busy.values()), 1),
            "embed_passages_per_second": round(passages / max(busy.values()), 1),
            "torch_threads": sorted({m["built_by"]["torch_threads"] for m in manifests})}


def run_job(resource: ShardEmbeddingResource, cluster: ClusterConfig, dagster_home: Path) -> float:
    dagster_home.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with dg.DagsterInstance.local_temp(str(dagster_home)) as instance:
        result = execute_embedding_job(resource, cluster, instance)
    if not result.success:
        raise SystemExit(f"embedding job failed (run {result.run_id}); see {dagster_home}")
    return time.perf_counter() - started


def run_subset(args: argparse.Namespace, retriever: Path) -> dict:
    work = args.out / ".work/embed_distributed"
    passages = subset_passages(args.kb, work / "subset_passages", args.subset)
    rows = {}
    for workers in (1, 2):
        repeats = []
        for repeat in range(args.repeats):
            out = work / f"subset_w{workers}"
            shutil.rmtree(out, ignore_errors=True)
            resource = ShardEmbeddingResource(retriever=str(retriever), passages=str(passages), out=str(out),
                                              shards=args.subset_shards, batch_size=args.batch_size)
            wall = run_job(resource, ClusterConfig(workers=workers, threads_per_worker=1), work / "dagster_home")
            measured = throughput(shard_manifests(out, args.subset_shards))
            repeats.append({**measured, "job_wall_seconds": round(wall, 1),
                            "job_passages_per_second": round(measured["passages"] / wall, 1)})
            print(f"{workers} worker(s), repeat {repeat}: {repeats[-1]}", flush=True)
        rows[f"{workers}_workers"] = {
            "embed_passages_per_second_median": statistics.median(r["embed_passages_per_second"] for r in repeats),
            "job_passages_per_second_median": statistics.median(r["job_passages_per_second"] for r in repeats),
            "repeats": repeats,
        }
    speedup = rows["2_workers"]["embed_passages_per_second_median"] / rows["1_workers"]["embed_passages_per_second_median"]
    return {"passages": args.subset, "shards": args.subset_shards, "batch_size": args.batch_size, **rows,
            "speedup_2_over_1": round(speedup, 2)}


def _timestamp(manifest: dict) -> float:
    return datetime.strptime(manifest["created"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def full_settings(args: argparse.Namespace, results: dict) -> dict:
    """The full run's settings and its duration estimated from the subset's 2-worker rate."""
    passages = read_json(args.kb / "manifest.json")["counts"]["passages"]
    settings = {"kb_passages": passages, "shards": args.shards, "workers": 2, "threads_per_worker": 1,
                "batch_size": args.batch_size, "out": str((args.out / "el/passage_embeddings").relative_to(ROOT))}
    rate = results.get("subset", {}).get("2_workers", {}).get("embed_passages_per_second_median")
    if rate:
        settings["estimate_hours_from_subset_2_worker_rate"] = round(passages / rate / 3600, 1)
    return settings


def full_progress(args: argparse.Namespace) -> dict:
    """What the finished shards say so far (a running or resumed full run)."""
    out = args.out / "el/passage_embeddings"
    manifests = [read_json(out / f"shard-{i}/manifest.json") for i in range(args.shards)
                 if (out / f"shard-{i}/manifest.json").exists()]
    if not manifests:
        return {"shards_finished": 0}
    starts, ends = [_timestamp(m) - m["seconds"] for m in manifests], [_timestamp(m) for m in manifests]
    return {"shards_finished": len(manifests),
            "wall_seconds_first_shard_start_to_last_end": round(max(ends) - min(starts)), **throughput(manifests),
            "per_shard": [{"shard": m["counts"]["shard"], "passages": m["counts"]["passages"], "seconds": m["seconds"],
                           "read_seconds": m["read_seconds"], "pid": m["built_by"]["pid"]} for m in manifests]}


def run_full(args: argparse.Namespace, retriever: Path, results: dict) -> dict:
    settings = full_settings(args, results)
    write_results({**results, "full": {**settings, "status": "running", "started": time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime())}})
    resource = ShardEmbeddingResource(retriever=str(retriever), passages=str(args.kb), out=str(ROOT / settings["out"]),
                                      shards=args.shards, batch_size=args.batch_size)
    wall = run_job(resource, ClusterConfig(workers=2, threads_per_worker=1), args.out / ".work/embed_distributed/dagster_home")
    return {**settings, "status": "complete", "last_invocation_wall_seconds": round(wall), **full_progress(args)}


def environment() -> dict:
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    packages = ("dask", "distributed", "dagster", "dagster-dask", "torch", "transformers")
    return {"engine": "Dagster job (one op per shard) on dagster_dask.dask_executor, Dask distributed LocalCluster "
                      "(worker processes on 127.0.0.1)",
            "versions": {name: version(name) for name in packages}, "git_commit": commit,
            "machine": f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), shared with other "
                       "jobs during the runs (load average above the core count), CPU only",
            "load_average_at_write": [round(x, 1) for x in os.getloadavg()]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("phase", choices=("subset", "full", "progress"))
    parser.add_argument("--kb", type=Path, default=ROOT / "data/real-wiki/entity_passages")
    parser.add_argument("--out", type=Path, default=ROOT / "data/real-wiki")
    parser.add_argument("--backbone", default="minilm-l6")
    parser.add_argument("--max-passage-tokens", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--subset", type=int, default=50_000)
    parser.add_argument("--subset-shards", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--shards", type=int, default=32)
    args = parser.parse_args()
    args.kb, args.out = args.kb.resolve(), args.out.resolve()
    retriever = zero_shot_retriever(args.out / "el/retriever_zero_shot", args.backbone, args.max_passage_tokens)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["encoder"] = {"backbone": args.backbone, "retriever": "zero-shot (untrained) MiniLM-L6",
                          "max_passage_tokens": args.max_passage_tokens}
    started = time.perf_counter()
    if args.phase == "progress":
        results["full"] = {**results.get("full", {}), **full_settings(args, results), **full_progress(args)}
    else:
        section = run_subset(args, retriever) if args.phase == "subset" else run_full(args, retriever, results)
        results[args.phase] = {**section, "phase_wall_seconds": round(time.perf_counter() - started)}
    write_results(results)
    print(json.dumps(results[args.phase if args.phase != "progress" else "full"], indent=2)[:3000])


def write_results(results: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    write_json(RESULTS, {**results, **environment()})


if __name__ == "__main__":
    main()
