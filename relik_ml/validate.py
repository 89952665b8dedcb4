"""Integrity checks for passages, documents and windows: pure functions returning problems.

Each `*_problems` function returns every problem it finds (empty list = valid), so a reader can
report them all or call `raise_if_any` to fail on the first with an `InputError`. Problems come
in input order (by record position).
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from relik_ml.errors import InputError
from relik_ml.types import NME, Document, Passage, Span, Triplet, Window


@dataclass(frozen=True)
class Problem:
    """One failed check: which record (id and position in the input), which field, what is wrong."""

    record: str
    index: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"record {self.index} ({self.record!r}): field '{self.field}': {self.message}"


def raise_if_any(problems: list[Problem], *, path: str | Path | None = None) -> None:
    """Raise `InputError` naming the first problem's field (and how many more there are)."""
    if not problems:
        return
    first = problems[0]
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    raise InputError(f"record {first.index} ({first.record!r}): {first.message}{more}", path=path, field=first.field)


def passage_problems(passages: Iterable[Passage], *, min_chars: int = 1, max_chars: int = 5000) -> list[Problem]:
    """Unique non-empty ids, non-blank titles, text length within `[min_chars, max_chars]`."""
    passages = list(passages)
    problems = _id_problems([p.id for p in passages])
    for i, p in enumerate(passages):
        if not p.title.strip():
            problems.append(Problem(p.id, i, "title", "is empty"))
        if not p.text.strip():
            problems.append(Problem(p.id, i, "text", "is empty"))
        if not min_chars <= len(p.text) <= max_chars:
            problems.append(Problem(p.id, i, "text", f"has {len(p.text)} chars, outside [{min_chars}, {max_chars}]"))
    return _in_input_order(problems)


def document_problems(documents: Iterable[Document], kb_ids: Collection[str] | None = None) -> list[Problem]:
    """Unique ids; spans inside the text with known labels; triplet arguments among the spans."""
    documents = list(documents)
    problems = _id_problems([d.id for d in documents])
    for i, doc in enumerate(documents):
        problems += [Problem(doc.id, i, field, msg) for field, msg in _span_problems(doc.spans, len(doc.text), kb_ids)]
        problems += [Problem(doc.id, i, field, msg) for field, msg in _triplet_problems(doc.triplets, doc.spans)]
    return _in_input_order(problems)


def window_problems(windows: Iterable[Window], documents: Mapping[str, Document] | None = None) -> list[Problem]:
    """Unique ids, non-empty text, spans inside the window; text equals the document slice when given."""
    windows = list(windows)
    problems = _id_problems([w.id for w in windows])
    for i, w in enumerate(windows):
        found = [*_window_text_problems(w, documents), *_span_problems(w.spans, len(w.text), None)]
        found += _triplet_problems(w.triplets, w.spans)
        problems += [Problem(w.id, i, field, msg) for field, msg in found]
    return _in_input_order(problems)


def _in_input_order(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: p.index)


def _id_problems(ids: list[str]) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for i, record in enumerate(ids):
        if not record:
            problems.append(Problem(record, i, "id", "is empty"))
        elif record in seen:
            problems.append(Problem(record, i, "id", "is not unique"))
        seen.add(record)
    return problems


def _span_problems(spans: tuple[Span, ...], text_length: int, kb_ids: Collection[str] | None) -> list[tuple[str, str]]:
    problems = []
    for j, s in enumerate(spans):
        if not 0 <= s.start < s.end <= text_length:
            problems.append((f"spans[{j}]", f"offsets [{s.start}, {s.end}) not inside text of {text_length} chars"))
        if kb_ids is not None and s.label != NME and s.label not in kb_ids:
            problems.append((f"spans[{j}].label", f"{s.label!r} is not a KB id nor {NME}"))
    return problems


def _triplet_problems(triplets: tuple[Triplet, ...], spans: tuple[Span, ...]) -> list[tuple[str, str]]:
    offsets = {(s.start, s.end) for s in spans}
    problems = []
    for j, t in enumerate(triplets):
        for role, arg in (("subject", t.subject), ("object", t.object)):
            if (arg.start, arg.end) not in offsets:
                problems.append((f"triplets[{j}].{role}", f"[{arg.start}, {arg.end}) is not one of the spans"))
        if not t.relation:
            problems.append((f"triplets[{j}].relation", "is empty"))
    return problems


def _window_text_problems(window: Window, documents: Mapping[str, Document] | None) -> list[tuple[str, str]]:
    problems = []
    if not window.text:
        problems.append(("text", "is empty"))
    if window.end - window.start != len(window.text):
        problems.append(("text", f"has {len(window.text)} chars but [start, end) spans {window.end - window.start}"))
    if documents is None:
        return problems
    doc = documents.get(window.doc_id)
    if doc is None:
        problems.append(("doc_id", f"{window.doc_id!r} is not a known document"))
    elif doc.text[window.start : window.end] != window.text:
        problems.append(("text", f"differs from document text [{window.start}, {window.end})"))
    return problems
