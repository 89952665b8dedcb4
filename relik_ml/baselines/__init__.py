"""Mention-only baselines of the thesis (seed 004, chapter 3): alias table and string similarity."""
from __future__ import annotations

from relik_ml.baselines.alias_table import AliasTable, AliasTableBuilder, AliasTableConfig
from relik_ml.baselines.string_similarity import StringSimilarity, StringSimilarityConfig
from relik_ml.baselines.trigrams import TrigramIndex

__all__ = [
    "AliasTable",
    "AliasTableBuilder",
    "AliasTableConfig",
    "StringSimilarity",
    "StringSimilarityConfig",
    "TrigramIndex",
]
