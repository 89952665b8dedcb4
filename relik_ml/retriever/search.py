"""Exact dense top-k from window embeddings to passage ids (used by mining and dev recall)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from relik_ml.index import exact_search


def top_k_ids(
    query_embeddings: np.ndarray, passage_embeddings: np.ndarray, passage_ids: Sequence[str], k: int
) -> list[list[str]]:
    """Ids of the k highest dot-product passages per query, best first (k capped by the KB size)."""
    if len(passage_ids) != len(passage_embeddings):
        raise ValueError(f"{len(passage_ids)} ids for {len(passage_embeddings)} passage embeddings")
    if len(query_embeddings) == 0:
        return []
    k = min(k, len(passage_ids))
    _, positions = exact_search(passage_embeddings, query_embeddings, k)  # (q, k) row positions
    return [[passage_ids[j] for j in row] for row in positions.tolist()]
