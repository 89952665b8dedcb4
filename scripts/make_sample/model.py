"""Entity records and the sample knowledge base they form."""
from __future__ import annotations

import re
from dataclasses import dataclass

# Kinds grouped by their CoNLL-2003 NER type.
KIND_TO_NER = {
    **dict.fromkeys(("country", "state", "region", "city", "district", "river", "island", "mountain"), "LOC"),
    **dict.fromkeys(("company", "club", "org", "university", "media", "band", "team"), "ORG"),
    "person": "PER",
    **dict.fromkeys(("event", "language", "product", "thing", "work", "award"), "MISC"),
}

_LINK = re.compile(r"\[\[([^\]|]+)(?:\|([^\]]+))?\]\]")


@dataclass(frozen=True)
class Entity:
    """One hand-written KB entity: title, Wikidata QID (None if unsure), kind, surface forms, text, facts."""

    title: str
    qid: str | None
    kind: str
    aliases: tuple[str, ...]
    markup: str
    facts: tuple[tuple[str, str], ...]

    @property
    def ner(self) -> str:
        return KIND_TO_NER[self.kind]

    def fact(self, name: str) -> list[str]:
        """Objects of one fact type, in declaration order."""
        return [obj for key, obj in self.facts if key == name]


def E(title: str, qid: str | None, kind: str, aliases: list[str], markup: str, **facts: str | tuple[str, ...]) -> Entity:
    """Compact constructor used by the data modules; each fact value is a title or a tuple of titles."""
    if kind not in KIND_TO_NER:
        raise ValueError(f"unknown kind {kind!r} for {title}")
    pairs = [(key, obj) for key, value in facts.items() for obj in ((value,) if isinstance(value, str) else value)]
    return Entity(title, qid, kind, tuple(dict.fromkeys([title, *aliases])), markup, tuple(pairs))


def parse_markup(markup: str) -> tuple[str, list[tuple[int, int, str]]]:
    """Strip `[[Title|surface]]` links; returns the plain text and `(start, end, title)` anchors."""
    parts: list[str] = []
    anchors: list[tuple[int, int, str]] = []
    cursor = 0
    length = 0
    for match in _LINK.finditer(markup):
        parts.append(markup[cursor : match.start()])
        length += match.start() - cursor
        surface = match.group(2) or match.group(1)
        anchors.append((length, length + len(surface), match.group(1)))
        parts.append(surface)
        length += len(surface)
        cursor = match.end()
    parts.append(markup[cursor:])
    return "".join(parts), anchors


class KnowledgeBase:
    """The ordered entity list with title lookup and sample-local Wikipedia page ids."""

    def __init__(self, entities: list[Entity]) -> None:
        self.entities = entities
        self.by_title = {entity.title: entity for entity in entities}
        if len(self.by_title) != len(entities):
            raise ValueError("duplicate entity titles")
        self.page_id = {entity.title: str(1000 + 7 * index) for index, entity in enumerate(entities)}

    def __getitem__(self, title: str) -> Entity:
        return self.by_title[title]

    def with_qid(self) -> list[Entity]:
        return [entity for entity in self.entities if entity.qid]

    def check_references(self) -> None:
        """Every fact object and every link target must be a KB title."""
        for entity in self.entities:
            targets = [obj for _, obj in entity.facts] + [title for *_, title in parse_markup(entity.markup)[1]]
            missing = [title for title in targets if title not in self.by_title]
            if missing:
                raise ValueError(f"{entity.title}: unknown references {missing}")
