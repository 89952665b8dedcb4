"""Flatten records into the pandas tables the suites validate (one row per record or span)."""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from relik_ml.types import Document, Passage, Window

SPAN_COLUMNS = ["record", "start", "end", "label", "text_length", "covered"]


def passages_frame(passages: Iterable[Passage]) -> pd.DataFrame:
    """One row per passage: id, title, text."""
    rows = [(p.id, p.title, p.text) for p in passages]
    return pd.DataFrame(rows, columns=["id", "title", "text"], dtype=object)


def documents_frame(documents: Iterable[Document]) -> pd.DataFrame:
    """One row per document: id, text length."""
    rows = [(d.id, len(d.text)) for d in documents]
    return pd.DataFrame(rows, columns=["id", "text_length"]).astype({"id": object, "text_length": "int64"})


def windows_frame(windows: Iterable[Window]) -> pd.DataFrame:
    """One row per window: id, text length, length of its `[start, end)` range."""
    rows = [(w.id, len(w.text), w.end - w.start) for w in windows]
    frame = pd.DataFrame(rows, columns=["id", "text_length", "range_length"])
    return frame.astype({"id": object, "text_length": "int64", "range_length": "int64"})


def spans_frame(records: Iterable[Document | Window]) -> pd.DataFrame:
    """One row per span: owner id, offsets, label, owner text length and the covered text."""
    rows = [
        (r.id, s.start, s.end, s.label, len(r.text), r.text[max(s.start, 0) : s.end])
        for r in records
        for s in r.spans
    ]
    frame = pd.DataFrame(rows, columns=SPAN_COLUMNS)
    return frame.astype({"record": object, "start": "int64", "end": "int64", "label": object,
                         "text_length": "int64", "covered": object})
