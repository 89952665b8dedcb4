"""Reader data: examples from windows + candidates, token-budget batches, collate to tensors."""
from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import torch
from transformers import PreTrainedTokenizerBase

from relik_ml.reader.configuration import RelikReaderConfig
from relik_ml.reader.inputs import ReaderInput, build_reader_input
from relik_ml.types import NME, Passage, Window


@dataclass(frozen=True)
class ReaderExample:
    """A window with its ranked entity and relation candidate passages."""

    window: Window
    entities: tuple[Passage, ...] = ()
    relations: tuple[Passage, ...] = ()


@dataclass
class ReaderBatch:
    """Model keyword tensors plus the encoded inputs they came from (for decoding)."""

    tensors: dict[str, torch.Tensor]
    inputs: tuple[ReaderInput, ...] = field(default_factory=tuple)

    def to(self, device: torch.device | str) -> ReaderBatch:
        return ReaderBatch({k: v.to(device) for k, v in self.tensors.items()}, self.inputs)


def build_examples(
    windows: Sequence[Window],
    entity_candidates: Mapping[str, Sequence[Passage]],
    *,
    relation_candidates: Mapping[str, Sequence[Passage]] | None = None,
    passages: Mapping[str, Passage] | None = None,
    k: int = 100,
    k_relations: int = 24,
    training: bool = False,
    seed: int = 0,
) -> list[ReaderExample]:
    """Top-k candidates per window id; with `training`, missing gold passages replace the lowest ranks."""
    rng = random.Random(seed)
    examples = []
    for window in windows:
        entities = list(entity_candidates.get(window.id, ()))[:k]
        relations = list((relation_candidates or {}).get(window.id, ()))[:k_relations]
        if training:
            gold_entities = {s.label for s in window.spans} - {NME}
            gold_relations = {t.relation for t in window.triplets}
            entities = _include_gold(entities, gold_entities, passages or {}, k, rng)
            relations = _include_gold(relations, gold_relations, passages or {}, k_relations, rng)
        examples.append(ReaderExample(window, tuple(entities), tuple(relations)))
    return examples


def _include_gold(
    ranked: list[Passage], gold: set[str], passages: Mapping[str, Passage], k: int, rng: random.Random
) -> list[Passage]:
    """Insert gold passages absent from `ranked` at random places, dropping the lowest non-gold ones."""
    missing = [passages[g] for g in sorted(gold - {p.id for p in ranked}) if g in passages]
    for passage in missing:
        drop = next((i for i in reversed(range(len(ranked))) if ranked[i].id not in gold), None)
        if drop is not None and len(ranked) >= k:
            ranked.pop(drop)
        ranked.insert(rng.randrange(len(ranked) + 1), passage)
    return ranked


def encode_examples(
    examples: Sequence[ReaderExample],
    tokenizer: PreTrainedTokenizerBase,
    config: RelikReaderConfig,
    *,
    with_labels: bool,
) -> list[ReaderInput]:
    """`build_reader_input` for each example."""
    return [
        build_reader_input(e.window, e.entities, e.relations, tokenizer, config, with_labels=with_labels)
        for e in examples
    ]


def token_budget_batches(
    lengths: Sequence[int], max_tokens: int = 2048, *, shuffle: bool = True, seed: int = 0
) -> list[list[int]]:
    """Length-sorted buckets whose padded size (count x longest) stays within `max_tokens`."""
    order = list(range(len(lengths)))
    rng = random.Random(seed)
    if shuffle:
        rng.shuffle(order)
    order.sort(key=lambda i: lengths[i])
    batches: list[list[int]] = []
    for index in order:
        if batches and (len(batches[-1]) + 1) * lengths[index] <= max_tokens:
            batches[-1].append(index)
        else:
            batches.append([index])
    if shuffle:
        rng.shuffle(batches)
    return batches


class TokenBudgetSampler:
    """Batch sampler for `DataLoader(batch_sampler=...)`: token-budget batches, reshuffled per epoch."""

    def __init__(self, lengths: Sequence[int], max_tokens: int = 2048, *, shuffle: bool = True, seed: int = 0) -> None:
        self.lengths = list(lengths)
        self.max_tokens = max_tokens
        self.shuffle = shuffle
        self.seed = seed
        self.epoch = 0

    def __iter__(self) -> Iterator[list[int]]:
        batches = token_budget_batches(self.lengths, self.max_tokens, shuffle=self.shuffle, seed=self.seed + self.epoch)
        self.epoch += 1
        return iter(batches)

    def __len__(self) -> int:
        return len(token_budget_batches(self.lengths, self.max_tokens, shuffle=False))


def collate(inputs: Sequence[ReaderInput], pad_token_id: int, *, with_labels: bool = False) -> ReaderBatch:
    """Pad a list of encoded windows into model tensors (gold spans/triplets with `with_labels`)."""
    tensors = {
        "input_ids": _pad([i.input_ids for i in inputs], pad_token_id),
        "attention_mask": _pad([i.attention_mask for i in inputs], 0).bool(),
        "window_mask": _pad([_window_row(i) for i in inputs], 0).bool(),
        "special_of": _pad([i.special_of for i in inputs], -1),
    }
    for name in ("entity", "relation"):
        positions = [getattr(i, f"{name}_positions") for i in inputs]
        if any(positions):
            tensors[f"{name}_positions"] = _pad(positions, 0)
            tensors[f"{name}_mask"] = _pad([(1,) * len(p) for p in positions], 0).bool()
    if with_labels:
        tensors.update(_gold_tensors(inputs))
    return ReaderBatch(tensors, tuple(inputs))


def _window_row(encoded: ReaderInput) -> list[int]:
    """1 at the positions of the window tokens (1 … n), 0 elsewhere."""
    n = encoded.num_window_tokens
    return [0] + [1] * n + [0] * (len(encoded.input_ids) - n - 1)


def _pad(rows: Sequence[Sequence[int]], value: int) -> torch.Tensor:
    width = max((len(r) for r in rows), default=0)
    return torch.tensor([list(r) + [value] * (width - len(r)) for r in rows], dtype=torch.long)  # (B, width)


def _gold_tensors(inputs: Sequence[ReaderInput]) -> dict[str, torch.Tensor]:
    """Gold spans (S, 3) in input positions, their entity slots (S,), triplets (T, 3) in global span rows."""
    spans, slots, triplets, offset = [], [], [], 0
    for b, encoded in enumerate(inputs):
        spans += [(b, s + 1, e + 1) for s, e, _ in encoded.spans]
        slots += [slot for _, _, slot in encoded.spans]
        triplets += [(offset + i, offset + j, k) for i, j, k in encoded.triplets]
        offset += len(encoded.spans)
    return {
        "spans": torch.tensor(spans, dtype=torch.long).reshape(-1, 3),
        "span_entities": torch.tensor(slots, dtype=torch.long),
        "triplets": torch.tensor(triplets, dtype=torch.long).reshape(-1, 3),
    }
