"""The suites, defined in code: what passages, documents and windows must satisfy."""
from __future__ import annotations

from collections.abc import Collection, Iterable

from relik_ml.types import NME, Document, Passage, Window

from relik_assets.validation.frames import documents_frame, passages_frame, spans_frame, windows_frame
from relik_assets.validation.result import SuiteResult
from relik_assets.validation.runner import Expect, Table, run_suite

NOT_BLANK = r"\S"  # at least one non-space character
TRIMMED = r"^\S(?:[\s\S]*\S)?$"  # non-empty, no leading or trailing whitespace


def validate_passages(passages: Iterable[Passage], *, min_chars: int = 1, max_chars: int = 5000) -> SuiteResult:
    """Ids unique and present, titles and texts non-blank, text length within `[min_chars, max_chars]`."""
    expectations = (
        *_id_expectations(),
        Expect("ExpectColumnValuesToMatchRegex", {"column": "title", "regex": NOT_BLANK}),
        Expect("ExpectColumnValuesToMatchRegex", {"column": "text", "regex": NOT_BLANK}),
        Expect("ExpectColumnValueLengthsToBeBetween",
               {"column": "text", "min_value": min_chars, "max_value": max_chars}),
    )
    return run_suite("passages", [Table("passages", passages_frame(passages), expectations)])


def validate_documents(documents: Iterable[Document], kb_ids: Collection[str] | None = None) -> SuiteResult:
    """Ids unique; spans inside the text, non-empty, trimmed, and labelled with a KB id or NME."""
    documents = list(documents)
    spans = spans_frame(documents)
    expectations = _span_expectations()
    if kb_ids is not None:
        # Only the labels that occur matter: keep the value set small even for a large KB.
        known = sorted(label for label in set(spans["label"]) if label == NME or label in kb_ids)
        expectations += (Expect("ExpectColumnValuesToBeInSet", {"column": "label", "value_set": known}),)
    return run_suite("documents", [
        Table("documents", documents_frame(documents), _id_expectations()),
        Table("spans", spans, expectations),
    ])


def validate_windows(windows: Iterable[Window]) -> SuiteResult:
    """Ids unique, texts non-empty and as long as `[start, end)`, spans inside the window text."""
    windows = list(windows)
    expectations = (
        *_id_expectations(),
        Expect("ExpectColumnValuesToBeBetween", {"column": "text_length", "min_value": 1}),
        Expect("ExpectColumnPairValuesToBeEqual", {"column_A": "text_length", "column_B": "range_length"}),
    )
    return run_suite("windows", [
        Table("windows", windows_frame(windows), expectations),
        Table("spans", spans_frame(windows), _span_expectations()),
    ])


def _id_expectations() -> tuple[Expect, ...]:
    return (
        Expect("ExpectColumnValuesToNotBeNull", {"column": "id"}),
        Expect("ExpectColumnValuesToBeUnique", {"column": "id"}),
        Expect("ExpectColumnValuesToMatchRegex", {"column": "id", "regex": NOT_BLANK}),
    )


def _span_expectations() -> tuple[Expect, ...]:
    return (
        Expect("ExpectColumnValuesToBeBetween", {"column": "start", "min_value": 0}),
        Expect("ExpectColumnPairValuesAToBeGreaterThanB", {"column_A": "end", "column_B": "start"}),
        Expect("ExpectColumnPairValuesAToBeGreaterThanB",
               {"column_A": "text_length", "column_B": "end", "or_equal": True}),
        Expect("ExpectColumnValuesToMatchRegex", {"column": "covered", "regex": TRIMMED}),
    )
