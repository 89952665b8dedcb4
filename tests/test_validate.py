from __future__ import annotations

from dataclasses import replace

import pytest

from relik_ml.errors import InputError
from relik_ml.types import NME, Document, Passage, Span, Triplet, Window
from relik_ml.validate import Problem, document_problems, passage_problems, raise_if_any, window_problems
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
    ("spans", "field"),
    [
        ((Span(30, 40, "Germany"),), "spans[0]"),
        ((Span(-1, 3, "Germany"),), "spans[0]"),
        ((Span(5, 5, "Germany"),), "spans[0]"),
        ((GERMANY, Span(13, 19, "Italy")), "spans[1].label"),
    ],
)
def test_bad_span_is_reported(spans: tuple[Span, ...], field: str) -> None:
    doc = Document("d1", TEXT, spans)
    assert fields(document_problems([doc], kb_ids={"Germany"})) == [(0, field)]


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
        ({"spans": (Span(0, 99),)}, "spans[0]"),
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
    assert str(caught.value) == "kb/passages.jsonl: field 'title': record 0 ('Q1'): is empty (and 3 more problems)"
