"""Retrieval recall@k: the pure metric and the dense evaluation of a retriever on windows."""
from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from relik_ml.retriever.config import Task
from relik_ml.retriever.data import gold_ids
from relik_ml.retriever.encoder import Retriever
from relik_ml.retriever.search import top_k_ids
from relik_ml.types import Passage, Window

DEFAULT_KS = (1, 10, 50, 100)


def recall_at_k(
    gold_ids_per_window: Sequence[Collection[str]],
    retrieved_ids_per_window: Sequence[Sequence[str]],
    ks: Sequence[int] = DEFAULT_KS,
) -> dict[str, float | int]:
    """Micro recall@k: found (window, gold) pairs / all pairs; windows without gold are skipped.

    Returns `recall@k` per k plus the counts `windows` (evaluated), `skipped_windows` and `gold`.
    """
    if len(gold_ids_per_window) != len(retrieved_ids_per_window):
        raise ValueError(f"{len(gold_ids_per_window)} gold rows vs {len(retrieved_ids_per_window)} retrieved rows")
    pairs = [(set(g), list(r)) for g, r in zip(gold_ids_per_window, retrieved_ids_per_window) if g]
    total = sum(len(g) for g, _ in pairs)
    result: dict[str, float | int] = {}
    for k in ks:
        found = sum(len(g.intersection(r[:k])) for g, r in pairs)
        result[f"recall@{k}"] = found / total if total else 0.0
    result.update(windows=len(pairs), skipped_windows=len(gold_ids_per_window) - len(pairs), gold=total)
    return result


def evaluate_retrieval(
    retriever: Retriever,
    windows: Sequence[Window],
    passages: Sequence[Passage],
    ks: Sequence[int] = DEFAULT_KS,
    *,
    task: Task = "el",
    passage_embeddings: np.ndarray | None = None,
    batch_size: int = 128,
    show_progress: bool = False,
) -> dict[str, float | int]:
    """In-KB dense recall@k of `retriever` on `windows` against all `passages` (exact search).

    `passage_embeddings` (rows aligned with `passages`, e.g. a stored embeddings artifact) skip
    re-embedding the KB. Golds missing from the KB are left out and counted as `gold_outside_kb`.
    """
    if passage_embeddings is None:
        passage_embeddings = retriever.encode_passages(passages, batch_size, show_progress)
    queries = retriever.encode_windows(windows, batch_size)  # (n, d)
    retrieved = top_k_ids(queries, passage_embeddings, [p.id for p in passages], max(ks))
    return recall_with_kb(windows, retrieved, {p.id for p in passages}, ks, task)


def recall_with_kb(
    windows: Sequence[Window],
    retrieved_ids_per_window: Sequence[Sequence[str]],
    kb_ids: Collection[str],
    ks: Sequence[int] = DEFAULT_KS,
    task: Task = "el",
) -> dict[str, float | int]:
    """`recall_at_k` over the in-KB golds of windows, plus the count of golds outside the KB."""
    golds = [gold_ids(w, task, kb_ids) for w in windows]
    outside = sum(len(gold_ids(w, task)) for w in windows) - sum(len(g) for g in golds)
    return {**recall_at_k(golds, retrieved_ids_per_window, ks), "gold_outside_kb": outside}
