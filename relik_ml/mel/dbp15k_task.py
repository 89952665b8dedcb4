"""Cross-lingual name linking on DBP15K: link an entity's name in the source language to the English KB.

The KB is the pair's English side (every entity, aligned or not), each described by its English
Wikipedia lead paragraph from `wiki-summaries` when a summary has exactly its title, else by its name
alone. A mention is a gold pair's source-language name, with no surrounding text. Pairs go to
train / dev / test by a hash of the two names (never the ids: their order leaks the alignment), so
the split is fixed by the data alone.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from relik_ml.formats.dbp15k import Dbp15kPair
from relik_ml.kb.sources import read_titled_texts
from relik_ml.mel.kb import EntityKB, MelEntity

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class SplitConfig:
    """Shares of the gold pairs per split, in percent of the hash space."""

    train: int = 30
    dev: int = 10
    test: int = 60
    salt: str = "dbp15k-name-linking"  # changes every pair's bucket when changed

    def __post_init__(self) -> None:
        if min(self.train, self.dev, self.test) < 0 or self.train + self.dev + self.test != 100:
            raise ValueError(f"split shares must be >= 0 and sum to 100, got {self.train}/{self.dev}/{self.test}")

    def split_of(self, source_name: str, english_name: str) -> str:
        bucket = int.from_bytes(hashlib.sha256(f"{self.salt}\t{source_name}\t{english_name}".encode()).digest()[:8],
                                "big") % 100
        return "train" if bucket < self.train else "dev" if bucket < self.train + self.dev else "test"


@dataclass(frozen=True)
class NameMention:
    """A source-language name whose gold entity is an English KB id."""

    id: str  # "<lang>:<source id>"
    name: str
    label: str
    language: str


@dataclass
class NameLinkingTask:
    """The English KB and the mentions of each split."""

    language: str
    kb: EntityKB
    splits: dict[str, list[NameMention]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        described = sum(bool(e.description) for e in self.kb)
        return {"kb_entities": len(self.kb), "kb_with_lead": described,
                **{f"{name}_mentions": len(self.splits.get(name, [])) for name in SPLITS}}


def read_leads(path: str | Path) -> dict[str, str]:
    """Title -> lead paragraph from a `wiki-summaries` file (the first record of a repeated title wins)."""
    leads: dict[str, str] = {}
    for entity in read_titled_texts(Path(path), "wiki-summaries", text_field="text"):
        leads.setdefault(entity.title, entity.text)
    return leads


def name_linking_task(pair: Dbp15kPair, leads: Mapping[str, str], split: SplitConfig = SplitConfig()) -> NameLinkingTask:
    """The KB of `pair`'s English side (id = English title) and the gold pairs as split mentions."""
    names = sorted(set(pair.english.values()))  # by name, not by id: the id order leaks the alignment
    kb = EntityKB(MelEntity(name, name, leads.get(name, ""), "en") for name in names)
    splits: dict[str, list[NameMention]] = {name: [] for name in SPLITS}
    for source_id, english_id in pair.pairs:
        source_name, english_name = pair.source[source_id], pair.english[english_id]
        mention = NameMention(f"{pair.source_language}:{source_id}", source_name, english_name, pair.source_language)
        splits[split.split_of(source_name, english_name)].append(mention)
    return NameLinkingTask(pair.source_language, kb, splits)
