"""The thesis's string-similarity ranker: normalised Indel similarity between a mention and KB names.

Names are the alias table's uncased aliases (keyed titles, redirect aliases and training anchors), so
an exact match scores 100 and ranks its entities exactly as the alias table does. Scoring every name
per mention is too slow at Wikipedia scale, so a blocking step picks the `block_size` names with the
highest character-trigram Dice overlap (`TrigramIndex`) and RapidFuzz scores only those with
`fuzz.ratio` (100 * (1 - Indel distance / (len(a) + len(b)))). Names sharing no trigram with the
mention are never candidates: a mention with none gives an empty list.
"""
from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from relik_ml.baselines.alias_table import AliasTable
from relik_ml.baselines.trigrams import TrigramIndex


@dataclass(frozen=True)
class StringSimilarityConfig:
    """Blocking and scoring."""

    block_size: int = 2000  # names scored with Indel per mention: the top of the trigram-Dice ranking
    min_score: float = 0.0  # names scoring below this (0-100) are dropped

    def __post_init__(self) -> None:
        if self.block_size < 1:
            raise ValueError(f"block_size must be >= 1, got {self.block_size}")


@dataclass(frozen=True)
class Scored:
    """One ranked entity: its id, the best-scoring name that reached it and that name's similarity."""

    entity_id: str
    name: str
    score: float  # fuzz.ratio, 0-100


class StringSimilarity:
    """Mention -> entities ranked by the Indel similarity of their best name (uncased, through the table's key)."""

    def __init__(self, table: AliasTable, config: StringSimilarityConfig = StringSimilarityConfig()) -> None:
        self.table = table
        self.config = config
        self.names = table.aliases("uncased")
        self.index = TrigramIndex(self.names)

    def lookup(self, mention: str, k: int) -> list[str]:
        """Entity ids, best first (at most k); [] when no name shares a trigram with the mention."""
        return [s.entity_id for s in self.ranked(mention, k)]

    def ranked(self, mention: str, k: int) -> list[Scored]:
        """The k best entities: each name's entities in alias-table order, names as `ranked_names`;
        an entity is counted once, at its best name."""
        out: list[Scored] = []
        seen: set[str] = set()
        for name, score in self.ranked_names(mention):
            for ranked in self.table.ranked_alias(name, "uncased"):
                if ranked.entity_id not in seen:
                    seen.add(ranked.entity_id)
                    out.append(Scored(ranked.entity_id, name, score))
                    if len(out) == k:
                        return out
        return out

    def ranked_names(self, mention: str, k: int | None = None) -> list[tuple[str, float]]:
        """The block's names with their Indel similarity, by score (desc), then trigram overlap, then row."""
        query = self.table.key(mention)
        rows, _ = self.index.block(query, self.config.block_size)
        block = [self.names[r] for r in rows.tolist()]
        scored = process.extract(query, block, scorer=fuzz.ratio, limit=None, score_cutoff=self.config.min_score)
        scored.sort(key=lambda hit: (-hit[1], hit[2]))  # hit = (name, score, block position)
        return [(name, float(score)) for name, score, _ in scored[:k]]

    def full_scan(self, mention: str, limit: int) -> list[tuple[str, float]]:
        """The `limit` best names over every name, without blocking (for measuring what blocking costs)."""
        hits = process.extract(self.table.key(mention), self.names, scorer=fuzz.ratio, limit=limit)
        return [(name, float(score)) for name, score, _ in hits]
