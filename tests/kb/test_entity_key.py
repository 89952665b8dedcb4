"""The one matching key of KB titles, aliases and gold labels."""
from __future__ import annotations

import pytest

from relik_ml.kb_union import entity_key


@pytest.mark.parametrize(("title", "key"), [
    ("Barack_Obama", "barack obama"),
    ("barack obama", "barack obama"),
    ("  Manchester   United F.C. ", "manchester united f.c."),
    ("Kurt Gödel", "kurt godel"),
    ("Łódź", "lodz"),
    ("Søren Kierkegaard", "soren kierkegaard"),
    ("Novak Đoković", "novak dokovic"),
    ("Straße", "strasse"),
    ("Ba'ath_Party", "ba'ath party"),
    ("ＡＢＣ", "abc"),  # NFKD folds full-width letters
    ("東京", ""),
])
def test_key(title: str, key: str) -> None:
    assert entity_key(title) == key


def test_key_is_idempotent() -> None:
    for title in ("Kurt_Gödel", "Œuvre  Æsir", "São Paulo FC", "東京 Tower"):
        assert entity_key(entity_key(title)) == entity_key(title)
