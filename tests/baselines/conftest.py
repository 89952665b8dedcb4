"""A hand-made KB with redirects and training anchors, and the uncased key the baselines use."""
from __future__ import annotations

import unicodedata

import pytest

from relik_ml.baselines import AliasTable, AliasTableBuilder

ENTITIES = [  # (id, display title) in KB row order
    ("Paris", "Paris"),
    ("Paris Hilton", "Paris Hilton"),
    ("Paris (mythology)", "Paris (mythology)"),
    ("France", "France"),
    ("Ile-de-France", "Île-de-France"),
    ("Manchester United F.C.", "Manchester United F.C."),
    ("Manchester", "Manchester"),
    ("US", "US"),
]
REDIRECTS = [("City of Light", "Paris"), ("Paris", "Paris (mythology)"), ("Man Utd", "Manchester United F.C."),
             ("Lutetia", "Not In The KB")]
ANCHORS = [("Paris", "Paris Hilton"), ("Paris", "Paris Hilton"), ("Paris", "Paris"),
           ("Man United", "Manchester United F.C."), ("French", "France"), ("us", "US")]


def fold(text: str) -> str:
    """NFKD -> ASCII, lower-cased, underscores and runs of whitespace as one space."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(ascii_text.replace("_", " ").lower().split())


@pytest.fixture()
def builder() -> AliasTableBuilder:
    built = AliasTableBuilder(fold)
    built.add_entities(ENTITIES)
    built.add_aliases(REDIRECTS)
    built.add_anchors(ANCHORS)
    return built


@pytest.fixture()
def table(builder) -> AliasTable:
    return builder.build()
