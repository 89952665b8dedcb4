"""The integrity rules for passages, documents and windows, stated once, and a pure-Python check of them.

Records are flattened into tables (one row per passage, document, window, span or triplet) and each
table carries its rules. `*_problems` checks the rules here and returns every problem it finds
(empty list = valid), in input order, naming the record and field; `raise_if_any` turns the first
into an `InputError`. The Great Expectations suites of the Dagster layer
(`relik_assets/validation/suites.py`) run the same tables and rules as GX expectations.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relik_ml.errors import InputError
from relik_ml.types import NME, Document, Passage, Span, Window

NOT_BLANK = r"\S"  # at least one non-space character
TRIMMED = r"^\S(?:[\s\S]*\S)?$"  # non-empty, no leading or trailing whitespace


@dataclass(frozen=True)
class Rule:
    """One requirement on the column(s) of a table; `kind` names the check (see `CHECKS`)."""

    kind: str  # not_null | unique | matches | length_between | between | greater | equal | in_set
    columns: tuple[str, ...]  # one column, or (A, B) for the pair kinds "greater" and "equal"
    field: str  # the record field a problem names
    says: str  # what the field must be, for the problem message
    options: Mapping[str, Any] = field(default_factory=dict)  # regex, min/max, or_equal, values


@dataclass(frozen=True)
class Row:
    """Where a table row comes from: the record's id, its position in the input, a field prefix."""

    record: str
    index: int
    prefix: str = ""  # e.g. "spans[2]." for the third span of a document


@dataclass(frozen=True)
class Table:
    """Rows of one kind (columns of the types given) and the rules they must meet."""

    name: str
    columns: tuple[tuple[str, type], ...]  # (name, int | bool | str)
    rows: list[tuple[Any, ...]]
    sources: list[Row]
    rules: tuple[Rule, ...]


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


def passage_tables(passages: Iterable[Passage], *, min_chars: int = 1, max_chars: int = 5000,
                   title_only: bool = False) -> list[Table]:
    """Ids unique and present, titles non-blank, texts non-blank with length within `[min_chars, max_chars]`;
    with `title_only` (a KB that declares title-only entities) a text may be empty, never longer."""
    passages = list(passages)
    text_rules = (
        (Rule("length_between", ("text",), "text", f"must have at most {max_chars} chars",
              {"min_value": 0, "max_value": max_chars}),)
        if title_only else
        (Rule("matches", ("text",), "text", "must not be blank", {"regex": NOT_BLANK}),
         Rule("length_between", ("text",), "text", f"must have {min_chars} to {max_chars} chars",
              {"min_value": min_chars, "max_value": max_chars}))
    )
    rules = (
        *_id_rules(),
        Rule("matches", ("title",), "title", "must not be blank", {"regex": NOT_BLANK}),
        *text_rules,
    )
    return [Table("passages", (("id", str), ("title", str), ("text", str)),
                  [(p.id, p.title, p.text) for p in passages], _sources(passages), rules)]


def document_tables(documents: Iterable[Document], kb_ids: Collection[str] | None = None) -> list[Table]:
    """Ids unique; spans inside the text, trimmed, labelled with a KB id or NME; triplets between spans."""
    documents = list(documents)
    spans = _span_table(documents)
    if kb_ids is not None:
        # Only the labels that occur matter: keep the value set small even for a large KB.
        known = sorted({row[3] for row in spans.rows if row[3] == NME or row[3] in kb_ids})
        label_rule = Rule("in_set", ("label",), "label", f"must be a KB id or {NME}", {"value_set": known})
        spans = Table(spans.name, spans.columns, spans.rows, spans.sources, (*spans.rules, label_rule))
    documents_table = Table("documents", (("id", str), ("text_length", int)),
                            [(d.id, len(d.text)) for d in documents], _sources(documents), _id_rules())
    return _non_empty([documents_table, spans, _triplet_table(documents)])


def window_tables(windows: Iterable[Window], documents: Mapping[str, Document] | None = None) -> list[Table]:
    """Ids unique, texts non-empty and as long as `[start, end)`, spans inside the window text,
    triplets between spans; with `documents`, each text equals its document's slice."""
    windows = list(windows)
    rules = (
        *_id_rules(),
        Rule("between", ("text_length",), "text", "must not be empty", {"min_value": 1}),
        Rule("equal", ("text_length", "range_length"), "text", "must be as long as [start, end)"),
    )
    table = Table("windows", (("id", str), ("text_length", int), ("range_length", int)),
                  [(w.id, len(w.text), w.end - w.start) for w in windows], _sources(windows), rules)
    tables = [table, _span_table(windows), _triplet_table(windows)]
    if documents is not None:
        tables.append(_document_slice_table(windows, documents))
    return _non_empty(tables)


def passage_problems(passages: Iterable[Passage], *, min_chars: int = 1, max_chars: int = 5000,
                     title_only: bool = False) -> list[Problem]:
    """The passage rules, checked here."""
    return check(passage_tables(passages, min_chars=min_chars, max_chars=max_chars, title_only=title_only))


def document_problems(documents: Iterable[Document], kb_ids: Collection[str] | None = None) -> list[Problem]:
    """The document rules, checked here."""
    return check(document_tables(documents, kb_ids))


