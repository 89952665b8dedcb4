"""The KB embedded once per model state, shared by dev validation and hard-negative mining."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from relik_ml.retriever.encoder import Retriever
from relik_ml.types import Passage


class KBEmbeddingCache:
    """Embeds all passages on first use after each `invalidate()` (i.e. after the weights change).

    Validation and mining that happen at the same training step (ReLiK mines right after the
    epoch-end validation) then reuse one pass over the KB instead of encoding it twice.
    """

    def __init__(self, passages: Sequence[Passage], batch_size: int) -> None:
        self.passages = list(passages)
        self.passage_ids = [p.id for p in self.passages]
        self.batch_size = batch_size
        self.encodings = 0  # how many times the whole KB was embedded
        self._embeddings: np.ndarray | None = None

    def get(self, retriever: Retriever) -> np.ndarray:
        """Passage embeddings (n, d) under the retriever's current weights."""
        if self._embeddings is None:
            self._embeddings = retriever.encode_passages(self.passages, self.batch_size)
            self.encodings += 1
        return self._embeddings

    def invalidate(self) -> None:
        """Forget the embeddings (the weights are about to change); frees their memory."""
        self._embeddings = None
