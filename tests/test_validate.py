from __future__ import annotations

import re
from dataclasses import replace

import pytest

from relik_ml.errors import InputError
from relik_ml.types import NME, Document, Passage, Span, Triplet, Window
from relik_ml.validate import (
    Problem,
    document_problems,
    document_tables,
    passage_problems,
    passage_tables,
    raise_if_any,
    window_problems,
    window_tables,
)
from relik_ml.windows import make_windows

TEXT = "Germany beat France 2-1 in Paris ."
GERMANY, FRANCE, PARIS = Span(0, 7, "Germany"), Span(13, 19, "France"), Span(27, 32, NME)


def good_passages() -> list[Passage]:
    return [
        Passage("Q183", "Germany", "Country in Central Europe."),
        Passage("Q142", "France", "Country in Western Europe."),
    ]


def good_document() -> Document:
    return Document("d1", TEXT, (GERMANY, FRANCE, PARIS), (Triplet(GERMANY, "P1344", FRANCE),))


def fields(problems: list[Problem]) -> list[tuple[int, str]]:
    return [(p.index, p.field) for p in problems]


def test_good_passages_have_no_problems() -> None:
    assert passage_problems(good_passages()) == []


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (Passage("Q183", "Dup", "Another text."), "id"),
        (Passage("", "Empty id", "Text."), "id"),
        (Passage("Q1", "  ", "Text."), "title"),
        (Passage("Q1", "Blank", " \n"), "text"),
        (Passage("Q1", "Long", "x" * 5001), "text"),
    ],
)
def test_bad_passage_is_reported_with_its_field(bad: Passage, field: str) -> None:
    assert (2, field) in fields(passage_problems([*good_passages(), bad]))


def test_passage_length_bounds_are_arguments() -> None:
    assert fields(passage_problems(good_passages(), min_chars=1, max_chars=10)) == [(0, "text"), (1, "text")]


def test_good_document_has_no_problems() -> None:
    assert document_problems([good_document()], kb_ids={"Germany", "France"}) == []


@pytest.mark.parametrize(
    ("spans", "problems"),
    [
        ((Span(30, 40, "Germany"),), [(0, "spans[0].end")]),
        ((Span(-1, 3, "Germany"),), [(0, "spans[0].start")]),
        ((Span(5, 5, "Germany"),), [(0, "spans[0].end"), (0, "spans[0].text")]),
        ((Span(12, 19, "France"),), [(0, "spans[0].text")]),
        ((GERMANY, Span(13, 19, "Italy")), [(0, "spans[1].label")]),
    ],
)
def test_bad_span_is_reported(spans: tuple[Span, ...], problems: list[tuple[int, str]]) -> None:
    doc = Document("d1", TEXT, spans)
    assert fields(document_problems([doc], kb_ids={"Germany", "France"})) == problems


def test_labels_are_not_checked_without_a_kb() -> None:
    assert document_problems([Document("d1", TEXT, (Span(0, 7, "Unknown"),))]) == []


def test_triplet_arguments_must_be_document_spans() -> None:
    doc = replace(good_document(), triplets=(Triplet(GERMANY, "P1344", Span(24, 26)), Triplet(GERMANY, "", FRANCE)))
    assert fields(document_problems([doc])) == [(0, "triplets[0].object"), (0, "triplets[1].relation")]


def test_duplicate_document_ids_are_reported() -> None:
    assert fields(document_problems([good_document(), good_document()])) == [(1, "id")]


def test_windows_made_from_a_document_have_no_problems() -> None:
    doc = good_document()
    windows, _ = make_windows(doc)
    assert window_problems(windows, {doc.id: doc}) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"text": "Germany beat Italy"}, "text"),
        ({"doc_id": "missing"}, "doc_id"),
        ({"spans": (Span(0, 99),)}, "spans[0].end"),
        ({"text": "", "end": 0, "start": 0}, "text"),
    ],
)
def test_bad_window_is_reported(changes: dict, field: str) -> None:
    doc = good_document()
    window = replace(make_windows(doc)[0][0], **changes)
    assert (0, field) in fields(window_problems([window], {doc.id: doc}))


def test_duplicate_window_ids_are_reported_without_documents() -> None:
    window = Window("d1#0", "d1", "Germany", 0, 7)
    assert fields(window_problems([window, window])) == [(1, "id")]


def test_raise_if_any_names_the_field_and_counts_the_rest() -> None:
    raise_if_any([])
    problems = passage_problems([Passage("Q1", "", ""), Passage("Q1", "T", "x")])
    with pytest.raises(InputError) as caught:
        raise_if_any(problems, path="kb/passages.jsonl")
    assert caught.value.field == "title"
    assert str(caught.value) == "kb/passages.jsonl: field 'title': record 0 ('Q1'): must not be blank (and 3 more problems)"



KB = {"Germany", "France"}
BROKEN = {
    "passages": [*good_passages(), Passage("Q183", " ", "x" * 5001)],
    "documents": [replace(good_document(), spans=(Span(-1, 3), Span(5, 5), Span(12, 19, "Italy")),
                          triplets=(Triplet(GERMANY, "", FRANCE),))],
    "windows": [Window("d1#0", "d1", "Germany", 0, 9, (Span(3, 12),)), Window("d1#0", "d1", "", 0, 0)],
}
LIBRARY = {
    "passages": (passage_tables, passage_problems),
    "documents": (lambda r: document_tables(r, KB), lambda r: document_problems(r, KB)),
    "windows": (window_tables, window_problems),
}


def snake(name: str) -> str:
    """`ExpectColumnValuesToBeUnique` -> `expect_column_values_to_be_unique` (GX's result names)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.mark.parametrize("suite", sorted(BROKEN))
def test_the_gx_suite_finds_broken_the_rules_the_library_check_reports(suite: str) -> None:
    from relik_assets.validation import validate_documents, validate_passages, validate_windows
    from relik_assets.validation.suites import EXPECTATIONS

    run_gx = {"passages": validate_passages, "documents": lambda r: validate_documents(r, KB),
              "windows": validate_windows}[suite]
    tables, problems = (make(BROKEN[suite]) for make in LIBRARY[suite])
    rule_of = {(t.name, snake(EXPECTATIONS[rule.kind]), ",".join(rule.columns)): rule for t in tables for rule in t.rules}
    broken = [rule_of[o.table, o.expectation, o.column] for o in run_gx(BROKEN[suite]).failures()]
    gx = {(rule.field, rule.says) for rule in broken}
    library = {(problem.field.split(".")[-1], problem.message) for problem in problems}
    assert len(gx) >= 3 and gx == library


def test_a_title_only_kb_allows_empty_texts_but_not_blank_titles_or_long_texts() -> None:
    passages = [Passage("a", "A", ""), Passage("b", "", ""), Passage("c", "C", "x" * 20)]
    assert set(fields(passage_problems(passages))) == {(0, "text"), (1, "title"), (1, "text")}
    assert set(fields(passage_problems(passages, max_chars=10, title_only=True))) == {(1, "title"), (2, "text")}
