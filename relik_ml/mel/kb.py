"""The linker's KB: one entity per id (a Wikidata QID across languages), with a name and a description.

From DaMuEL, an entity has a description in every language whose part holds it; the KB keeps one,
the first language of a configurable preference order (thesis §6.5: the KB language is a choice),
and, when `fallback_any`, any other language for entities the preferred ones lack (the
alphabetically first). Parts are read one at a time and only the chosen entity per QID is kept.
The encoder reads an entity as `[M] name [M] description` (thesis §5.1.1).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from relik_ml.errors import InputError
from relik_ml.formats.damuel import DamuelEntry, iter_damuel
from relik_ml.mel.config import MarkerConfig

BODIES = ("opening", "description")


@dataclass(frozen=True)
class MelEntity:
    """One KB entity: its id, its name and a description in one language."""

    id: str
    name: str
    description: str = ""
    language: str = "en"


@dataclass(frozen=True)
class KBConfig:
    """Which description of a multilingual entity the KB keeps."""

    language_preference: tuple[str, ...] = ("en",)  # first language holding the entity wins
    fallback_any: bool = True  # keep entities none of the preferred languages holds (else drop them)
    body: str = "opening"  # "opening" (page start, the thesis's first choice) or "description" (Wikidata's)
    max_words: int = 64  # words of the page opening kept

    def __post_init__(self) -> None:
        if self.body not in BODIES:
            raise ValueError(f"body must be one of {BODIES}, got {self.body!r}")
        if not self.language_preference and not self.fallback_any:
            raise ValueError("language_preference is empty and fallback_any is off: no entity could be kept")


class EntityKB:
    """Entities by id in a fixed row order."""

    def __init__(self, entities: Iterable[MelEntity]) -> None:
        self.entities: list[MelEntity] = []
        self.rows: dict[str, int] = {}
        for entity in entities:
            if entity.id in self.rows:
                raise InputError(f"duplicate entity id {entity.id!r}", field="id")
            self.rows[entity.id] = len(self.entities)
            self.entities.append(entity)

    def __len__(self) -> int:
        return len(self.entities)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self.rows

    def __iter__(self) -> Iterator[MelEntity]:
        return iter(self.entities)

    def __getitem__(self, entity_id: str) -> MelEntity:
        if entity_id not in self.rows:
            raise InputError(f"entity {entity_id!r} is not in the KB", field="label")
        return self.entities[self.rows[entity_id]]

    @property
    def ids(self) -> list[str]:
        return [entity.id for entity in self.entities]

    def texts(self, markers: MarkerConfig = MarkerConfig()) -> list[str]:
        """What the encoder reads per row: `[M] name [M] description`."""
        return [entity_text(entity, markers) for entity in self.entities]

    def languages(self) -> dict[str, int]:
        """Entities per description language."""
        counts: dict[str, int] = {}
        for entity in self.entities:
            counts[entity.language] = counts.get(entity.language, 0) + 1
        return dict(sorted(counts.items()))


def entity_text(entity: MelEntity, markers: MarkerConfig = MarkerConfig()) -> str:
    """`[M] name [M] description` (the marked name alone when there is no description)."""
    return f"{markers.mark(entity.name)} {entity.description}".strip()


def kb_from_damuel(paths: Sequence[str | Path], config: KBConfig = KBConfig()) -> EntityKB:
    """One entity per QID over DaMuEL parts (any languages), its description chosen by `config`."""
    rank = {language: i for i, language in enumerate(config.language_preference)}
    worst = len(rank)
    chosen: dict[str, tuple[int, str, MelEntity]] = {}
    for path in paths:
        for entry in iter_damuel(path):
            order = rank.get(entry.language, worst)
            if order == worst and not config.fallback_any:
                continue
            key = (order, entry.language)
            if entry.qid not in chosen or key < chosen[entry.qid][:2]:
                chosen[entry.qid] = (*key, _entity(entry, config))
    return EntityKB(chosen[qid][2] for qid in sorted(chosen, key=_qid_number))


def _entity(entry: DamuelEntry, config: KBConfig) -> MelEntity:
    opening = " ".join(entry.text.split()[: config.max_words])
    first, second = (opening, entry.description) if config.body == "opening" else (entry.description, opening)
    return MelEntity(entry.qid, entry.label or entry.title or entry.qid, first or second, entry.language)


def _qid_number(qid: str) -> int:
    return int(qid[1:])
