"""Frozen records shared by every layer.

Offsets are character offsets, end exclusive. A span's `label` is a KB id (Wikipedia title,
Wikidata QID, property id) or `NME` for a mention whose entity is not in the KB.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

NME = "--NME--"


@dataclass(frozen=True)
class Passage:
    """One KB entry as text: an entity (title + opening text) or a relation (label + definition)."""

    id: str
    title: str
    text: str
    language: str = "en"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Passage:
        return cls(id=obj["id"], title=obj["title"], text=obj["text"], language=obj.get("language", "en"))


@dataclass(frozen=True)
class Span:
    """A mention: character offsets, KB label (or NME), optional title and entity type."""

    start: int
    end: int
    label: str = NME
    title: str = ""
    type: str = ""

    def shifted(self, offset: int) -> Span:
        return Span(self.start + offset, self.end + offset, self.label, self.title, self.type)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Span:
        return cls(
            start=int(obj["start"]),
            end=int(obj["end"]),
            label=obj.get("label", NME),
            title=obj.get("title", ""),
            type=obj.get("type", ""),
        )


@dataclass(frozen=True)
class Triplet:
    """A relation between two spans; `relation` is a relation KB id (e.g. a Wikidata PID)."""

    subject: Span
    relation: str
    object: Span

    def shifted(self, offset: int) -> Triplet:
        return Triplet(self.subject.shifted(offset), self.relation, self.object.shifted(offset))

    def to_json(self) -> dict[str, Any]:
        return {"subject": self.subject.to_json(), "relation": self.relation, "object": self.object.to_json()}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Triplet:
        return cls(Span.from_json(obj["subject"]), obj["relation"], Span.from_json(obj["object"]))


@dataclass(frozen=True)
class Document:
    """A text with gold spans and triplets; `split` names the dataset split when it has one."""

    id: str
    text: str
    spans: tuple[Span, ...] = ()
    triplets: tuple[Triplet, ...] = ()
    language: str = "en"
    split: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "spans": [s.to_json() for s in self.spans],
            "triplets": [t.to_json() for t in self.triplets],
            "language": self.language,
            "split": self.split,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Document:
        return cls(
            id=str(obj["id"]),
            text=obj["text"],
            spans=tuple(Span.from_json(s) for s in obj.get("spans", ())),
            triplets=tuple(Triplet.from_json(t) for t in obj.get("triplets", ())),
            language=obj.get("language", "en"),
            split=obj.get("split", ""),
        )


@dataclass(frozen=True)
class Window:
    """A slice `doc.text[start:end]` of a document; spans/triplets are relative to `text`."""

    id: str
    doc_id: str
    text: str
    start: int
    end: int
    topic: str = ""
    spans: tuple[Span, ...] = ()
    triplets: tuple[Triplet, ...] = ()
    language: str = "en"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "doc_id": self.doc_id,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "topic": self.topic,
            "spans": [s.to_json() for s in self.spans],
            "triplets": [t.to_json() for t in self.triplets],
            "language": self.language,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Window:
        return cls(
            id=obj["id"],
            doc_id=obj["doc_id"],
            text=obj["text"],
            start=int(obj["start"]),
            end=int(obj["end"]),
            topic=obj.get("topic", ""),
            spans=tuple(Span.from_json(s) for s in obj.get("spans", ())),
            triplets=tuple(Triplet.from_json(t) for t in obj.get("triplets", ())),
            language=obj.get("language", "en"),
        )


@dataclass(frozen=True)
class Candidate:
    """A retrieved passage id with its retriever score."""

    passage_id: str
    score: float


@dataclass(frozen=True)
class MentionContext:
    """A mention in context for the multilingual bi-encoder (thesis): text with the mention span."""

    id: str
    text: str
    start: int
    end: int
    label: str
    language: str = "en"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> MentionContext:
        return cls(**{k: obj[k] for k in ("id", "text", "start", "end", "label")}, language=obj.get("language", "en"))


@dataclass(frozen=True)
class Prediction:
    """The annotation of one text: spans and triplets with scores, offsets into `text`."""

    id: str
    text: str
    spans: tuple[tuple[Span, float], ...] = ()
    triplets: tuple[tuple[Triplet, float], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
