"""Passages embedded per second (CPU, length-sorted batches) on the real shared-data KB; saves the vectors.

    python benchmarks/embed_bench.py --data ../shared/data --seconds 240 --threads 2 \
        --save /tmp/real_kb_embeddings        # then: index_bench.py --embeddings .../embeddings.npy --ids .../ids.txt

Passages (benchmarks/kb_from_shared.py, seeded shuffle) are embedded in chunks of `--chunk`
passages until `--seconds` have passed; each chunk is one `Retriever.encode_passages` call (sorted
by length inside, batches of `--batch-size`). Reported: overall passages/s and the median over chunks.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from kb_from_shared import build_shared_kb  # benchmarks/ is on sys.path when run as a script

from relik_ml.io import write_json
from relik_ml.retriever import Retriever, RetrieverConfig


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--backbone", default="minilm-l6")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--chunk", type=int, default=1024, help="passages per timed encode call")
    parser.add_argument("--seconds", type=float, default=240.0, help="stop starting new chunks after this")
    parser.add_argument("--max-passage-tokens", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", type=Path, default=None, help="folder for embeddings.npy + ids.txt")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/embed.json"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    passages = build_shared_kb(args.data).passages
    random.Random(args.seed).shuffle(passages)
    retriever = Retriever.from_backbone(RetrieverConfig(backbone=args.backbone, max_passage_tokens=args.max_passage_tokens))
    retriever.encode_passages(passages[:32], args.batch_size)  # warm-up: first-call allocations
    chunks, rates, done = [], [], 0
    started = time.perf_counter()
    while done < len(passages) and time.perf_counter() - started < args.seconds:
        chunk = passages[done : done + args.chunk]
        began = time.perf_counter()
        chunks.append(retriever.encode_passages(chunk, args.batch_size))
        rates.append(len(chunk) / (time.perf_counter() - began))
        done += len(chunk)
        print(f"{done} passages, {rates[-1]:.1f}/s", flush=True)
    seconds = time.perf_counter() - started
    embeddings = np.concatenate(chunks)  # (done, d)
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        np.save(args.save / "embeddings.npy", embeddings)
        (args.save / "ids.txt").write_text("".join(f"{p.id}\n" for p in passages[:done]), encoding="utf-8")
    report = {
        "backbone": args.backbone,
        "kb_passages": len(passages),
        "embedded": done,
        "with_abstract": sum(bool(p.text) for p in passages[:done]),
        "dim": int(embeddings.shape[1]),
        "batch_size": args.batch_size,
        "chunk": args.chunk,
        "max_passage_tokens": args.max_passage_tokens,
        "seconds": round(seconds, 2),
        "passages_per_s": round(done / seconds, 2),
        "passages_per_s_median_over_chunks": round(statistics.median(rates), 2),
        "chunks": len(rates),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "torch_threads": args.threads,
                    "torch": torch.__version__, "load_average_1m": os.getloadavg()[0],
                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        "saved": str(args.save) if args.save else None,
    }
    write_json(args.out, report)
    return report


if __name__ == "__main__":
    main()
