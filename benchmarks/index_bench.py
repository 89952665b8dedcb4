"""Benchmark `relik_ml.index.PassageIndex` factories: build, memory, latency, recall, refresh.

Build times are medians over `--build-repeats` builds (sizes up to `--repeat-max-size`, and
no further repeat once `--repeat-budget-s` seconds went into building; larger sizes once), search latency the median over query batches, refresh the median over
`--refresh-repeats` rounds of removing and adding `--refresh-fraction` of the vectors in place.

    python benchmarks/index_bench.py --synthetic --sizes 20000 --factories Flat HNSW32 IVF256,PQ32
    python benchmarks/index_bench.py --embeddings E.npy --ids ids.txt --sizes 100000 1000000

Real embeddings smaller than a size are tiled with a small Gaussian perturbation (recorded as
"tiled_from"). Queries are indexed rows plus the same perturbation; ground truth is the exact
torch search. Random vectors are no test of approximate indexes, hence `--synthetic` is clustered.
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import psutil
import torch

from relik_ml.errors import InputError
from relik_ml.index import IndexConfig, PassageIndex, exact_search, recall_at_k
from relik_ml.io import write_json


@dataclass(frozen=True)
class Corpus:
    """Vectors (n, d) float32 with their string ids, and where they came from."""

    vectors: np.ndarray
    ids: list[str]
    tiled_from: int | None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--embeddings", type=Path, help="float32 .npy matrix (n, d)")
    source.add_argument("--synthetic", action="store_true", help="seeded clustered unit vectors")
    parser.add_argument("--ids", type=Path, help="one string id per line, aligned with --embeddings")
    parser.add_argument("--dim", type=int, default=384, help="dimension of --synthetic vectors")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--factories", nargs="+", default=["Flat", "HNSW32", "IVFauto,PQ32"],
                        help="FAISS factory strings; IVFauto = IVF with ~4*sqrt(n) lists (a power of two)")
    parser.add_argument("--refresh", nargs="*", default=["Flat", "HNSW32", "IVFauto,PQ32"], help="factories timed for refresh vs rebuild")
    parser.add_argument("--refresh-fraction", type=float, default=0.01, help="fraction removed and added by a refresh")
    parser.add_argument("--refresh-repeats", type=int, default=3, help="refresh rounds timed (median reported)")
    parser.add_argument("--build-repeats", type=int, default=3, help="builds timed per factory (median reported)")
    parser.add_argument("--repeat-max-size", type=int, default=200_000, help="larger sizes are built once")
    parser.add_argument("--repeat-budget-s", type=float, default=60.0, help="no further build repeats after this")
    parser.add_argument("--passages-per-s", type=float, default=None,
                        help="measured embedding rate (embed_bench.py): adds refresh vs rebuild including embedding")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=100, help="queries per timed search batch")
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--nprobe", type=int, default=IndexConfig.nprobe)
    parser.add_argument("--ef-search", type=int, default=IndexConfig.ef_search)
    parser.add_argument("--noise", type=float, default=0.01, help="perturbation std (x data std) for tiles and queries")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/index.json"))
    args = parser.parse_args(argv)
    if args.embeddings is not None and args.ids is None:
        parser.error("--embeddings needs --ids")
    return args


def synthetic(n: int, dim: int, seed: int) -> np.ndarray:
    """Unit vectors (n, dim): n/1000 clusters of 10 sub-clusters each, plus noise; built in chunks."""
    rng = np.random.default_rng(seed)
    clusters = max(n // 1000, 10)
    centres = rng.standard_normal((clusters, 1, dim)) + 0.7 * rng.standard_normal((clusters, 10, dim))
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        block = centres[rng.integers(0, clusters, m), rng.integers(0, 10, m)]  # (m, dim)
        block += 0.2 * rng.standard_normal((m, dim))
        out[start : start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def load_real(embeddings: Path, ids_path: Path) -> tuple[np.ndarray, list[str]]:
    """The .npy matrix (memory-mapped) and its aligned ids."""
    vectors = np.load(embeddings, mmap_mode="r")
    ids = ids_path.read_text(encoding="utf-8").splitlines()
    if vectors.ndim != 2 or len(ids) != len(vectors):
        raise InputError(f"{len(ids)} ids for embeddings of shape {vectors.shape}", path=ids_path)
    return vectors, ids


def corpus_of(args: argparse.Namespace, size: int, rng: np.random.Generator) -> Corpus:
    """`size` vectors: synthetic, the first rows of the real ones, or real ones tiled with noise."""
    if args.synthetic:
        return Corpus(synthetic(size, args.dim, args.seed), [f"S{i}" for i in range(size)], None)
    vectors, ids = load_real(args.embeddings, args.ids)
    if len(vectors) >= size:
        return Corpus(np.ascontiguousarray(vectors[:size], dtype=np.float32), ids[:size], None)
    reps = math.ceil(size / len(vectors))
    tiled = np.tile(np.asarray(vectors, dtype=np.float32), (reps, 1))[:size]  # (size, d)
    tiled[len(vectors) :] += perturbation(rng, (size - len(vectors), tiled.shape[1]), args.noise, tiled)
    tiled_ids = [f"{ids[i % len(ids)]}#{i // len(ids)}" if i >= len(ids) else ids[i] for i in range(size)]
    return Corpus(tiled, tiled_ids, len(vectors))


def perturbation(rng: np.random.Generator, shape: tuple[int, int], noise: float, like: np.ndarray) -> np.ndarray:
    return (noise * float(like[:10_000].std()) * rng.standard_normal(shape)).astype(np.float32)


def make_queries(corpus: Corpus, count: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Perturbed copies of `count` random indexed rows, (count, d)."""
    rows = corpus.vectors[np.sort(rng.choice(len(corpus.vectors), count, replace=False))]
    return np.ascontiguousarray(rows + perturbation(rng, rows.shape, noise, corpus.vectors))


