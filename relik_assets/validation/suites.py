"""The suites: the integrity rules of `relik_ml.validate`, run as Great Expectations expectations."""
from __future__ import annotations

from collections.abc import Collection, Iterable

from relik_ml import validate
from relik_ml.types import Document, Passage, Window

from relik_assets.validation.frames import table_frame
from relik_assets.validation.result import SuiteResult
from relik_assets.validation.runner import Expect, Table, run_suite

EXPECTATIONS = {  # rule kind -> the GX expectation that checks it
    "not_null": "ExpectColumnValuesToNotBeNull",
    "unique": "ExpectColumnValuesToBeUnique",
    "matches": "ExpectColumnValuesToMatchRegex",
    "length_between": "ExpectColumnValueLengthsToBeBetween",
    "between": "ExpectColumnValuesToBeBetween",
    "greater": "ExpectColumnPairValuesAToBeGreaterThanB",
    "equal": "ExpectColumnPairValuesToBeEqual",
    "in_set": "ExpectColumnValuesToBeInSet",
}


def validate_passages(passages: Iterable[Passage], *, min_chars: int = 1, max_chars: int = 5000,
                      title_only: bool = False) -> SuiteResult:
    """The passage rules of `relik_ml.validate.passage_tables` (empty texts allowed with `title_only`)."""
    return run_tables("passages", validate.passage_tables(passages, min_chars=min_chars, max_chars=max_chars,
                                                    title_only=title_only))


def validate_documents(documents: Iterable[Document], kb_ids: Collection[str] | None = None) -> SuiteResult:
    """Ids unique; spans inside the text, trimmed, labelled with a KB id or NME; triplets between spans."""
    return run_tables("documents", validate.document_tables(documents, kb_ids))


def validate_windows(windows: Iterable[Window]) -> SuiteResult:
    """Ids unique, texts non-empty and as long as `[start, end)`, spans inside the window text."""
    return run_tables("windows", validate.window_tables(windows))


def expectation(rule: validate.Rule) -> Expect:
    """The GX expectation of one rule."""
    if len(rule.columns) == 2:
        columns = {"column_A": rule.columns[0], "column_B": rule.columns[1]}
    else:
        columns = {"column": rule.columns[0]}
    return Expect(EXPECTATIONS[rule.kind], {**columns, **rule.options})


def run_tables(suite: str, tables: list[validate.Table]) -> SuiteResult:
    """The suite of the library's rule tables (e.g. `relik_ml.stages.data_checks.artifact_tables`) run by GX."""
    return run_suite(suite, [Table(t.name, table_frame(t), tuple(expectation(r) for r in t.rules)) for t in tables])
