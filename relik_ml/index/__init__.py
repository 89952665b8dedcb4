"""FAISS passage index over precomputed embeddings with stable string ids (no model inside)."""
from __future__ import annotations

from relik_ml.index.config import IndexConfig
from relik_ml.index.exact import exact_search, recall_at_k
from relik_ml.index.passage_index import PassageIndex
from relik_ml.index.refresh import RefreshCounts, diff_kb, refresh_index

__all__ = ["IndexConfig", "PassageIndex", "RefreshCounts", "diff_kb", "exact_search", "recall_at_k", "refresh_index"]