def timed_batches(search, queries: np.ndarray, batch_size: int) -> tuple[float, list]:
    """Median seconds per query batch and the concatenated per-batch results."""
    times, results = [], []
    for start in range(0, len(queries), batch_size):
        began = time.perf_counter()
        results.append(search(queries[start : start + batch_size]))
        times.append(time.perf_counter() - began)
    return statistics.median(times), results


def exact_truth(corpus: Corpus, queries: np.ndarray, args: argparse.Namespace) -> tuple[dict, list[list[str]]]:
    """Ground-truth ids of the exact torch search, and its timing."""
    median, parts = timed_batches(lambda q: exact_search(corpus.vectors, q, args.k)[1], queries, args.batch_size)
    positions = np.concatenate(parts)
    truth = [[corpus.ids[p] for p in row] for row in positions.tolist()]
    return {"size": len(corpus.ids), "search_batch_median_s": median}, truth


def resolve_factory(factory: str, size: int) -> str:
    """`IVFauto` -> `IVF<nlist>` with nlist the power of two nearest 4*sqrt(size)."""
    if "IVFauto" not in factory:
        return factory
    return factory.replace("IVFauto", f"IVF{2 ** round(math.log2(4 * math.sqrt(size)))}")


def bench_factory(corpus: Corpus, queries: np.ndarray, truth: list[list[str]], factory: str, args) -> tuple[dict, PassageIndex]:
    """Median build time, index bytes, RSS delta, median batch latency and recall@k of one factory."""
    config = index_config(factory, args)
    repeats = args.build_repeats if len(corpus.ids) <= args.repeat_max_size else 1
    builds, index = [], None
    for _ in range(repeats):
        del index  # the previous build is freed before the next one is measured
        rss = psutil.Process().memory_info().rss
        began = time.perf_counter()
        index = PassageIndex.build(corpus.vectors, corpus.ids, config)
        builds.append(time.perf_counter() - began)
        rss_delta = psutil.Process().memory_info().rss - rss
        if sum(builds) > args.repeat_budget_s:
            break
    build_s = statistics.median(builds)
    median, parts = timed_batches(lambda q: index.search(q, args.k)[1], queries, args.batch_size)
    found = [row for part in parts for row in part]
    return {
        "size": len(corpus.ids),
        "factory": factory,
        "build_s": build_s,
        "build_s_all": [round(b, 3) for b in builds],
        "peak_rss_bytes": int(psutil.Process().memory_info().rss),
        "index_bytes": int(faiss.serialize_index(index.faiss_index).nbytes),
        "rss_delta_bytes": int(rss_delta),
        "search_batch_median_s": median,
        "search_per_query_ms": 1000 * median / min(args.batch_size, len(queries)),
        f"recall_at_{args.k}": recall_at_k(found, truth),
    }, index


def index_config(factory: str, args: argparse.Namespace) -> IndexConfig:
    return IndexConfig(factory=factory, nprobe=args.nprobe, ef_search=args.ef_search, recall_check_queries=0, seed=args.seed)


