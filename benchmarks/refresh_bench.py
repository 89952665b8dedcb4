"""Refresh vs full rebuild of a Flat passage index at 1M entries, through the project's own refresh path.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/refresh_bench.py --size 1000000 --threads 2 \
        --out benchmarks/results/refresh_real.json
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/refresh_bench.py --size 20000 --out /tmp/refresh_smoke.json

The KB (benchmarks/kb_from_shared.py, or `--passages` JSON lines; seeded shuffle) is split into
`--base-passages` real passages, embedded with the retriever in timed chunks of `--chunk` (the
embedding rate: median over chunks), and the rest. The old KB has `--size` entries: the base
passages, then tiled copies `<id>#<copy>` with distinct synthetic texts `<text> [copy <c>]` (so
every entry has its own content hash) whose vectors are the base vectors plus a small Gaussian
perturbation. The newer KB removes `--removed-fraction` of the entries, gives `--changed-fraction`
of `--size` real passages from the rest of the KB, `--changed-share` of them to existing tiled ids
(changed content) and the others to new ids `<id>@new`. Timed, in one run: the Flat build of the
old KB; `refresh_index` end to end (content-hash diff, embedding the new and changed passages with
the retriever, remove/upsert in place); the Flat build of the final KB's vectors; the build of an
`--ivf-factory` index of the old KB and the same refresh applied to it with the vectors already
embedded (index-only). Derived: the full rebuild = final KB size / measured embedding rate +
the timed Flat build, since embedding 1M passages on a CPU cannot be timed here; the rate used is
the faster (so the rebuild the smaller) of the median over the timed chunks and the refresh call's
own rate (one length-sorted pass over all new and changed passages, as the pipeline embeds a KB).
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import torch
import transformers
from index_bench import resolve_factory  # benchmarks/ is on sys.path when run as a script
from kb_from_shared import build_shared_kb

from relik_ml.errors import InputError
from relik_ml.index import IndexConfig, PassageIndex, diff_kb, refresh_index
from relik_ml.index.refresh import Embed
from relik_ml.inference.model_dir import read_passage_file
from relik_ml.io import write_json
from relik_ml.pipeline.refresh import passage_hash
from relik_ml.retriever import Retriever, RetrieverConfig
from relik_ml.types import Passage

PROBES = 10  # new and as many changed passages searched after the refresh (sanity)


@dataclass(frozen=True)
class Change:
    """The newer KB as content hashes by id, what changed, and the passages the refresh embeds."""

    newer: dict[str, str]
    removed: list[str]
    changed: list[str]
    new: list[str]
    passages: dict[str, Passage]  # changed and new ids -> real passage text


class RecordingEmbed:
    """`embed(ids)` for `refresh_index`: encodes the newer KB's passages, keeping seconds and vectors."""

    def __init__(self, retriever: Retriever, passages: dict[str, Passage], batch_size: int) -> None:
        self.retriever, self.passages, self.batch_size = retriever, passages, batch_size
        self.seconds = 0.0
        self.vectors: dict[str, np.ndarray] = {}

    def __call__(self, ids: Sequence[str]) -> np.ndarray:
        began = time.perf_counter()
        out = self.retriever.encode_passages([self.passages[i] for i in ids], self.batch_size)  # (n, d)
        self.seconds += time.perf_counter() - began
        self.vectors.update(zip(ids, out))
        return out

    def replay(self, ids: Sequence[str]) -> np.ndarray:
        """The vectors `__call__` returned, for refreshing another index without embedding again."""
        return np.stack([self.vectors[i] for i in ids])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data", type=Path, default=Path("../shared/data"), help="shared data folder (KB source)")
    source.add_argument("--passages", type=Path, help="KB source instead: passages JSON lines (id, title, text)")
    parser.add_argument("--backbone", default="minilm-l6", help="retriever backbone name or local directory")
    parser.add_argument("--size", type=int, default=1_000_000, help="entries of the old KB / index")
    parser.add_argument("--changed-fraction", type=float, default=0.01, help="new + changed entries, fraction of --size")
    parser.add_argument("--changed-share", type=float, default=0.5, help="share of those that change existing ids")
    parser.add_argument("--removed-fraction", type=float, default=0.01, help="entries the newer KB drops")
    parser.add_argument("--base-passages", type=int, default=3072, help="real passages embedded for the rate and tiled")
    parser.add_argument("--chunk", type=int, default=1024, help="passages per timed encode call of the rate")
    parser.add_argument("--batch-size", type=int, default=128, help="encode batch size (length-sorted)")
    parser.add_argument("--noise", type=float, default=0.01, help="tile perturbation std (x base vector std)")
    parser.add_argument("--ivf-factory", default="IVFauto,PQ32",
                        help="index-only comparison for this factory too (IVFauto: index_bench.py); '' skips it")
    parser.add_argument("--threads", type=int, default=2, help="torch and FAISS threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/refresh_real.json"))
    args = parser.parse_args(argv)
    for name in ("changed_fraction", "changed_share", "removed_fraction"):
        if not 0.0 <= getattr(args, name) <= 1.0:
            parser.error(f"--{name.replace('_', '-')} must be in [0, 1]")
    if min(args.size, args.base_passages, args.chunk, args.batch_size, args.threads) < 1:
        parser.error("--size, --base-passages, --chunk, --batch-size and --threads must be >= 1")
    return args


