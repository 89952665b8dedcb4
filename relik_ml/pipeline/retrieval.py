"""Retrieval stages: retriever training, sharded passage embeddings, the index, candidates, recall report."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from relik_ml.evaluation.retrieval_report import RecallGateConfig, RetrievalReportConfig, RetrieveFn
from relik_ml.index import IndexConfig, PassageIndex
from relik_ml.io import atomic_directory, iter_jsonl, write_jsonl, write_manifest
from relik_ml.pipeline.artifacts import (
    CANDIDATES_SUFFIX,
    load_passages,
    load_redirects,
    load_windows,
    load_windows_for_kb,
)
from relik_ml.pipeline.embedding_shards import EmbeddingConfig, build_shard, load_shard
from relik_ml.pipeline.summary import PASSAGES_FILE, Summary
from relik_ml.retriever.config import RetrieverConfig, RetrieverTrainConfig
from relik_ml.retriever.pool import Pool, PoolConfig, draw_pool
from relik_ml.tracking import TrackingConfig, start_run
from relik_ml.types import Passage, Window

@dataclass(frozen=True)
class CandidatesConfig:
    top_k: int = 20  # candidates kept per window (ReLiK: 100; trimmed on CPU)
    batch_size: int = 64  # windows per retriever forward pass


def retriever(
    name: str,
    backbone: str,
    train_dirs: Sequence[Path],
    dev_dirs: Sequence[Path],
    passages_dir: Path,
    model: RetrieverConfig,
    train: RetrieverTrainConfig,
    tracking: TrackingConfig,
    root: Path,
    out: Path,
    work_dir: Path,
) -> Summary:
    """Train a retriever from `backbone` (a backbone name or an upstream retriever directory);
    checkpoints for resuming go to `work_dir`."""
    from relik_ml.retriever.train import train_retriever

    passages = None if train.pool_size else load_passages(passages_dir)  # a pool streams the KB instead
    if train.task == "el":
        kb_ids = ({p.id for p in passages} if passages is not None
                  else {obj["id"] for _, obj in iter_jsonl(passages_dir / PASSAGES_FILE)})
        redirects = load_redirects(passages_dir)
        train_windows = load_windows_for_kb(train_dirs, kb_ids, redirects)
        dev_windows = load_windows_for_kb(dev_dirs, kb_ids, redirects)
    else:
        train_windows, dev_windows = load_windows(train_dirs), load_windows(dev_dirs)
    pool = training_pool(train_windows, dev_windows, passages_dir, train) if train.pool_size else None
    passages = pool.passages if pool else passages
    run = start_run(tracking, name, root, {"model": model.to_json(), "train": train.__dict__})
    try:
        result = train_retriever(
            train_windows, dev_windows, passages, replace(model, backbone=str(backbone)), train, out,
            loggers=run.loggers, work_dir=work_dir,
        )
        run.log_model(out, name)
    finally:
        run.finish()
    counts = {"train_examples": result.train_examples, "dev_examples": result.dev_examples,
              "steps": result.steps, "passages": len(passages),
              **({f"pool_{k}": v for k, v in pool.counts.items()} if pool else {})}
    extra = {"wandb_run_id": run.run_id, "wandb_run_dir": run.run_dir, "seconds": round(result.seconds, 1),
             "initial_dev_recall": result.initial_dev_recall, "best_dev_recall": result.best_dev_recall,
             "monitor": result.monitor}
    return Summary(name, out, counts, extra=extra)


def training_pool(train_windows: Sequence[Window], dev_windows: Sequence[Window], passages_dir: Path,
                  train: RetrieverTrainConfig) -> Pool:
    """The golds of the train and dev windows and a seeded sample of the KB, `train.pool_size` in all."""
    from relik_ml.retriever.data import build_examples

    examples = [e for windows in (train_windows, dev_windows) for e in build_examples(windows, train.task, None)[0]]
    return draw_pool(passages_dir / PASSAGES_FILE, examples, {}, PoolConfig(size=train.pool_size, stale_negatives_per_window=0,
                                                             seed=train.seed))


def passage_embeddings(retriever_dir: Path, passages_dir: Path, shard: int, config: EmbeddingConfig, out: Path) -> Summary:
    """Embed one shard of the passages: `embeddings.npy` (n, d) float32 + `ids.txt` in the same order.

    Streams `passages.jsonl`; a shard already built from the same config and inputs is reused, and
    the leftovers of a killed run are removed before the shard is redone (see `embedding_shards`).
    """
    manifest, reused = build_shard(retriever_dir, passages_dir, shard, config, out)
    extra = {"shard_reused": reused, "seconds": manifest.get("seconds", 0.0)}
    return Summary("passage_embeddings", out, manifest["counts"], extra=extra)


def load_embeddings(directories: Sequence[Path]) -> tuple[np.ndarray, list[str]]:
    """Concatenate finished embedding shards: (n, d) float32 and their ids."""
    arrays, ids = [], []
    for directory in directories:
        embeddings, shard_ids = load_shard(directory)
        arrays.append(embeddings)
        ids.extend(shard_ids)
    return np.ascontiguousarray(np.concatenate(arrays).astype(np.float32)), ids


def passage_index(embedding_dirs: Sequence[Path], config: IndexConfig, out: Path) -> Summary:
    """Build the FAISS index over all embedding shards (recall vs exact measured at build time); the
    shards are memory-mapped and added in blocks, so a KB of millions never sits in memory twice."""
    index = PassageIndex.build_from_parts([load_shard(directory, mmap=True) for directory in embedding_dirs], config)
    index.save(out)
    counts = {"vectors": len(index), "dim": index.dim}
    return Summary("passage_index", out, counts, extra={"build_recall": index.build_recall})


def candidates(
    retriever_dir: Path, index_dir: Path, windows: Mapping[str, Path], config: CandidatesConfig, out: Path
) -> Summary:
    """Top-K passage ids per window for each split: `<split>.candidates.jsonl`."""
    from relik_ml.retriever.encoder import Retriever

    model = Retriever.from_pretrained(retriever_dir)
    index = PassageIndex.load(index_dir)
    counts = {}
    with atomic_directory(out, artifact="candidates") as tmp:
        for split, directory in windows.items():
            split_windows = load_windows([directory])
            queries = model.encode_windows(split_windows, config.batch_size)
            scores, ids = index.search(queries, min(config.top_k, len(index))) if split_windows else ([], [])
            rows = (
                {"window_id": w.id, "candidates": [[i, round(float(s), 5)] for i, s in zip(row_ids, row_scores) if i]}
                for w, row_ids, row_scores in zip(split_windows, ids, scores)
            )
            counts[split] = write_jsonl(tmp / f"{split}{CANDIDATES_SUFFIX}", rows)
        write_manifest(tmp, artifact="candidates", config=config, counts=counts)
    return Summary("candidates", out, counts)


def retriever_eval_report(
    retriever_dir: Path,
    index_dir: Path,
    passages_dir: Path,
    backbone: str,
    eval_dirs: Mapping[str, Path],
    config: RetrievalReportConfig,
    gate: RecallGateConfig,
    out: Path,
) -> Summary:
    """recall@k per eval split: the trained retriever through the built index, the untrained backbone
    (exact search) and BM25; report files plus the recall gate decision (see `retrieval_report`)."""
    from relik_ml.evaluation.retrieval_report import gate_decision, recall_table, write_report_files

    passages = load_passages(passages_dir)
    kb_ids, redirects = {p.id for p in passages}, load_redirects(passages_dir)
    windows = {split: load_windows_for_kb([directory], kb_ids, redirects) for split, directory in eval_dirs.items()}
    systems = retrieval_systems(retriever_dir, index_dir, passages, backbone, config)
    table = recall_table(windows, systems, kb_ids, config.ks)
    decision = gate_decision(table, gate)
    counts = {"passages": len(passages), "splits": len(windows), "gate_passed": int(decision["passed"])}
    with atomic_directory(out, artifact="retriever_eval_report") as tmp:
        write_report_files(tmp, table, config.ks, decision, len(passages))
        write_manifest(tmp, artifact="retriever_eval_report", config={"report": config, "gate": gate},
                       counts=counts, extra={"backbone": backbone})
    extra: dict[str, object] = {"gate_passed": decision["passed"], "gate": decision["reason"]}
    for split, rows in table.items():
        extra.update({f"{split}/{name}/recall@{k}": round(float(row[f"recall@{k}"]), 4)
                      for name, row in rows.items() for k in config.ks})
    return Summary("retriever_eval_report", out, counts, extra=extra)


def retrieval_systems(
    retriever_dir: Path, index_dir: Path, passages: Sequence[Passage], backbone: str, config: RetrievalReportConfig
) -> dict[str, RetrieveFn]:
    """name -> windows, k -> ranked passage ids, for the systems `config` asks for."""
    from relik_ml.retriever.bm25 import BM25
    from relik_ml.retriever.encoder import Retriever
    from relik_ml.retriever.search import top_k_ids

    trained = Retriever.from_pretrained(retriever_dir)
    index = PassageIndex.load(index_dir)

    def dense_index(windows: Sequence[Window], k: int) -> list[list[str]]:
        _, ids = index.search(trained.encode_windows(windows, config.batch_size), k)
        return [[i for i in row if i] for row in ids]

    systems: dict[str, RetrieveFn] = {"trained": dense_index}
    if config.zero_shot:
        untrained = Retriever.from_backbone(replace(trained.config, backbone=backbone, query_prefix=None,
                                                    passage_prefix=None))
        kb = untrained.encode_passages(passages, config.batch_size, show_progress=len(passages) > 10_000)
        ids = [p.id for p in passages]
        systems["zero_shot"] = lambda windows, k: top_k_ids(untrained.encode_windows(windows, config.batch_size),
                                                            kb, ids, k)
    if config.bm25:
        bm25 = BM25(passages)
        systems["bm25"] = lambda windows, k: bm25.search_windows(windows, k)
    return systems
