"""Coverage of gold mentions by a KB: the share of gold InKB mentions whose entity the KB holds.

A gold label names the KB entity whose id is the label itself or, failing that, the label's
`entity_key` (the ids of the Wikipedia-scale KB are keys; those of a KB keyed by Wikipedia titles
match the labels as they are) or, when redirects are given (alias key -> entity id, as in the KB's
`aliases.jsonl`), the entity its key redirects to: a dated title ("Bosnia") names today's entity.
Only the gold side is keyed, so a KB of millions of ids is never re-keyed.
"""
from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from relik_ml.io import iter_jsonl
from relik_ml.kb_union import entity_key
from relik_ml.types import NME, Document, Window

Redirects = Mapping[str, str]
Labelled = TypeVar("Labelled", Document, Window)  # a document or a window: anything with gold `spans`


@dataclass(frozen=True)
class Coverage:
    """Gold InKB mentions (non-NME) and how many of them name an entity of the KB."""

    mentions: int
    covered: int
    entities: int  # distinct gold labels
    covered_entities: int

    @property
    def share(self) -> float:
        return self.covered / self.mentions if self.mentions else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"coverage": self.share, "gold_inkb_mentions": self.mentions, "covered_mentions": self.covered,
                "gold_entities": self.entities, "covered_entities": self.covered_entities}


def kb_id(label: str, kb_ids: Container[str], redirects: Redirects | None = None) -> str | None:
    """The id of the KB entity a gold label names (the label, its key, its key's redirect), or None."""
    if label in kb_ids:
        return label
    key = entity_key(label)
    if key in kb_ids:
        return key
    target = redirects.get(key) if redirects else None
    return target if target is not None and target in kb_ids else None


def coverage(documents: Sequence[Document], kb_ids: Container[str], redirects: Redirects | None = None) -> Coverage:
    """Coverage of the documents' gold InKB mentions by a KB given by its entity ids."""
    labels = [s.label for d in documents for s in d.spans if s.label != NME]
    found = {label: kb_id(label, kb_ids, redirects) is not None for label in set(labels)}
    return Coverage(len(labels), sum(found[label] for label in labels), len(found), sum(found.values()))


def with_kb_ids(documents: Sequence[Labelled], kb_ids: Container[str],
                redirects: Redirects | None = None) -> list[Labelled]:
    """The documents (or windows) with each covered gold label replaced by the id of the KB entity it
    names (uncovered and NME labels unchanged), so that predicted ids compare equal to gold labels and
    a retriever or reader trained against a KB keyed by `entity_key` finds its gold passages."""
    resolved: dict[str, str] = {}
    out = []
    for doc in documents:
        spans = []
        for span in doc.spans:
            if span.label != NME and span.label not in resolved:
                resolved[span.label] = kb_id(span.label, kb_ids, redirects) or span.label
            spans.append(span if span.label == NME else replace(span, label=resolved[span.label]))
        out.append(replace(doc, spans=tuple(spans)))
    return out


def covered_only(documents: Sequence[Document], kb_ids: Container[str],
                 redirects: Redirects | None = None) -> list[Document]:
    """The documents without their uncovered gold InKB mentions (NME mentions kept)."""
    return [replace(d, spans=tuple(s for s in d.spans if s.label == NME or kb_id(s.label, kb_ids, redirects) is not None))
            for d in documents]


def read_redirects(aliases_file: Path) -> dict[str, str]:
    """alias key -> entity id from a KB's `aliases.jsonl` (the first id of each alias)."""
    return {obj["alias"]: obj["ids"][0] for _, obj in iter_jsonl(aliases_file) if obj.get("ids")}
