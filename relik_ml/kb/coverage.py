"""Coverage of gold mentions by a KB: the share of gold InKB mentions whose entity the KB holds,
entities compared by `entity_key` (gold labels and KB ids alike)."""
from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass
from typing import Any

from relik_ml.kb_union import entity_key
from relik_ml.types import NME, Document


@dataclass(frozen=True)
class Coverage:
    """Gold InKB mentions (non-NME) and how many of them name an entity of the KB."""

    mentions: int
    covered: int
    entities: int  # distinct gold entity keys
    covered_entities: int

    @property
    def share(self) -> float:
        return self.covered / self.mentions if self.mentions else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"coverage": self.share, "gold_inkb_mentions": self.mentions, "covered_mentions": self.covered,
                "gold_entities": self.entities, "covered_entities": self.covered_entities}


def coverage(documents: Sequence[Document], kb_keys: Container[str]) -> Coverage:
    """Coverage of the documents' gold InKB mentions by a KB given as a set of entity keys."""
    keys = [entity_key(s.label) for d in documents for s in d.spans if s.label != NME]
    distinct = set(keys)
    return Coverage(len(keys), sum(k in kb_keys for k in keys), len(distinct), sum(k in kb_keys for k in distinct))
