"""Dataset statistics: documents, mentions, NME mentions, triplets and windows per split."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from relik_ml.errors import InputError
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
    """Read `paths` in format `fmt` and count per split (documents without a split: "all").

    Bad input is an `InputError` before anything is read when it is an argument (an unknown format,
    `1 <= stride <= window_size` broken) and naming the file, line and field when it is the data
    (`relik_ml.formats`); no documents at all is an error, not a table of zeros.
    """
    from relik_ml.formats import DOCUMENT_FORMATS, read_documents

    if fmt not in DOCUMENT_FORMATS:
        raise InputError(f"unknown document format {fmt!r}; known: {', '.join(sorted(DOCUMENT_FORMATS))}",
                         field="format")
    for name, value in (("window_size", window_size), ("stride", stride)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"expected an integer >= 1, got {value!r}", field=name)
    if stride > window_size:
        raise InputError(f"stride {stride} exceeds the window size {window_size}", field="stride")
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
