"""Negatives for a training round: hard ones by the thesis's Alg. 3, or uniformly random ones.

Alg. 3 (QUERYNEGATIVES): retrieve a context's k nearest KB rows, drop its gold entity and repeated
entities (a KB may hold several descriptions of one entity, e.g. one per language), and while fewer
than `neg` distinct entities remain, double k and retrieve again; then sample `neg` of them
uniformly without replacement. Here every context of the round is searched at once per k.
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from relik_ml.index import exact_search


@dataclass(frozen=True)
class MinedNegatives:
    """One context's negatives and the k its retrieval ended at."""

    negatives: tuple[str, ...]
    k: int
    doublings: int  # how many times k was doubled for this context


def distinct_negatives(retrieved: Sequence[str], gold: str) -> list[str]:
    """Retrieved entity ids without the gold one and without repeats, in rank order."""
    seen: dict[str, None] = {}
    for entity in retrieved:
        if entity != gold:
            seen.setdefault(entity)
    return list(seen)


def mine_hard_negatives(
    context_embeddings: np.ndarray,
    gold: Sequence[str],
    kb_embeddings: np.ndarray,
    kb_ids: Sequence[str],
    negatives: int,
    k: int,
    rng: random.Random,
) -> list[MinedNegatives]:
    """Alg. 3 for every context (rows of `context_embeddings`, gold ids aligned) against KB rows `kb_ids`."""
    if len(kb_ids) != len(kb_embeddings) or len(gold) != len(context_embeddings):
        raise ValueError("embeddings and ids must be aligned")
    found: list[MinedNegatives | None] = [None] * len(gold)
    pending = list(range(len(gold)))
    depth, doublings = k, 0
    while pending:
        _, positions = exact_search(kb_embeddings, context_embeddings[pending], min(depth, len(kb_ids)))
        still = []
        for row, hits in zip(pending, positions.tolist()):
            neighbours = distinct_negatives([kb_ids[p] for p in hits if p >= 0], gold[row])
            if len(neighbours) >= negatives or depth >= len(kb_ids):
                chosen = rng.sample(neighbours, min(negatives, len(neighbours)))
                found[row] = MinedNegatives(tuple(chosen), depth, doublings)
            else:
                still.append(row)
        pending, depth, doublings = still, depth * 2, doublings + 1
    return [m for m in found if m is not None]


def random_negatives(gold: Sequence[str], kb_ids: Sequence[str], negatives: int, rng: random.Random) -> list[MinedNegatives]:
    """`negatives` distinct KB entities per context drawn uniformly, never its gold one (k = 0: no retrieval)."""
    distinct = list(dict.fromkeys(kb_ids))
    known = set(distinct)
    out = []
    for entity in gold:
        pool = min(negatives, len(distinct) - (entity in known))
        chosen: dict[str, None] = {}
        while len(chosen) < pool:
            candidate = distinct[rng.randrange(len(distinct))]
            if candidate != entity:
                chosen.setdefault(candidate)
        out.append(MinedNegatives(tuple(chosen), 0, 0))
    return out
