"""FAISS passage index over precomputed embeddings with stable string ids (no model inside)."""
from __future__ import annotations

from relik_ml.index.config import IndexConfig
from relik_ml.index.exact import exact_search, recall_at_k
from relik_ml.index.passage_index import PassageIndex

__all__ = ["IndexConfig", "PassageIndex", "exact_search", "recall_at_k"]
