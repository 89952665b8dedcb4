from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from relik_assets.validation import SuiteResult, validate_documents, validate_passages, validate_windows
from relik_ml.types import NME, Document, Passage, Span, Window
from relik_ml.windows import windows_for_documents

REPO = Path(__file__).resolve().parents[2]
TEXT = "Germany beat France 2-1 in Paris ."
SPANS = (Span(0, 7, "Germany"), Span(13, 19, "France"), Span(27, 32, NME))


def failed(result: SuiteResult) -> set[tuple[str, str, str]]:
    return {(r.table, r.expectation, r.column) for r in result.failures()}


def good_passages(n: int = 3) -> list[Passage]:
    return [Passage(f"Q{i}", f"Entity {i}", f"Entity {i} is a thing number {i}.") for i in range(n)]


def test_good_passages_pass() -> None:
    result = validate_passages(good_passages())
    assert result.success and result.name == "passages" and result.rows == (("passages", 3),)
    expectations = {r.expectation for r in result.results}
    assert {"expect_column_values_to_be_unique", "expect_column_values_to_not_be_null"} <= expectations


@pytest.mark.parametrize(
    ("bad", "expectation", "column"),
    [
        (Passage("Q0", "Duplicate", "Text."), "expect_column_values_to_be_unique", "id"),
        (Passage("", "No id", "Text."), "expect_column_values_to_match_regex", "id"),
        (Passage("Q9", " ", "Text."), "expect_column_values_to_match_regex", "title"),
        (Passage("Q9", "Blank", "   "), "expect_column_values_to_match_regex", "text"),
        (Passage("Q9", "Long", "x" * 101), "expect_column_value_lengths_to_be_between", "text"),
    ],
)
def test_bad_passage_fails_the_right_expectation(bad: Passage, expectation: str, column: str) -> None:
    result = validate_passages([*good_passages(), bad], max_chars=100)
    assert not result.success
    assert failed(result) == {("passages", expectation, column)}
    [outcome] = result.failures()
    assert outcome.unexpected_count >= 1 and outcome.examples


def test_null_passage_id_fails_not_null() -> None:
    result = validate_passages([*good_passages(), Passage(None, "T", "Text.")])  # type: ignore[arg-type]
    assert ("passages", "expect_column_values_to_not_be_null", "id") in failed(result)


def test_good_documents_pass_with_and_without_kb() -> None:
    doc = Document("d1", TEXT, SPANS)
    assert validate_documents([doc]).success
    assert validate_documents([doc], kb_ids={"Germany", "France"}).success
    assert validate_documents([]).success


@pytest.mark.parametrize(
    ("span", "expectation", "column"),
    [
        (Span(-2, 3, "Germany"), "expect_column_values_to_be_between", "start"),
        (Span(30, 40, "Germany"), "expect_column_pair_values_a_to_be_greater_than_b", "text_length,end"),
        (Span(7, 7, "Germany"), "expect_column_pair_values_a_to_be_greater_than_b", "end,start"),
        (Span(12, 19, "France"), "expect_column_values_to_match_regex", "covered"),
        (Span(13, 19, "Italy"), "expect_column_values_to_be_in_set", "label"),
    ],
)
def test_bad_span_fails_the_right_expectation(span: Span, expectation: str, column: str) -> None:
    result = validate_documents([Document("d1", TEXT, (*SPANS, span))], kb_ids={"Germany", "France"})
    assert ("spans", expectation, column) in failed(result)
    assert all(table == "spans" for table, _, _ in failed(result))


def test_duplicate_documents_fail_uniqueness() -> None:
    doc = Document("d1", TEXT, SPANS)
    assert failed(validate_documents([doc, doc])) == {("documents", "expect_column_values_to_be_unique", "id")}


def test_windows_from_documents_pass() -> None:
    docs = [Document(f"d{i}", " ".join([TEXT] * 10), SPANS) for i in range(3)]
    windows, stats = windows_for_documents(docs)
    result = validate_windows(windows)
    assert result.success and dict(result.rows) == {"windows": stats.windows, "spans": stats.spans_kept}


@pytest.mark.parametrize(
    ("changes", "table", "expectation", "column"),
    [
        ({"id": "d0#0"}, "windows", "expect_column_values_to_be_unique", "id"),
        ({"text": "", "end": 0}, "windows", "expect_column_values_to_be_between", "text_length"),
        ({"end": 3}, "windows", "expect_column_pair_values_to_be_equal", "text_length,range_length"),
        ({"spans": (Span(30, 99),)}, "spans", "expect_column_pair_values_a_to_be_greater_than_b", "text_length,end"),
    ],
)
def test_bad_window_fails_the_right_expectation(changes: dict, table: str, expectation: str, column: str) -> None:
    good = [Window("d0#0", "d0", TEXT, 0, len(TEXT), spans=SPANS), Window("d0#1", "d0", "Paris .", 27, 34)]
    result = validate_windows([good[0], replace(good[1], **changes)])
    assert (table, expectation, column) in failed(result)


def test_result_is_json_friendly() -> None:
    result = validate_passages([*good_passages(), Passage("Q0", "Dup", "Text.")])
    [outcome] = [r for r in result.to_json()["results"] if not r["success"]]
    assert outcome["examples"] == ["Q0", "Q0"] and outcome["unexpected_count"] == 2


def test_validation_opens_no_connection_and_writes_no_file(monkeypatch, tmp_path) -> None:
    attempts: list[object] = []

    def refuse(self, address, *args):
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.chdir(tmp_path)
    assert validate_passages(good_passages()).success
    assert validate_windows(windows_for_documents([Document("d", TEXT, SPANS)])[0]).success
    assert attempts == [] and list(tmp_path.iterdir()) == []


def test_importing_the_suites_does_not_import_great_expectations() -> None:
    code = "import sys, relik_assets.validation; assert 'great_expectations' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_ten_thousand_passages_validate_in_about_a_second() -> None:
    passages = good_passages(10_000)
    validate_passages(passages[:1])  # import GX outside the timing
    started = time.perf_counter()
    assert validate_passages(passages).success
    assert time.perf_counter() - started < 5.0
