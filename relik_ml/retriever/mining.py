"""Hard negatives: the highest-scoring incorrect passages under the current model (ReLiK §4.1.4)."""
from __future__ import annotations

import random
from collections.abc import Collection, Sequence

import numpy as np

from relik_ml.retriever.data import RetrieverExample
from relik_ml.retriever.encoder import Retriever
from relik_ml.retriever.search import top_k_ids
from relik_ml.types import Passage


def select_hard_negatives(retrieved: Sequence[str], gold: Collection[str], limit: int) -> tuple[str, ...]:
    """The first `limit` retrieved ids that are not gold, in rank order."""
    return tuple([pid for pid in retrieved if pid not in gold][:limit])


def sample_windows(
    examples: Sequence[RetrieverExample], probability: float, rng: random.Random
) -> list[RetrieverExample]:
    """Keep each example independently with the given probability."""
    if probability >= 1.0:
        return list(examples)
    return [e for e in examples if rng.random() < probability]


def mine_hard_negatives(
    retriever: Retriever,
    examples: Sequence[RetrieverExample],
    passages: Sequence[Passage],
    *,
    limit: int = 15,
    probability: float = 1.0,
    rng: random.Random | None = None,
    batch_size: int = 128,
    passage_embeddings: np.ndarray | None = None,
    show_progress: bool = False,
) -> dict[str, tuple[str, ...]]:
    """Window id -> up to `limit` hard negatives, for a `probability` sample of the examples.

    Passages are embedded with the current model unless `passage_embeddings` (rows aligned with
    `passages`) are given; windows left out of the sample get no entry.
    """
    chosen = sample_windows(examples, probability, rng or random.Random(0))
    if not chosen or limit < 1:
        return {}
    if passage_embeddings is None:
        passage_embeddings = retriever.encode_passages(passages, batch_size, show_progress)
    queries = retriever.encode_windows([e.window for e in chosen], batch_size)  # (n, d)
    depth = limit + max(len(e.gold_ids) for e in chosen)
    retrieved = top_k_ids(queries, passage_embeddings, [p.id for p in passages], depth)
    return {e.window.id: select_hard_negatives(r, set(e.gold_ids), limit) for e, r in zip(chosen, retrieved)}
