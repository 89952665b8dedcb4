"""Tests for relik_ml.kb_union."""
from __future__ import annotations

from pathlib import Path

import pytest

from relik_ml.formats import read_passages
from relik_ml.kb_union import normalize_title, union_passages
from relik_ml.types import Passage


def test_richer_duplicate_wins_in_first_position() -> None:
    short, long = Passage("Rome", "Rome", ""), Passage("Rome", "Rome", "Rome is the capital of Italy.")
    out = union_passages([short, Passage("Paris", "Paris", "x"), long], [])
    assert out == [long, Passage("Paris", "Paris", "x")]


def test_equal_texts_keep_the_first_seen() -> None:
    first, second = Passage("A", "A", "one"), Passage("A", "A (other)", "two")
    assert union_passages([first, second], []) == [first]


def test_extra_titles_become_sorted_title_only_passages() -> None:
    primary = [Passage("Rome", "Rome", "Capital.")]
    out = union_passages(primary, iter(["Zurich", "Rome", "Bern", "Zurich"]))
    assert out == [primary[0], Passage("Bern", "Bern", ""), Passage("Zurich", "Zurich", "")]


def test_order_does_not_depend_on_extra_title_order() -> None:
    titles = ["b", "a", "c"]
    assert union_passages([], titles) == union_passages([], reversed(titles))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("United_States", "United States"), ("  New   York ", "New York"), ("iPod", "IPod"), ("", "")],
)
def test_normalize_title(raw: str, expected: str) -> None:
    assert normalize_title(raw) == expected


@pytest.mark.shared_data
def test_nel_kb_titles_are_already_normalised(shared_data: Path) -> None:
    kb = read_passages("nel-kb", [shared_data / "nel-nil-el" / "kb.jsonl"])
    merged = union_passages(kb, [kb[0].title, "Some Title Not In NEL"])
    assert len(merged) == len(kb) + 1
    assert all(normalize_title(p.id) == p.id for p in kb)
