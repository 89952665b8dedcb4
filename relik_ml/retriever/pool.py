"""A training pool for a KB too large to embed at every mining round (the 4.5M-entity Wikipedia KB).

Fine-tuning embeds the whole KB for each hard-negative round and each validation (`KBEmbeddingCache`);
on a CPU that is hours per round for millions of passages. The pool is what training sees instead:
every gold passage of the train and dev windows, the *stale* hard negatives (each window's top
incorrect passages under the retriever that embedded an existing index of the whole KB, mined once,
before training) and a seeded uniform sample of the rest of the KB up to `size`. Live mining rounds
and dev recall then run against the pool, whose embedding costs `size` passages instead of the KB;
the recall that counts is measured afterwards against the whole KB, re-embedded by the trained model.

The KB is streamed once (reservoir sampling), so memory is bounded by the pool, not the KB.
"""
from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from relik_ml.index import PassageIndex
from relik_ml.io import iter_jsonl
from relik_ml.retriever.data import RetrieverExample
from relik_ml.retriever.encoder import Retriever
from relik_ml.retriever.mining import select_hard_negatives
from relik_ml.types import Passage

@dataclass(frozen=True)
class PoolConfig:
    """How the pool is drawn (defaults sized for MiniLM fine-tuning on a CPU)."""

    size: int = 200_000  # passages in the pool, golds and stale negatives included (they are always kept)
    stale_negatives_per_window: int = 30  # incorrect passages kept per window from the stale index's top ranks
    seed: int = 42  # draws the uniform sample of the rest of the KB

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError(f"size must be >= 1, got {self.size}")
        if self.stale_negatives_per_window < 0:
            raise ValueError(f"stale_negatives_per_window must be >= 0, got {self.stale_negatives_per_window}")


@dataclass(frozen=True)
class Pool:
    """The pool's passages and what it is made of."""

    passages: list[Passage]
    counts: dict[str, int]


def stale_negatives(
    retriever: Retriever,
    index: PassageIndex,
    examples: Sequence[RetrieverExample],
    limit: int,
    batch_size: int = 128,
) -> dict[str, tuple[str, ...]]:
    """Window id -> its `limit` best incorrect passages under `retriever` in `index` (which that
    retriever embedded): negatives mined once, from the whole KB, by a model that training then leaves behind."""
    if not examples or limit < 1:
        return {}
    queries = retriever.encode_windows([e.window for e in examples], batch_size)
    depth = min(len(index), limit + max(len(e.gold_ids) for e in examples))
    _, ranked = index.search(queries, depth)
    return {e.window.id: select_hard_negatives([i for i in row if i], set(e.gold_ids), limit)
            for e, row in zip(examples, ranked)}


def draw_pool(
    passages_file: Path,
    examples: Iterable[RetrieverExample],
    negatives: Mapping[str, Collection[str]],
    config: PoolConfig,
) -> Pool:
    """Stream the KB's `passages_file` once: keep every gold and stale-negative passage, and a uniform
    sample (reservoir, seeded) of the others up to `config.size` passages in all (more when the kept
    ones alone exceed it; a gold id missing from the KB leaves its slot empty)."""
    gold = {pid for e in examples for pid in e.gold_ids}
    stale = {pid for ids in negatives.values() for pid in ids} - gold
    required = gold | stale
    rng = random.Random(config.seed)
    kept: list[Passage] = []
    sample: list[Passage] = []
    room = max(0, config.size - len(required))
    seen = 0
    for _, obj in iter_jsonl(passages_file):
        passage = Passage.from_json(obj)
        if passage.id in required:
            kept.append(passage)
            continue
        seen += 1
        if len(sample) < room:
            sample.append(passage)
        elif room:
            slot = rng.randrange(seen)
            if slot < room:
                sample[slot] = passage
    found = {p.id for p in kept}
    counts = {"kb_passages": seen + len(kept), "pool_passages": len(kept) + len(sample), "gold": len(gold & found),
              "gold_missing": len(gold - found), "stale_negatives": len(stale & found), "sampled": len(sample)}
    return Pool(kept + sample, counts)
