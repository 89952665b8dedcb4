"""The thesis's string baselines (`relik_ml.baselines`) as ranked candidate lists over an `EntityKB`.

Aliases are each entity's name plus training anchors (mention string -> gold entity), counted as
Alg. 2 counts them. The uncased key keeps every script (case-folded NFKC, whitespace collapsed): the
English-only `kb_union.entity_key` would erase Chinese and Japanese mentions.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from relik_ml.baselines import AliasTable, AliasTableBuilder, StringSimilarity, StringSimilarityConfig
from relik_ml.baselines.alias_table import Case
from relik_ml.mel.kb import EntityKB


def multilingual_key(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed; scripts are kept."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def build_alias_table(kb: EntityKB, anchors: Iterable[tuple[str, str]] = ()) -> AliasTable:
    """Alias table of the KB's names plus (mention, gold entity id) anchors; an anchor's entity is
    resolved through its name, as `AliasTableBuilder` resolves targets by title."""
    builder = AliasTableBuilder(multilingual_key)
    builder.add_entities((entity.id, entity.name) for entity in kb)
    builder.add_anchors((mention, kb[entity].name) for mention, entity in anchors)
    return builder.build()


def alias_table_rankings(table: AliasTable, mentions: Sequence[str], k: int, case: Case = "uncased") -> list[list[str]]:
    """Alg. 1 extended to K entities (Alg. 2): an unknown mention gets an empty list (NIL)."""
    return [table.lookup(mention, k, case) for mention in mentions]


def string_similarity_rankings(
    table: AliasTable, mentions: Sequence[str], k: int, config: StringSimilarityConfig = StringSimilarityConfig()
) -> list[list[str]]:
    """Entities by the normalised Indel similarity of their best alias (RapidFuzz, trigram-blocked)."""
    ranker = StringSimilarity(table, config)
    return [ranker.lookup(mention, k) for mention in mentions]
