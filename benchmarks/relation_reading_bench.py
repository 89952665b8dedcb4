"""Triplet reader costs: reading time vs relation candidates K (ReLiK Table 8) and the triplet head's peak memory.

    python benchmarks/relation_reading_bench.py --threads 1
    python benchmarks/relation_reading_bench.py --reader data/re/reader   # a trained RE reader instead

Reading time: the NYT-style sample dev sentences (data/sample/nyt) are read with their gold
mentions given (so every K sees the same spans) and the first K of the 24 NYT relations as
candidates; an untrained `minilm-l6` RE reader unless `--reader` names a trained one whose
`max_relation_candidates` is at least the largest K. Seconds are the best of `--repeats` runs.

Memory: one window with `--mentions` entity mentions (given) and K = `--relations` relations,
in a fresh subprocess per mode: inference (no grad) and training (gold labels, loss.backward()).
Figures: the rise of the RSS (sampled every millisecond) over the forward (+ backward) pass, i.e.
what the encoder, the heads and the triplet scoring add on top of the loaded model, and the
process peak RSS (ru_maxrss, model loading included) that the 4 GB limit is checked against.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import torch

ROOT = Path(__file__).resolve().parents[1]
NYT = ROOT / "data" / "sample" / "nyt"


def _reader(path: str | None, max_relations: int, chunk_size: int):
    """(model, tokenizer): a saved reader, or an untrained RE reader on minilm-l6."""
    from transformers import AutoTokenizer

    from relik_ml.backbones import resolve_backbone
    from relik_ml.reader.artifact import load_reader
    from relik_ml.reader.configuration import RelikReaderConfig
    from relik_ml.reader.inputs import add_reader_tokens
    from relik_ml.reader.modeling import RelikReaderModel

    if path is not None:
        model, tokenizer = load_reader(path)
        if model.config.max_relation_candidates < max_relations:
            raise SystemExit(f"{path}: max_relation_candidates < K = {max_relations}")
        return model, tokenizer
    backbone = resolve_backbone("minilm-l6")
    tokenizer = AutoTokenizer.from_pretrained(str(backbone), local_files_only=True)
    config = RelikReaderConfig(task="re", max_relation_candidates=max_relations, candidate_text="title+description",
                               max_candidate_tokens=12, relation_chunk_size=chunk_size)
    vocab = add_reader_tokens(tokenizer, config)
    torch.manual_seed(0)
    return RelikReaderModel.from_backbone(str(backbone), config, vocab_size=vocab).eval(), tokenizer


def _relations():
    from relik_ml.io import read_json
    from relik_ml.pipeline.relations import relation_label
    from relik_ml.types import Passage

    return [Passage(k, relation_label(k), v) for k, v in read_json(NYT / "relations.json").items()]


def reading_time(args: argparse.Namespace) -> list[dict]:
    from relik_ml.formats import read_documents
    from relik_ml.inference.reading import read_windows
    from relik_ml.reader.data import ReaderExample
    from relik_ml.windows import WindowConfig, windows_for_documents

    relations = _relations()
    model, tokenizer = _reader(args.reader, max(args.ks), args.chunk_size)
    windows, _ = windows_for_documents(read_documents("nyt", [NYT / "dev.json"]), WindowConfig(32, 16, True))
    windows = [w for w in windows if w.spans]
    rows = []
    for k in args.ks:
        examples = [ReaderExample(w, (), tuple(relations[:k])) for w in windows]
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            read_windows(model, tokenizer, examples, max_tokens=32 * model.config.max_input_tokens, given_mentions=True)
            times.append(time.perf_counter() - start)
        rows.append({"k": k, "windows": len(windows), "seconds": round(min(times), 4),
                     "ms_per_window": round(1000 * min(times) / len(windows), 3)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def crowded_window(mentions: int):
    """One window naming `mentions` people, every mention given (NME spans), no triplets."""
    from relik_ml.types import Span, Window

    names = [f"Person{i}" for i in range(mentions)]
    text = ", ".join(names) + " met."
    spans, pos = [], 0
    for name in names:
        spans.append(Span(pos, pos + len(name)))
        pos += len(name) + 2
    return Window("crowded", "crowded", text, 0, len(text), "", tuple(spans))


def peak_memory(mentions: int, relations: int, training: bool, reader: str | None, chunk_size: int) -> dict:
    """Runs in the subprocess: one forward (and backward when training) on the crowded window."""
    from relik_ml.reader.data import ReaderExample, collate, encode_examples

    model, tokenizer = _reader(reader, relations, chunk_size)
    example = ReaderExample(crowded_window(mentions), (), tuple(_relations()[:relations]))
    encoded = encode_examples([example], tokenizer, model.config, with_labels=True)
    tensors = collate(encoded, tokenizer.pad_token_id, with_labels=True).tensors
    if not training:
        tensors.pop("span_entities"), tensors.pop("triplets")
    model.train(training)
    sampler = RssSampler()
    with sampler:
        start = time.perf_counter()
        if training:
            model(**tensors).loss.backward()
        else:
            with torch.inference_mode():
                model(**tensors)
        seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = int(tensors["spans"].shape[0]) ** 2 * len(encoded[0].relations)
    return {"mode": "training" if training else "inference", "mentions": int(tensors["spans"].shape[0]),
            "relations": len(encoded[0].relations), "input_tokens": len(encoded[0].input_ids),
            "triplet_rows": rows, "chunk_size": model.config.relation_chunk_size, "seconds": round(seconds, 3),
            "rss_before_mb": round(sampler.before / 2**20, 1), "forward_rss_rise_mb": round(sampler.rise / 2**20, 1),
            "process_peak_rss_mb": round(after / 1024, 1)}


class RssSampler:
    """Samples the process RSS every millisecond in a thread: the rise of the peak over the start."""

    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.process = psutil.Process()
        self.before = self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.interval)

    def __enter__(self) -> RssSampler:
        self.before = self.peak = self.process.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def rise(self) -> int:
        return self.peak - self.before


def memory(args: argparse.Namespace) -> list[dict]:
    rows = []
    for training in (False, True):
        command = [sys.executable, __file__, "--memory-child", "training" if training else "inference",
                   "--mentions", str(args.mentions), "--relations", str(args.relations),
                   "--threads", str(args.threads), "--chunk-size", str(args.chunk_size)]
        if args.reader:
            command += ["--reader", args.reader]
        result = subprocess.run(command, check=True, capture_output=True, text=True)
        rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    return rows


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reader", default=None, help="a saved reader directory (default: untrained minilm-l6)")
    parser.add_argument("--ks", type=int, nargs="+", default=[24, 20, 16, 12, 8, 4])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mentions", type=int, default=40)
    parser.add_argument("--relations", type=int, default=24)
    parser.add_argument("--chunk-size", type=int, default=8192, help="relation_chunk_size of the untrained reader")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--memory-child", choices=["inference", "training"], default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "relation_reading.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.memory_child:
        training = args.memory_child == "training"
        print(json.dumps(peak_memory(args.mentions, args.relations, training, args.reader, args.chunk_size)))
        return
    from relik_ml.io import write_json

    result = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "threads": args.threads,
                    "load_average_at_start": os.getloadavg(), "torch": torch.__version__},
        "reader": args.reader or "untrained minilm-l6 RE reader (gold mentions given; only the count of kept triplets depends on the weights)",
        "reading_time_vs_k": reading_time(args),
        "triplet_head_memory": memory(args),
        "memory_limit_mb": 4096,
    }
    peaks = [r["process_peak_rss_mb"] for r in result["triplet_head_memory"]]
    result["memory_ok"] = max(peaks) < result["memory_limit_mb"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, result)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
