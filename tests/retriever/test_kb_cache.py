from __future__ import annotations

import numpy as np
import torch

from relik_ml.retriever.kb_cache import KBEmbeddingCache


def test_embeds_once_until_invalidated_and_matches_a_fresh_encoding(retriever, toy_kb):
    cache = KBEmbeddingCache(toy_kb, batch_size=7)
    first = cache.get(retriever)
    assert cache.get(retriever) is first and cache.encodings == 1
    np.testing.assert_allclose(first, retriever.encode_passages(toy_kb, 64), rtol=1e-5, atol=1e-6)
    with torch.no_grad():
        next(retriever.parameters()).add_(0.5)  # the weights change: an invalidated cache re-embeds
    cache.invalidate()
    second = cache.get(retriever)
    assert cache.encodings == 2 and not np.allclose(first, second)
    assert cache.passage_ids == [p.id for p in toy_kb]
