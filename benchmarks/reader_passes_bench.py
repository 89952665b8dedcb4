#!/usr/bin/env python
"""ReLiK reader time per window at K = 100 with every candidate read (several passes over a window
when they do not fit MiniLM's 512 positions) against the trimmed single pass (~94 of 100 read).

Same windows, candidates, backbone and untrained seeded heads as benchmarks/entqa_vs_relik.py (its
`windows_and_candidates`: 2 windows of each of the first 24 AIDA testa documents, each window's
gold entities then seeded KB passages, titles cut to 32 tokens). Timed: `read_windows` (what
`Relik.read` runs) with `split_candidates` True and False, on `--threads` torch threads, median over
`--rounds` rounds whose order alternates. Written as the "candidate_passes" section of
benchmarks/results/entqa_vs_relik.json (the other sections are kept).

    nice -n 15 .venv/bin/python benchmarks/reader_passes_bench.py
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.entqa_vs_relik import SEED, git_commit, windows_and_candidates  # noqa: E402

# mode → read_windows keywords
MODES = {"split": {"split_candidates": True}, "trimmed": {"split_candidates": False}}


def build_reader(k: int):
    import torch
    from transformers import AutoTokenizer

    from relik_ml.backbones.registry import resolve_backbone
    from relik_ml.reader.configuration import RelikReaderConfig
    from relik_ml.reader.inputs import add_reader_tokens
    from relik_ml.reader.modeling import RelikReaderModel

    backbone = str(resolve_backbone("minilm-l6"))
    torch.manual_seed(SEED)
    tokenizer = AutoTokenizer.from_pretrained(backbone)
    config = RelikReaderConfig(task="el", max_candidates=k, candidate_text="title")
    model = RelikReaderModel.from_backbone(backbone, config, vocab_size=add_reader_tokens(tokenizer, config))
    return model.eval(), tokenizer


def shapes(model, tokenizer, examples, split_candidates: bool) -> dict[str, Any]:
    """Candidates read, passes and input tokens per window (from the inputs `read_windows` builds)."""
    from relik_ml.inference.reading import encode_inputs, encode_passes

    if split_candidates:
        read = encode_passes(examples, tokenizer, model.config, with_labels=False)
        merged, passes = [r.merged for r in read], [r.passes for r in read]
    else:
        merged = encode_inputs(examples, tokenizer, model.config, with_labels=False)
        passes = [(i,) for i in merged]
    return {
        "candidates_read_per_window": round(statistics.mean(len(m.entities) - 1 for m in merged), 1),
        "windows_reading_all": sum(len(m.entities) - 1 == len(e.entities) for m, e in zip(merged, examples)),
        "passes_per_window": round(statistics.mean(len(p) for p in passes), 2),
        "max_passes": max(len(p) for p in passes),
        "input_tokens_per_window": round(statistics.mean(sum(len(i.input_ids) for i in p) for p in passes), 1),
        "longest_pass_tokens_per_window": round(statistics.mean(max(len(i.input_ids) for i in p) for p in passes), 1),
    }


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from relik_ml.inference.reading import read_windows
    from relik_ml.reader.data import ReaderExample
    from relik_ml.reader.inputs import TokenCache

    started = time.perf_counter()
    torch.set_num_threads(args.threads)
    args.ks, args.windows_per_doc, args.window_size, args.stride = [args.k], args.windows_per_doc, 32, 16
    windows, lists, data = windows_and_candidates(args)
    model, tokenizer = build_reader(args.k)
    examples = [ReaderExample(w, c[: args.k]) for w, c in zip(windows, lists)]
    budget = args.batch_size * 512
    cache = TokenCache(tokenizer, model.config)
    read_windows(model, tokenizer, examples[:4], max_tokens=budget, tokens=cache)  # warm-up, texts tokenized
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    loads = []
    for round_number in range(args.rounds):
        for mode in list(MODES) if round_number % 2 == 0 else list(MODES)[::-1]:  # alternating order
            begin = time.perf_counter()
            read_windows(model, tokenizer, examples, max_tokens=budget, tokens=cache, **MODES[mode])
            times[mode].append(time.perf_counter() - begin)
            loads.append(round(os.getloadavg()[0], 2))
            print(f"[{time.strftime('%H:%M:%S')}] round {round_number} {mode}: {times[mode][-1]:.1f} s "
                  f"(load {loads[-1]:.1f})", flush=True)
    results = {}
    for mode, keywords in MODES.items():
        median = statistics.median(times[mode])
        results[mode] = {"seconds": [round(t, 2) for t in times[mode]], "median_s": round(median, 2),
                         "ms_per_window": round(1000 * median / len(windows), 2),
                         "windows_per_s": round(len(windows) / median, 2), **shapes(model, tokenizer, examples, **keywords)}
    results["split_over_trimmed_time"] = round(results["split"]["median_s"] / results["trimmed"]["median_s"], 2)
    return {
        "description": (
            f"ReLiK reader at K={args.k}: every candidate read (candidates that do not fit 512 positions go in "
            "further passes over the same window, batched with it and merged: read_windows(split_candidates=True), "
            "the default; each pass as many candidates as fit, in rank order; first and later passes encoded as "
            "two batches) vs the trimmed single pass (split_candidates=False). Same windows and candidates as "
            "'results'; untrained seeded heads (time depends on shapes only); median over alternating rounds."),
        "config": {"k": args.k, "threads": args.threads, "batch_tokens": budget, "rounds": args.rounds,
                   "windows": data["windows"], "documents": data["documents"], "candidate_text": "title",
                   "max_candidate_tokens": 32, "max_input_tokens": 512,
                   "timed": "inference.reading.read_windows (as Relik.read)"},
        "results": results,
        "load_average_per_read": loads,
        "load_average_at_start": args.load_at_start,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "load_note": "shared machine (a Dask embedding run at nice 10 on both cores); this run at nice 15",
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "torch": torch.__version__,
                    "nice": os.nice(0)},
        "wall_s": round(time.perf_counter() - started, 1),
        "git_commit": git_commit(),
        "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / ".." / "shared" / "data")
    parser.add_argument("--docs", type=int, default=24, help="first N AIDA testa documents")
    parser.add_argument("--windows-per-doc", type=int, default=2)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=32, help="reader batch budget: this many x 512 tokens")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "entqa_vs_relik.json")
    args = parser.parse_args(argv)
    args.load_at_start = [round(x, 2) for x in os.getloadavg()]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from relik_ml.io import write_json

    section = run_benchmark(args)
    existing = json.loads(args.out.read_text()) if args.out.exists() else {}
    write_json(args.out, {**existing, "candidate_passes": section})
    print(json.dumps(section["results"], indent=1))
    return section


if __name__ == "__main__":
    main()
