"""Dataset statistics: documents, mentions, NME mentions, triplets and windows per split."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from relik_ml.types import NME, Document


def split_stats(documents: Sequence[Document], window_size: int, stride: int) -> dict[str, Any]:
    from relik_ml.windows import WindowConfig, windows_for_documents

    windows, stats = windows_for_documents(documents, WindowConfig(window_size=window_size, stride=stride))
    return {
        "documents": len(documents),
        "mentions": sum(len(d.spans) for d in documents),
        "nme_mentions": sum(1 for d in documents for s in d.spans if s.label == NME),
        "triplets": sum(len(d.triplets) for d in documents),
        "windows": len(windows),
        "spans_cut_by_window_edge": stats.spans_cut,
        "spans_lost": stats.spans_lost,
    }


def dataset_stats(fmt: str, paths: Sequence[Path], *, window_size: int = 32, stride: int = 16) -> dict[str, Any]:
    """Read `paths` in format `fmt` and count per split (documents without a split: "all")."""
    from relik_ml.formats import read_documents

    documents = read_documents(fmt, list(paths))
    by_split: dict[str, list[Document]] = defaultdict(list)
    for doc in documents:
        by_split[doc.split or "all"].append(doc)
    return {
        "format": fmt,
        "window_size": window_size,
        "stride": stride,
        "splits": {split: split_stats(docs, window_size, stride) for split, docs in by_split.items()},
    }