def window_problems(windows: Iterable[Window], documents: Mapping[str, Document] | None = None) -> list[Problem]:
    """The window rules (and the document slices when `documents` are given), checked here."""
    return check(window_tables(windows, documents))


def check(tables: Sequence[Table]) -> list[Problem]:
    """Every row that breaks a rule of its table, as problems in input order."""
    problems = []
    for table in tables:
        names = [name for name, _ in table.columns]
        for rule in table.rules:
            positions = [names.index(c) for c in rule.columns]
            for i in _failing(rule, [tuple(row[p] for p in positions) for row in table.rows]):
                source = table.sources[i]
                problems.append(Problem(source.record, source.index, source.prefix + rule.field, rule.says))
    return sorted(problems, key=lambda p: p.index)


def _failing(rule: Rule, values: list[tuple[Any, ...]]) -> list[int]:
    if rule.kind == "not_null":
        return [i for i, (v,) in enumerate(values) if v is None]
    if rule.kind == "unique":
        seen: set[Any] = set()
        repeated = []
        for i, (v,) in enumerate(values):
            if v in seen:
                repeated.append(i)
            seen.add(v)
        return repeated
    test = CHECKS[rule.kind]
    return [i for i, v in enumerate(values) if None not in v and not test(rule.options, *v)]


def _between(options: Mapping[str, Any], value: float) -> bool:
    low, high = options.get("min_value"), options.get("max_value")
    return (low is None or value >= low) and (high is None or value <= high)


CHECKS = {  # kind -> test of one row's values (nulls are left to "not_null", as in GX)
    "matches": lambda o, v: re.search(o["regex"], v) is not None,
    "length_between": lambda o, v: _between(o, len(v)),
    "between": _between,
    "greater": lambda o, a, b: a >= b if o.get("or_equal") else a > b,
    "equal": lambda o, a, b: a == b,
    "in_set": lambda o, v: v in o["value_set"],
}


def _id_rules() -> tuple[Rule, ...]:
    return (
        Rule("not_null", ("id",), "id", "must be present"),
        Rule("unique", ("id",), "id", "must be unique"),
        Rule("matches", ("id",), "id", "must not be blank", {"regex": NOT_BLANK}),
    )


def _sources(records: Sequence[Passage | Document | Window]) -> list[Row]:
    return [Row(r.id, i) for i, r in enumerate(records)]


def _span_table(records: Sequence[Document | Window]) -> Table:
    """One row per span: owner id, offsets, label, owner text length and the covered text."""
    rows, sources = [], []
    for i, r in enumerate(records):
        for j, s in enumerate(r.spans):
            rows.append((r.id, s.start, s.end, s.label, len(r.text), r.text[max(s.start, 0) : s.end]))
            sources.append(Row(r.id, i, f"spans[{j}]."))
    rules = (
        Rule("between", ("start",), "start", "must be >= 0", {"min_value": 0}),
        Rule("greater", ("end", "start"), "end", "must be after start"),
        Rule("greater", ("text_length", "end"), "end", "must be inside the text", {"or_equal": True}),
        Rule("matches", ("covered",), "text", "must be non-empty, without leading or trailing spaces",
             {"regex": TRIMMED}),
    )
    columns = (("record", str), ("start", int), ("end", int), ("label", str), ("text_length", int), ("covered", str))
    return Table("spans", columns, rows, sources, rules)


def _triplet_table(records: Sequence[Document | Window]) -> Table:
    """One row per triplet: whether each argument is one of the record's spans, and the relation."""
    rows, sources = [], []
    for i, r in enumerate(records):
        offsets = {(s.start, s.end) for s in r.spans}
        for j, t in enumerate(r.triplets):
            rows.append((r.id, _offsets(t.subject) in offsets, _offsets(t.object) in offsets, t.relation))
            sources.append(Row(r.id, i, f"triplets[{j}]."))
    rules = (
        Rule("in_set", ("subject_is_span",), "subject", "must be one of the spans", {"value_set": [True]}),
        Rule("in_set", ("object_is_span",), "object", "must be one of the spans", {"value_set": [True]}),
        Rule("matches", ("relation",), "relation", "must not be blank", {"regex": NOT_BLANK}),
    )
    columns = (("record", str), ("subject_is_span", bool), ("object_is_span", bool), ("relation", str))
    return Table("triplets", columns, rows, sources, rules)


def _document_slice_table(windows: Sequence[Window], documents: Mapping[str, Document]) -> Table:
    """One row per window: whether its document is known and its text is that document's slice."""
    rows = []
    for w in windows:
        doc = documents.get(w.doc_id)
        rows.append((w.id, doc is not None, doc is not None and doc.text[w.start : w.end] == w.text))
    rules = (
        Rule("in_set", ("document_known",), "doc_id", "must be a known document", {"value_set": [True]}),
        Rule("in_set", ("slice_matches",), "text", "must equal the document text [start, end)", {"value_set": [True]}),
    )
    columns = (("record", str), ("document_known", bool), ("slice_matches", bool))
    return Table("document_slices", columns, rows, _sources(windows), rules)


def _offsets(span: Span) -> tuple[int, int]:
    return span.start, span.end


def _non_empty(tables: list[Table]) -> list[Table]:
    """The first table always (it names the suite's records), the others when they have rows."""
    return tables[:1] + [t for t in tables[1:] if t.rows]

