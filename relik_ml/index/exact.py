"""Brute-force top-k with torch (the exact reference and fallback) and recall against it."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import torch

from relik_ml.errors import InputError
from relik_ml.index.checks import check_vectors
from relik_ml.index.config import METRICS


def exact_search(
    embeddings: np.ndarray,
    queries: np.ndarray,
    k: int,
    batch_size: int = 4096,
    metric: str = "ip",
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k rows of `embeddings` per query: scores float32 (q, k), positions int64 (q, k).

    Scores are dot products ("ip") or negative squared distances ("l2"); when k exceeds the
    number of rows the tail is padded with score -inf and position -1.
    """
    check_vectors(embeddings, "embeddings")
    check_vectors(queries, "queries", dim=embeddings.shape[1])
    if k < 1 or batch_size < 1:
        raise InputError(f"k and batch_size must be >= 1, got k={k}, batch_size={batch_size}", field="k")
    if len(embeddings) == 0:
        raise InputError("cannot search an empty set of embeddings", field="embeddings")
    if metric not in METRICS:
        raise InputError(f"must be one of {METRICS}, got {metric!r}", field="metric")
    keys = torch.from_numpy(embeddings)
    top = min(k, len(embeddings))
    scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    positions = np.full((len(queries), k), -1, dtype=np.int64)
    for start in range(0, len(queries), batch_size):
        block = torch.from_numpy(queries[start : start + batch_size])
        values, indices = _block_scores(block, keys, metric).topk(top, dim=1)  # (b, top)
        scores[start : start + len(block), :top] = values.numpy()
        positions[start : start + len(block), :top] = indices.numpy()
    return scores, positions


def exact_search_blocks(
    blocks: Iterable[np.ndarray], queries: np.ndarray, k: int, metric: str = "ip"
) -> tuple[np.ndarray, np.ndarray]:
    """`exact_search` over row blocks seen one at a time (bounded memory): positions count rows across blocks."""
    scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    positions = np.full((len(queries), k), -1, dtype=np.int64)
    offset = 0
    for block in blocks:
        block_scores, block_positions = exact_search(block, queries, k, metric=metric)  # (q, k) each
        block_positions = np.where(block_positions >= 0, block_positions + offset, -1)
        merged_scores = np.concatenate([scores, block_scores], axis=1)  # (q, 2k)
        merged_positions = np.concatenate([positions, block_positions], axis=1)
        order = np.argsort(-merged_scores, axis=1, kind="stable")[:, :k]
        scores = np.take_along_axis(merged_scores, order, axis=1)
        positions = np.take_along_axis(merged_positions, order, axis=1)
        offset += len(block)
    if offset == 0:
        raise InputError("cannot search an empty set of embeddings", field="embeddings")
    return scores, positions


def _block_scores(block: torch.Tensor, keys: torch.Tensor, metric: str) -> torch.Tensor:
    """Similarity (b, n) of query block (b, d) against keys (n, d); higher is better."""
    dots = block @ keys.T  # (b, n)
    if metric == "ip":
        return dots
    return 2 * dots - (block * block).sum(1, keepdim=True) - (keys * keys).sum(1)


def recall_at_k(approx_ids: Sequence[Sequence], exact_ids: Sequence[Sequence]) -> float:
    """Mean fraction of each query's exact top-k found in its approximate top-k (padding ignored)."""
    if len(approx_ids) != len(exact_ids):
        raise InputError(f"{len(approx_ids)} approximate rows vs {len(exact_ids)} exact rows", field="approx_ids")
    if len(exact_ids) == 0:
        raise InputError("no queries", field="exact_ids")
    fractions = []
    for approx, exact in zip(approx_ids, exact_ids):
        wanted = {item for item in _as_list(exact) if not _is_pad(item)}
        found = wanted & set(_as_list(approx))
        fractions.append(len(found) / len(wanted) if wanted else 1.0)
    return float(np.mean(fractions))


def _as_list(row: Sequence) -> list:
    return row.tolist() if isinstance(row, np.ndarray) else list(row)


def _is_pad(item: object) -> bool:
    return item == "" or item == -1