def load_kb(args: argparse.Namespace) -> list[Passage]:
    """The KB passages in a seeded random order."""
    passages = list(read_passage_file(args.passages).values()) if args.passages else build_shared_kb(args.data).passages
    random.Random(args.seed).shuffle(passages)
    return passages


def measure_rate(retriever: Retriever, passages: list[Passage], args: argparse.Namespace) -> tuple[np.ndarray, dict]:
    """Embed `passages` in timed chunks (each one length-sorted `encode_passages` call): vectors (n, d), rates."""
    retriever.encode_passages(passages[:32], args.batch_size)  # warm-up: first-call allocations
    parts, rates = [], []
    for start in range(0, len(passages), args.chunk):
        chunk = passages[start : start + args.chunk]
        began = time.perf_counter()
        parts.append(retriever.encode_passages(chunk, args.batch_size))
        rates.append(len(chunk) / (time.perf_counter() - began))
        print(f"rate: {start + len(chunk)} passages, {rates[-1]:.1f}/s", flush=True)
    seconds = sum(len(p) / r for p, r in zip(parts, rates))
    return np.concatenate(parts), {
        "passages": len(passages), "with_abstract": sum(bool(p.text) for p in passages), "chunk": args.chunk,
        "chunk_passages_per_s": [round(r, 2) for r in rates], "passages_per_s_median_over_chunks": statistics.median(rates),
        "passages_per_s_overall": len(passages) / seconds,
    }


