"""Training examples from windows and the collate that builds the shared passage batch."""
from __future__ import annotations

import random
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import torch

from relik_ml.retriever.config import Task
from relik_ml.types import NME, Passage, Window


@dataclass(frozen=True)
class RetrieverExample:
    """A window with its gold passage ids (KB ids, in first-mention order)."""

    window: Window
    gold_ids: tuple[str, ...]


def gold_ids(window: Window, task: Task, kb_ids: Collection[str] | None = None) -> tuple[str, ...]:
    """Distinct gold ids of a window: span labels (el) or relations (re), NME dropped, in the KB if given."""
    labels = [s.label for s in window.spans] if task == "el" else [t.relation for t in window.triplets]
    return tuple(dict.fromkeys(x for x in labels if x != NME and (kb_ids is None or x in kb_ids)))


def build_examples(
    windows: Sequence[Window], task: Task, kb_ids: Collection[str]
) -> tuple[list[RetrieverExample], int]:
    """Examples for the windows with at least one in-KB gold; returns them and the skipped count."""
    examples = [RetrieverExample(w, gold_ids(w, task, kb_ids)) for w in windows]
    kept = [e for e in examples if e.gold_ids]
    return kept, len(examples) - len(kept)


@dataclass
class RetrieverBatch:
    """Tokenised windows (B, t), tokenised passages (P, t') and which passages are gold per window."""

    window_inputs: dict[str, torch.Tensor]
    passage_inputs: dict[str, torch.Tensor]
    positive_mask: torch.Tensor  # (B, P) bool
    passage_ids: list[str]


class RetrieverCollator:
    """Turn examples into a `RetrieverBatch`: golds, then hard negatives, then random fill, deduplicated."""

    def __init__(
        self,
        passages: Mapping[str, Passage],
        window_inputs: Callable[[Sequence[Window]], dict[str, torch.Tensor]],
        passage_inputs: Callable[[Sequence[Passage]], dict[str, torch.Tensor]],
        hard_negatives: Mapping[str, tuple[str, ...]],
        passages_per_batch: int,
        seed: int = 0,
    ) -> None:
        self.passages = passages
        self.window_inputs = window_inputs
        self.passage_inputs = passage_inputs
        self.hard_negatives = hard_negatives  # window id -> mined ids; updated in place by the miner
        self.passages_per_batch = passages_per_batch
        self._ids = list(passages)
        self._rng = random.Random(seed)

    def __call__(self, examples: Sequence[RetrieverExample]) -> RetrieverBatch:
        ids = self.passage_ids(examples)
        column = {pid: j for j, pid in enumerate(ids)}
        mask = torch.zeros(len(examples), len(ids), dtype=torch.bool)  # (B, P)
        for i, example in enumerate(examples):
            mask[i, [column[g] for g in example.gold_ids]] = True
        return RetrieverBatch(
            window_inputs=self.window_inputs([e.window for e in examples]),
            passage_inputs=self.passage_inputs([self.passages[pid] for pid in ids]),
            positive_mask=mask,
            passage_ids=ids,
        )

    def passage_ids(self, examples: Sequence[RetrieverExample]) -> list[str]:
        """The batch's passage ids: every gold, then mined negatives and random ones up to the cap."""
        chosen = dict.fromkeys(g for e in examples for g in e.gold_ids)
        for example in examples:
            for pid in self.hard_negatives.get(example.window.id, ()):
                if len(chosen) >= self.passages_per_batch:
                    return list(chosen)
                chosen.setdefault(pid, None)
        wanted = min(self.passages_per_batch, len(self._ids))
        while len(chosen) < wanted:
            chosen.setdefault(self._rng.choice(self._ids), None)
        return list(chosen)