def bench_refresh(index: PassageIndex, corpus: Corpus, queries: np.ndarray, factory: str, args, rng) -> dict:
    """Median time of removing and adding `refresh_fraction` in place vs one rebuild of the final state."""
    count = max(1, int(args.refresh_fraction * len(corpus.ids)))
    live = dict(zip(corpus.ids, range(len(corpus.ids))))  # id -> row of `rows`
    rows = [corpus.vectors]
    times = []
    for round_ in range(args.refresh_repeats):
        gone = rng.choice(np.array(list(live), dtype=object), count, replace=False).tolist()
        fresh = make_queries(corpus, count, args.noise * 10, rng)  # perturbed copies: new entities near old ones
        fresh_ids = [f"new{round_}-{i}" for i in range(count)]
        began = time.perf_counter()
        index.remove(gone)
        index.add(fresh, fresh_ids)
        times.append(time.perf_counter() - began)
        base = sum(len(r) for r in rows)
        for item in gone:
            del live[item]
        live.update({item: base + i for i, item in enumerate(fresh_ids)})
        rows.append(fresh)
    positions = np.fromiter(live.values(), dtype=np.int64, count=len(live))  # increasing: originals, then fresh
    original = positions[positions < len(corpus.vectors)]
    fresh_rows = np.concatenate(rows[1:])[positions[len(original):] - len(corpus.vectors)]
    vectors = np.concatenate([corpus.vectors[original], fresh_rows])  # (n, d) in the order of `live`
    final_ids = list(live)
    began = time.perf_counter()
    rebuilt = PassageIndex.build(vectors, final_ids, index_config(factory, args))
    rebuild_s = time.perf_counter() - began
    probe = queries[: args.batch_size]
    refresh_s = statistics.median(times)
    return {
        "size": len(corpus.ids),
        "factory": factory,
        "changed_per_round": count,
        "rounds": len(times),
        "refresh_s": refresh_s,
        "refresh_s_all": [round(t, 4) for t in times],
        "rebuild_s": rebuild_s,
        "speedup": rebuild_s / refresh_s,
        "refresh_under_1_20_of_rebuild": refresh_s < rebuild_s / 20,
        **end_to_end(count, len(corpus.ids), refresh_s, rebuild_s, args.passages_per_s),
        "same_results_as_rebuild": index.search(probe, args.k)[1] == rebuilt.search(probe, args.k)[1],
    }


def end_to_end(changed: int, size: int, refresh_s: float, rebuild_s: float, passages_per_s: float | None) -> dict:
    """Refresh vs rebuild including embedding: `changed` vs all `size` passages at the measured rate
    (embed_bench.py); the embedding part is derived from that rate, not timed here."""
    if not passages_per_s:
        return {}
    refresh = changed / passages_per_s + refresh_s
    rebuild = size / passages_per_s + rebuild_s
    return {"embed_passages_per_s": passages_per_s, "e2e_refresh_s": refresh, "e2e_rebuild_s": rebuild,
            "e2e_speedup": rebuild / refresh, "e2e_refresh_under_1_20_of_rebuild": refresh < rebuild / 20}


def run(args: argparse.Namespace) -> dict:
    """All sizes x factories; returns the JSON report."""
    faiss.omp_set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"machine": machine(args), "k": args.k, "queries": args.queries, "batch_size": args.batch_size, "data": [], "exact": [], "results": [], "refresh": []}
    for size in args.sizes:
        rng = np.random.default_rng(args.seed)
        corpus = corpus_of(args, size, rng)
        queries = make_queries(corpus, args.queries, args.noise, rng)
        report["data"].append(describe(corpus, args))
        exact, truth = exact_truth(corpus, queries, args)
        report["exact"].append(exact)
        for name in args.factories:
            factory = resolve_factory(name, size)
            result, index = bench_factory(corpus, queries, truth, factory, args)
            report["results"].append(result)
            print(json.dumps(result), flush=True)
            if name in args.refresh:
                report["refresh"].append(bench_refresh(index, corpus, queries, factory, args, rng))
                print(json.dumps(report["refresh"][-1]), flush=True)
            del index  # free it before the next build so RSS deltas do not overlap
            write_json(args.out, report)  # partial results survive a run cut short
    return report


def describe(corpus: Corpus, args: argparse.Namespace) -> dict:
    source = "synthetic-clustered" if args.synthetic else str(args.embeddings)
    return {"size": len(corpus.ids), "dim": int(corpus.vectors.shape[1]), "source": source, "tiled_from": corpus.tiled_from, "noise": args.noise}


def machine(args: argparse.Namespace) -> dict:
    return {
        "platform": platform.platform(),
        "cpus": psutil.cpu_count(),
        "threads": args.threads,
        "faiss": faiss.__version__,
        "torch": torch.__version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    report = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, report)


if __name__ == "__main__":
    main()