def tile(base: np.ndarray, size: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """(size, d) float32: `base`, then copies of it plus Gaussian noise (std noise x base std), in blocks."""
    out = np.empty((size, base.shape[1]), dtype=np.float32)
    scale = np.float32(noise * float(base.std()))
    for start in range(0, size, 100_000):
        rows = np.arange(start, min(start + 100_000, size)) % len(base)
        out[start : start + len(rows)] = base[rows]
        if start + len(rows) > len(base):
            block = out[max(start, len(base)) : start + len(rows)]
            block += scale * rng.standard_normal(block.shape, dtype=np.float32)
    return out


def old_kb(base: list[Passage], size: int) -> tuple[list[str], dict[str, str]]:
    """Ids and content hashes of the old KB: the base passages, then tiled copies with distinct texts."""
    ids, hashes = [], {}
    for i in range(size):
        copy, passage = divmod(i, len(base))
        p = base[passage]
        entry = p if copy == 0 else Passage(f"{p.id}#{copy}", p.title, f"{p.text} [copy {copy}]")
        ids.append(entry.id)
        hashes[entry.id] = passage_hash(entry)
    if len(hashes) != size:
        raise InputError(f"{size - len(hashes)} tiled ids collide with KB ids", field="passages")
    return ids, hashes


def change(
    ids: list[str], held: dict[str, str], fresh: list[Passage], base: int, args: argparse.Namespace, rng: np.random.Generator
) -> Change:
    """The newer KB: drop some entries, give real passages to some tiled ids (changed) and to new ids."""
    count = round(args.changed_fraction * len(ids))
    changed_count = round(args.changed_share * count)
    if count > len(fresh):
        raise InputError(f"{count} new or changed passages asked, the KB has {len(fresh)}", field="changed_fraction")
    removed_at = rng.choice(len(ids), round(args.removed_fraction * len(ids)), replace=False)
    tiled = np.setdiff1d(np.arange(base, len(ids)), removed_at)  # tiled ids kept: their old text is synthetic
    if changed_count > len(tiled):
        raise InputError(f"{changed_count} changed ids asked, only {len(tiled)} tiled ids are kept", field="changed_share")
    changed = [ids[i] for i in np.sort(rng.choice(tiled, changed_count, replace=False))]
    new = [f"{p.id}@new" for p in fresh[changed_count:count]]
    texts = fresh[:count]
    passages = {pid: Passage(pid, p.title, p.text) for pid, p in zip(changed + new, texts)}
    removed = [ids[i] for i in np.sort(removed_at)]
    newer = dict(held)
    for pid in removed:
        del newer[pid]
    newer.update({pid: passage_hash(p) for pid, p in passages.items()})
    return Change(newer, removed, changed, new, passages)


def final_vectors(old: np.ndarray, ids: list[str], kb: Change, embedded: RecordingEmbed) -> np.ndarray:
    """The newer KB's vectors in its id order (kept old rows, changed rows replaced, new rows last)."""
    gone = set(kb.removed)
    keep = np.fromiter((i not in gone for i in ids), dtype=bool, count=len(ids))  # (n,)
    out = np.empty((len(kb.newer), old.shape[1]), dtype=np.float32)
    rows = np.flatnonzero(keep)
    kept = len(rows)
    np.take(old, rows, axis=0, out=out[:kept], mode="clip")  # "clip" writes into `out` unbuffered; rows are valid
    position = {pid: n for n, pid in enumerate(kb.newer)}
    if kb.changed:
        out[[position[pid] for pid in kb.changed]] = embedded.replay(kb.changed)
    if kb.new:
        out[kept:] = embedded.replay(kb.new)
    return out


def sanity(index: PassageIndex, kb: Change, embedded: RecordingEmbed) -> dict:
    """Ids after the refresh vs the newer KB; new and changed passages searched with their own vectors."""
    probes = kb.new[:PROBES] + kb.changed[:PROBES]
    found = index.search(embedded.replay(probes), 10)[1] if probes else []
    return {
        "ids_equal_newer_kb": len(index) == len(kb.newer) and set(index.ids) == set(kb.newer),
        "stale_ids": len(set(kb.removed) & set(index.ids)),
        "probes": len(probes),
        "probes_found_first": sum(row[0] == pid for row, pid in zip(found, probes)),
        "probes_in_top_10": sum(pid in row for row, pid in zip(found, probes)),
    }


def timed_build(vectors: np.ndarray, ids: list[str], factory: str, seed: int) -> tuple[PassageIndex, float]:
    """`PassageIndex.build` without the build-time recall check (a smaller, so conservative, rebuild)."""
    began = time.perf_counter()
    index = PassageIndex.build(vectors, ids, IndexConfig(factory=factory, recall_check_queries=0, seed=seed))
    return index, time.perf_counter() - began


def timed_refresh(index: PassageIndex, held: dict[str, str], kb: Change, embed: Embed) -> tuple[dict, float]:
    """One `refresh_index` call and its seconds."""
    began = time.perf_counter()
    counts = refresh_index(index, held, kb.newer, embed)
    return counts.to_json(), time.perf_counter() - began


def ivf_only(
    old: np.ndarray, ids: list[str], held: dict[str, str], kb: Change, embedded: RecordingEmbed, args: argparse.Namespace
) -> dict:
    """Build `--ivf-factory` over the old KB, then apply the same refresh in place with the embedded vectors."""
    factory = resolve_factory(args.ivf_factory, len(ids))
    index, build_s = timed_build(old, ids, factory, args.seed)
    counts, refresh_s = timed_refresh(index, held, kb, embedded.replay)
    return {"factory": factory, "build_old_kb_s": build_s, "refresh_in_place_s": refresh_s, "counts": counts,
            "build_over_refresh": build_s / refresh_s,
            "ids_equal_newer_kb": len(index) == len(kb.newer) and set(index.ids) == set(kb.newer)}


def timed_diff(held: dict[str, str], kb: Change) -> float:
    """Seconds of `diff_kb` alone over the same hashes (the part of the refresh that is pure Python)."""
    began = time.perf_counter()
    diff_kb(held, kb.newer)
    return time.perf_counter() - began


def phase() -> dict:
    """Load averages (1, 5, 15 min) and this process's peak RSS so far."""
    return {"load_1_5_15m": os.getloadavg(), "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def machine(args: argparse.Namespace) -> dict:
    return {
        "platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(), "faiss_omp_threads": args.threads, "torch": torch.__version__,
        "faiss": faiss.__version__, "transformers": transformers.__version__, "numpy": np.__version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def run(args: argparse.Namespace) -> dict:
    """The whole benchmark; returns the JSON report."""
    torch.set_num_threads(args.threads)
    faiss.omp_set_num_threads(args.threads)
    phases = {"start": phase()}
    rng = np.random.default_rng(args.seed)
    passages = load_kb(args)
    if args.base_passages > len(passages):
        raise InputError(f"{args.base_passages} base passages asked, the KB has {len(passages)}", field="base_passages")
    retriever = Retriever.from_backbone(RetrieverConfig(backbone=args.backbone))
    base_vectors, rate = measure_rate(retriever, passages[: args.base_passages], args)
    old = tile(base_vectors, args.size, args.noise, rng)
    ids, held = old_kb(passages[: args.base_passages], args.size)
    kb = change(ids, held, passages[args.base_passages :] + passages[: args.base_passages], args.base_passages, args, rng)
    flat, build_old_s = timed_build(old, ids, "Flat", args.seed)
    embedded = RecordingEmbed(retriever, kb.passages, args.batch_size)
    phases["before_refresh"] = phase()
    counts, refresh_s = timed_refresh(flat, held, kb, embedded)
    phases["after_refresh"] = phase()
    print(f"refresh: {refresh_s:.1f} s ({embedded.seconds:.1f} s embedding) {counts}", flush=True)
    checks = sanity(flat, kb, embedded)
    diff_s = timed_diff(held, kb)
    ivf = ivf_only(old, ids, held, kb, embedded, args) if args.ivf_factory else {"skipped": "--ivf-factory ''"}
    phases["after_ivf"] = phase()
    final = final_vectors(old, ids, kb, embedded)
    del old
    rebuilt, rebuild_build_s = timed_build(final, list(kb.newer), "Flat", args.seed)
    probes = embedded.replay(kb.new[:PROBES] + kb.changed[:PROBES]) if kb.passages else final[:PROBES]
    checks["same_top_10_as_rebuild"] = flat.search(probes, 10)[1] == rebuilt.search(probes, 10)[1]
    phases["end"] = phase()
    rate["refresh_call_passages_per_s"] = len(kb.passages) / embedded.seconds if embedded.seconds else None
    rebuild = rebuild_figures(len(kb.newer), rate, rebuild_build_s)
    index_refresh_s = refresh_s - embedded.seconds
    return {
        "args": vars(args),
        "machine": {**machine(args), "phases": phases},
        "data": {
            "kb_source": str(args.passages or args.data), "kb_passages": len(passages), "backbone": args.backbone,
            "dim": int(base_vectors.shape[1]), "old_kb_size": args.size, "final_kb_size": len(kb.newer),
            "vectors": f"{args.base_passages} real passages embedded by the retriever, tiled to {args.size} with "
                       f"Gaussian noise (std {args.noise} x data std); tiled ids carry synthetic distinct texts",
            "embedded_by_refresh": f"{len(kb.passages)} real KB passages, with_abstract "
                                   f"{sum(bool(p.text) for p in kb.passages.values())}",
            "removed": len(kb.removed), "changed": len(kb.changed), "new": len(kb.new),
        },
        "embedding_rate": {**rate, "batch_size": args.batch_size},
        "refresh": {"timed_s": refresh_s, "embed_s": embedded.seconds, "diff_and_index_s": index_refresh_s, "counts": counts,
                    "what": "timed: one refresh_index call (content-hash diff, embedding the new and changed "
                            "passages, remove/upsert in the Flat index)"},
        "rebuild": rebuild,
        "rebuild_over_refresh": rebuild["s"] / refresh_s,
        "refresh_under_1_20_of_rebuild": refresh_s < rebuild["s"] / 20,
        "index_only": {
            "Flat": {"build_old_kb_s": build_old_s, "build_final_kb_s": rebuild_build_s,
                     "refresh_in_place_s": index_refresh_s, "build_over_refresh": rebuild_build_s / index_refresh_s,
                     "diff_kb_s": diff_s,
                     "what": "refresh_in_place_s = the refresh call minus its embedding (hash check, diff, remove, "
                             "upsert); diff_kb_s = diff_kb alone, timed again after the refresh"},
            "ivf": ivf,
        },
        "sanity": checks,
    }


def rebuild_figures(size: int, rate: dict, build_s: float) -> dict:
    """Full rebuild = `size` / embedding rate (derived) + the timed build, at the faster measured rate."""
    rates = {name: rate[name] for name in ("passages_per_s_median_over_chunks", "refresh_call_passages_per_s") if rate[name]}
    used = max(rates, key=rates.__getitem__)  # the faster rate: the smaller, so conservative, rebuild
    return {
        "s": size / rates[used] + build_s, "embed_s_derived": size / rates[used], "flat_build_s_timed": build_s,
        "rate_used": used, **{f"s_at_{name}": size / value + build_s for name, value in rates.items()},
        "what": f"derived: {size} passages / measured embedding rate (the faster of the median over the timed "
                "chunks and the refresh call's own rate); timed: Flat build of the final KB's vectors "
                "(no build-time recall check)",
    }


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    report = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_name(args.out.name + ".partial")
    write_json(partial, report)
    partial.replace(args.out)
    return report


if __name__ == "__main__":
    main()
