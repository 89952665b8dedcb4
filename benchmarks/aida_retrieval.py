"""AIDA testa retrieval recall@k for BM25, zero-shot MiniLM and MiniLM fine-tuned on AIDA train (CPU budget).

    python benchmarks/aida_retrieval.py --data ../shared/data --max-steps 80 --threads 2

KB: every entity title/abstract in the shared data (benchmarks/kb_from_shared.py). Windows: W=32,
S=16 with topic. Model selection uses a held-out slice of AIDA train documents, so testa stays a
clean test set. Dense scores are dot products (the retriever's own similarity); cosine and a
title-only copy of the KB are reported as diagnostics from the same encoders.
"""
from __future__ import annotations

import argparse
import os
import platform
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from clock import Clock  # benchmarks/ is on sys.path when run as a script
from kb_from_shared import SharedKB, build_shared_kb  # benchmarks/ is on sys.path when run as a script

from relik_ml.io import write_json
from relik_ml.retriever import BM25, Retriever, RetrieverConfig, RetrieverTrainConfig, train_retriever
from relik_ml.retriever.evaluate import DEFAULT_KS, recall_with_kb
from relik_ml.retriever.search import top_k_ids
from relik_ml.types import NME, Document, Passage, Window
from relik_ml.windows import WindowConfig, windows_for_documents

Results = dict[str, Any]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "data")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/aida_retrieval.json"))
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/aida_retrieval_work"), help="model + checkpoints")
    parser.add_argument("--backbone", default="minilm-l6")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-steps", type=int, default=80)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--passages-per-batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--warmup-steps", type=int, default=8)
    parser.add_argument("--val-every", type=int, default=80, help="validate on the train hold-out every n steps")
    parser.add_argument("--mine-every", type=int, default=40, help="re-mine hard negatives every n steps")
    parser.add_argument("--mining-probability", type=float, default=0.1, help="share of train windows mined")
    parser.add_argument("--dev-every-nth-doc", type=int, default=20, help="every n-th train document is held out")
    parser.add_argument("--max-docs", type=int, default=0, help="smoke runs: first n train and testa docs (0 = all)")
    parser.add_argument("--kb-limit", type=int, default=0, help="smoke runs: golds + first n other passages (0 = all)")
    parser.add_argument("--skip-finetune", action="store_true")
    parser.add_argument("--skip-zero-shot", action="store_true", help="leave out the untrained backbone (measured before)")
    parser.add_argument("--no-diagnostics", action="store_true", help="dot product on the full KB only (no cosine, no title-only KB)")
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args(argv)


def split_documents(aida: Sequence[Document], every_nth: int, max_docs: int) -> dict[str, list[Document]]:
    """train (minus hold-out), dev (every n-th train document) and testa documents."""
    train = [d for d in aida if d.split == "train"]
    testa = [d for d in aida if d.split == "testa"]
    if max_docs:
        train, testa = train[:max_docs], testa[:max_docs]
    dev = train[::every_nth]
    held = {d.id for d in dev}
    return {"train": [d for d in train if d.id not in held], "dev": dev, "testa": testa}


def limit_kb(passages: Sequence[Passage], docs: Sequence[Document], limit: int) -> list[Passage]:
    """Every gold passage of `docs` plus the first `limit` others (all when limit is 0)."""
    if not limit:
        return list(passages)
    golds = {s.label for d in docs for s in d.spans}
    others = [p for p in passages if p.id not in golds][:limit]
    return [p for p in passages if p.id in golds] + others


def title_only(passages: Sequence[Passage]) -> list[Passage]:
    """The same KB with every abstract removed (no 'has text' shortcut)."""
    return [replace(p, text="") for p in passages]


def kb_stats(passages: Sequence[Passage], windows: Sequence[Window], train_titles: set[str]) -> Results:
    """KB size and how testa gold mentions (window, gold) split by abstract / title-only / seen in train."""
    rich = {p.id for p in passages if p.text}
    kb = {p.id for p in passages}
    golds = [s.label for w in windows for s in w.spans if s.label != NME]
    distinct = set(golds)
    return {
        "passages": len(passages),
        "with_abstract": len(rich),
        "title_only": len(passages) - len(rich),
        "testa_distinct_golds": len(distinct),
        "testa_distinct_golds_with_abstract": len(distinct & rich),
        "testa_distinct_golds_title_only": len((distinct & kb) - rich),
        "testa_distinct_golds_outside_kb": len(distinct - kb),
        "testa_distinct_golds_seen_in_train": len(distinct & train_titles),
        "testa_window_golds_with_abstract": sum(g in rich for g in golds),
        "testa_window_golds_title_only": sum(g in kb and g not in rich for g in golds),
    }


def recall_report(windows: Sequence[Window], retrieved: Sequence[Sequence[str]], kb_ids: set[str],
                  train_titles: set[str]) -> Results:
    """In-KB recall@k, also split into golds seen / unseen in the training documents."""
    return {
        "all": recall_with_kb(windows, retrieved, kb_ids, DEFAULT_KS),
        "seen_in_train": recall_with_kb(windows, retrieved, kb_ids & train_titles, DEFAULT_KS),
        "unseen_in_train": recall_with_kb(windows, retrieved, kb_ids - train_titles, DEFAULT_KS),
    }


def unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (cosine similarity as dot product)."""
    return x / np.clip(np.linalg.norm(x, axis=1, keepdims=True), 1e-12, None)


def dense_report(retriever: Retriever, windows: Sequence[Window], passages: Sequence[Passage],
                 train_titles: set[str], clock: Clock, name: str, diagnostics: bool = True) -> Results:
    """Dot recall against the KB; with diagnostics also cosine, and dot against its title-only copy."""
    k = max(DEFAULT_KS)
    kb_ids = {p.id for p in passages}
    ids = [p.id for p in passages]
    queries = clock.run(f"{name}/encode_testa", lambda: retriever.encode_windows(windows, 128))  # (n, d)
    kb = clock.run(f"{name}/encode_kb", lambda: retriever.encode_passages(passages, 128))  # (P, d)
    if not diagnostics:
        return {"dot": recall_report(windows, top_k_ids(queries, kb, ids, k), kb_ids, train_titles)}
    titles = clock.run(f"{name}/encode_title_kb", lambda: retriever.encode_passages(title_only(passages), 128))
    return {
        "dot": recall_report(windows, top_k_ids(queries, kb, ids, k), kb_ids, train_titles),
        "cosine": recall_report(windows, top_k_ids(unit(queries), unit(kb), ids, k), kb_ids, train_titles),
        "dot_title_only_kb": recall_report(windows, top_k_ids(queries, titles, ids, k), kb_ids, train_titles),
        "query_norm_mean": float(np.linalg.norm(queries, axis=1).mean()),
        "passage_norm_mean": float(np.linalg.norm(kb, axis=1).mean()),
    }


def bm25_report(windows: Sequence[Window], passages: Sequence[Passage], train_titles: set[str]) -> Results:
    """BM25 (window text + topic) against the KB and against its title-only copy."""
    kb_ids = {p.id for p in passages}
    k = max(DEFAULT_KS)
    return {
        "kb": recall_report(windows, BM25(passages).search_windows(windows, k), kb_ids, train_titles),
        "title_only_kb": recall_report(
            windows, BM25(title_only(passages)).search_windows(windows, k), kb_ids, train_titles
        ),
    }


def train_config(args: argparse.Namespace, train_batches: int) -> RetrieverTrainConfig:
    """The CPU-budget fine-tuning recipe; mining every `--mine-every` steps as a fraction of an epoch."""
    return RetrieverTrainConfig(
        learning_rate=args.lr,
        warmup_steps=args.warmup_steps,
        batch_size=args.batch_size,
        passages_per_batch=args.passages_per_batch,
        max_steps=args.max_steps,
        mining_probability=args.mining_probability,
        mining_mode="fraction",
        mine_every_fraction=min(1.0, args.mine_every / train_batches),
        val_every_n_steps=min(args.val_every, train_batches),
        patience=None,
        seed=args.seed,
    )


def main(argv: list[str] | None = None) -> Results:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    clock = Clock()
    shared: SharedKB = clock.run("build_kb", lambda: build_shared_kb(args.data))
    docs = split_documents(shared.aida, args.dev_every_nth_doc, args.max_docs)
    passages = limit_kb(shared.passages, [d for part in docs.values() for d in part], args.kb_limit)
    windows, stats = {}, {}
    for name, part in docs.items():
        windows[name], window_stats = windows_for_documents(part, WindowConfig())
        stats[name] = {"documents": len(part), **asdict(window_stats)}
    train_titles = {s.label for d in docs["train"] for s in d.spans if s.label != NME}
    results: Results = {
        "config": {**{k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                   "window": asdict(WindowConfig()), "ks": list(DEFAULT_KS)},
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "torch_threads": args.threads,
                    "torch": torch.__version__},
        "kb": {**kb_stats(passages, windows["testa"], train_titles), "sources": shared.counts},
        "windows": stats,
    }
    results["bm25"] = clock.run("bm25", lambda: bm25_report(windows["testa"], passages, train_titles))
    save(args.out, results, clock)
    if not args.skip_zero_shot:
        zero_shot = Retriever.from_backbone(RetrieverConfig(backbone=args.backbone))
        results["zero_shot"] = dense_report(zero_shot, windows["testa"], passages, train_titles, clock, "zero_shot",
                                            not args.no_diagnostics)
        save(args.out, results, clock)
    if not args.skip_finetune:
        results["fine_tuned"] = fine_tune(args, windows, passages, train_titles, clock)
        save(args.out, results, clock)
    return results


def save(out: Path, results: Results, clock: Clock) -> None:
    """Write the results so far (a long run killed later still leaves its finished parts)."""
    write_json(out, {**results, "seconds": {**clock.seconds, "total": round(sum(clock.seconds.values()), 1)}})


def fine_tune(args: argparse.Namespace, windows: dict[str, list[Window]], passages: Sequence[Passage],
              train_titles: set[str], clock: Clock) -> Results:
    """Train on train windows, select on the held-out train slice, evaluate the best model on testa."""
    batches = max(1, -(-len(windows["train"]) // args.batch_size))
    config = train_config(args, batches)
    summary = clock.run("fine_tune/train", lambda: train_retriever(
        windows["train"], windows["dev"], passages, RetrieverConfig(backbone=args.backbone), config,
        args.work_dir / "retriever", work_dir=args.work_dir / "work", accelerator="cpu",
    ))
    model = Retriever.from_pretrained(summary.model_dir)
    report = dense_report(model, windows["testa"], passages, train_titles, clock, "fine_tuned", not args.no_diagnostics)
    train_info = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(summary).items()}
    return {**report, "train_config": asdict(config), "train_summary": train_info,
            "seconds_per_step": round(summary.seconds / max(summary.steps, 1), 2)}


if __name__ == "__main__":
    main()
