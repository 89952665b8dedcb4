"""The multilingual KB: one entity per QID, its description chosen by a language preference order."""
from __future__ import annotations

import pytest

from relik_ml.errors import InputError
from relik_ml.formats.damuel import iter_damuel
from relik_ml.mel import EntityKB, KBConfig, MarkerConfig, MelEntity, entity_text, kb_from_damuel
from tests.paths import SAMPLE

PARTS = [SAMPLE / "damuel" / "en" / "part-00000.xz", SAMPLE / "damuel" / "es" / "part-00000.xz"]


def test_language_preference_picks_the_description():
    english = {e.qid for e in iter_damuel(PARTS[0])}
    spanish = {e.qid for e in iter_damuel(PARTS[1])}
    both = english & spanish
    assert both, "the sample parts share entities"
    prefer_es = kb_from_damuel(PARTS, KBConfig(language_preference=("es", "en")))
    prefer_en = kb_from_damuel(PARTS, KBConfig(language_preference=("en", "es")))
    assert set(prefer_es.ids) == set(prefer_en.ids) == english | spanish  # keyed by QID across languages
    assert {prefer_es[q].language for q in both} == {"es"}
    assert {prefer_en[q].language for q in both} == {"en"}
    only_es = kb_from_damuel(PARTS, KBConfig(language_preference=("es",), fallback_any=False))
    assert set(only_es.ids) == spanish and only_es.languages() == {"es": len(spanish)}


def test_entity_text_marks_the_name():
    assert entity_text(MelEntity("Q90", "Paris", "capital of France")) == "[M] Paris [M] capital of France"
    assert entity_text(MelEntity("Q90", "Paris"), MarkerConfig("<e>", "</e>")) == "<e> Paris </e>"


def test_duplicate_or_unknown_ids_are_input_errors(toy_kb):
    with pytest.raises(InputError, match="duplicate"):
        EntityKB([MelEntity("Q1", "a"), MelEntity("Q1", "b")])
    with pytest.raises(InputError, match="Q585") as error:
        toy_kb["Q585"]
    assert error.value.field == "label"
