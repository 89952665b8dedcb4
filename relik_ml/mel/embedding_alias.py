"""The embedding-alias baseline (thesis §3.4.3, OLPEAT): the bare mention string embedded with the same
multilingual encoder and compared with every alias of every entity (its name and the training
mentions linked to it), no context and no description. An entity ranks at its best alias."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from relik_ml.mel.encoder import MelBiEncoder, Side
from relik_ml.mel.evaluate import rank_by_embeddings


@dataclass(frozen=True)
class EmbeddingAliasConfig:
    """How aliases and mentions are embedded."""

    # Both sides take the context side's prefix: mention and alias are the same kind of text
    # (E5's advice for symmetric tasks is "query: " on both).
    side: Side = "context"
    batch_size: int = 128


class EmbeddingAlias:
    """Alias embeddings with their entity ids; `rank` gives each mention's entities best first."""

    def __init__(
        self, encoder: MelBiEncoder, aliases: Iterable[tuple[str, str]], config: EmbeddingAliasConfig = EmbeddingAliasConfig()
    ) -> None:
        self.encoder = encoder
        self.config = config
        pairs = list(dict.fromkeys((" ".join(a.split()), e) for a, e in aliases if a.strip()))
        strings = list(dict.fromkeys(alias for alias, _ in pairs))
        row = {alias: i for i, alias in enumerate(strings)}
        self.entity_ids = [entity for _, entity in pairs]  # one key per (alias, entity) pair
        embedded = encoder.embed(strings, config.side, config.batch_size)
        self.keys = embedded[[row[alias] for alias, _ in pairs]] if pairs else np.zeros((0, encoder.dim), np.float32)
        self.aliases = len(strings)

    def rank(self, mentions: Sequence[str], k: int) -> list[list[str]]:
        queries = self.encoder.embed([" ".join(m.split()) for m in mentions], self.config.side, self.config.batch_size)
        return rank_by_embeddings(queries, self.keys, self.entity_ids, k)
