"""Ranked candidate lists and R@K (the thesis's metric): the share of mentions whose gold entity is in
the first K candidates. Every system (bi-encoder, baselines) is scored by the same `recall_at_k`."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from relik_ml.index import exact_search
from relik_ml.mel.negatives import distinct_negatives


def recall_at_k(rankings: Sequence[Sequence[str]], gold: Sequence[str], ks: Sequence[int] = (1, 10)) -> dict[str, float]:
    """`{"R@1": percent, ...}`: a mention with an empty list (NIL) counts as a miss."""
    if len(rankings) != len(gold):
        raise ValueError(f"{len(rankings)} rankings for {len(gold)} gold ids")
    if not gold:
        raise ValueError("no mentions to score")
    return {f"R@{k}": round(100.0 * sum(g in r[:k] for r, g in zip(rankings, gold)) / len(gold), 2) for k in ks}


def rank_by_embeddings(
    queries: np.ndarray, keys: np.ndarray, key_ids: Sequence[str], k: int
) -> list[list[str]]:
    """The k best distinct ids per query by dot product; keys sharing an id count once (at their best),
    the search widening until k distinct ids are found or every key was seen."""
    if len(key_ids) != len(keys):
        raise ValueError("keys and ids must be aligned")
    out: list[list[str] | None] = [None] * len(queries)
    pending, depth = list(range(len(queries))), k
    while pending:
        _, positions = exact_search(keys, queries[pending], min(depth, len(keys)))
        still = []
        for row, hits in zip(pending, positions.tolist()):
            ranked = distinct_negatives([key_ids[p] for p in hits if p >= 0], gold="")
            if len(ranked) >= k or depth >= len(keys):
                out[row] = ranked[:k]
            else:
                still.append(row)
        pending, depth = still, depth * 2
    return [r or [] for r in out]
