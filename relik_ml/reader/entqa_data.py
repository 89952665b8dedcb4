"""EntQA reader data: one input per (window, candidate) pair, training candidates, collate.

A pair is `[CLS] window [SEP] candidate text [SEP]`; the start / end heads read position 0 ([CLS],
the (1, 1) "no span" answer) and the window tokens 1 … n. Training candidates (`training_examples`)
are a window's gold entities plus negatives: `hard_negative_share` of them the retriever's best
non-gold candidates of the window, the rest drawn uniformly from the candidate passages of all
training windows (seeded, drawn once per run). At inference a window's candidates are the
retriever's top K (`max_candidates`), pairs are batched across windows by padded tokens.
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from transformers import PreTrainedTokenizerBase

from relik_ml.errors import InputError
from relik_ml.reader.data import ReaderExample
from relik_ml.reader.configuration import EntqaReaderConfig
from relik_ml.reader.inputs import TokenCache
from relik_ml.types import NME, Passage, Span, Window


@dataclass(frozen=True)
class EntqaInput:
    """One window with its candidates, encoded as one pair per candidate."""

    window: Window
    # (char start, char end) in `window.text` of window token i, which sits at position i + 1 of every pair.
    token_offsets: tuple[tuple[int, int], ...]
    candidates: tuple[Passage, ...]
    pairs: tuple[tuple[int, ...], ...]  # input ids per candidate
    # Gold (training): per candidate, its mentions in the window as (start token, end token inclusive);
    # () = the entity is not mentioned, its target is the (1, 1) "no span".
    gold: tuple[tuple[tuple[int, int], ...], ...] = ()

    @property
    def num_window_tokens(self) -> int:
        return len(self.token_offsets)


@dataclass
class EntqaBatch:
    """Model keyword tensors (one row per pair) and the (input, candidate) of each row."""

    tensors: dict[str, torch.Tensor]
    rows: tuple[tuple[EntqaInput, int], ...] = field(default_factory=tuple)

    @property
    def inputs(self) -> tuple[EntqaInput, ...]:
        """The distinct windows of the batch, in row order."""
        return tuple({id(inp): inp for inp, _ in self.rows}.values())

    def to(self, device: torch.device | str) -> EntqaBatch:
        return EntqaBatch({k: v.to(device) for k, v in self.tensors.items()}, self.rows)


def training_examples(
    examples: Sequence[ReaderExample], config: EntqaReaderConfig, *, seed: int = 0
) -> list[ReaderExample]:
    """Each window with its gold candidates and `config.train_candidates - #gold` negatives (at least one)."""
    rng = random.Random(seed)
    pool = list({p.id: p for e in examples for p in e.entities}.values())
    chosen = []
    for example in examples:
        gold_ids = {s.label for s in example.window.spans} - {NME}
        gold = [p for p in example.entities if p.id in gold_ids]
        wanted = max(config.train_candidates - len(gold), 1)
        hard = [p for p in example.entities if p.id not in gold_ids][: round(wanted * config.hard_negative_share)]
        easy = _draw(pool, wanted - len(hard), gold_ids | {p.id for p in hard}, rng)
        chosen.append(ReaderExample(example.window, tuple(gold + hard + easy)))
    return chosen


def _draw(pool: list[Passage], count: int, taken: set[str], rng: random.Random) -> list[Passage]:
    """Up to `count` distinct passages of `pool` drawn uniformly, none of them in `taken`."""
    if len(pool) <= 2 * (count + len(taken)):  # a small pool: filter it, then sample
        free = [p for p in pool if p.id not in taken]
        return rng.sample(free, min(count, len(free)))
    drawn: list[Passage] = []
    seen = set(taken)
    while len(drawn) < count:  # at least half of the pool is free: a few draws per passage
        passage = pool[rng.randrange(len(pool))]
        if passage.id not in seen:
            seen.add(passage.id)
            drawn.append(passage)
    return drawn


def encode_entqa(
    examples: Sequence[ReaderExample],
    tokenizer: PreTrainedTokenizerBase,
    config: EntqaReaderConfig,
    *,
    with_labels: bool = False,
    tokens: TokenCache | None = None,
) -> list[EntqaInput]:
    """Pairs of each window with its first `max_candidates` candidates (gold mentions with labels)."""
    tokens = tokens if tokens is not None else TokenCache(tokenizer, config)
    tokens.prepare([e.window for e in examples], [p for e in examples for p in e.entities[: config.max_candidates]])
    return [_encode(e, tokenizer, config, tokens, with_labels) for e in examples]


def _encode(
    example: ReaderExample, tokenizer: PreTrainedTokenizerBase, config: EntqaReaderConfig, tokens: TokenCache,
    with_labels: bool,
) -> EntqaInput:
    window = example.window
    window_ids, offsets = tokens.window(window)
    room = config.max_input_tokens - len(window_ids) - 3
    if room < 0:
        raise InputError(f"window {window.id!r} has {len(window_ids)} tokens, over the budget", field="text")
    candidates = tuple(example.entities[: config.max_candidates])
    head = (tokenizer.cls_token_id, *window_ids, tokenizer.sep_token_id)
    pairs = tuple((*head, *tokens.candidate(p)[:room], tokenizer.sep_token_id) for p in candidates)
    gold: tuple = ()
    if with_labels:
        gold = tuple(
            tuple(sorted({char_to_tokens(s, offsets, window) for s in window.spans if s.label == p.id}))
            for p in candidates
        )
    return EntqaInput(window, offsets, candidates, pairs, gold)


def char_to_tokens(span: Span, offsets: Sequence[tuple[int, int]], window: Window) -> tuple[int, int]:
    """First and last window token overlapping the character span."""
    hits = [i for i, (s, e) in enumerate(offsets) if s < span.end and e > span.start]
    if not hits:
        raise InputError(f"window {window.id!r}: span {span.start}-{span.end} covers no token", field="spans")
    return hits[0], hits[-1]


def window_rows(inputs: Sequence[EntqaInput]) -> list[tuple[EntqaInput, int]]:
    """Every (input, candidate index) pair of the windows, window by window."""
    return [(inp, k) for inp in inputs for k in range(len(inp.candidates))]


def padded_size(encoded: EntqaInput) -> int:
    """Tokens of a window's pairs once padded to its longest pair (a training batch holds whole windows)."""
    return len(encoded.pairs) * max((len(p) for p in encoded.pairs), default=0)


def collate_pairs(
    rows: Sequence[tuple[EntqaInput, int]], pad_token_id: int, *, with_labels: bool = False
) -> EntqaBatch:
    """Pad pairs into model tensors; `pair_window` numbers the windows of the batch (rerank groups).

    With labels: `gold_candidate` (R,) marks the candidates mentioned in their window, and
    `gold_spans` (G, 3) holds [row, start position, end position] per gold mention, [row, 0, 0]
    for a candidate without one.
    """
    width = max((len(inp.pairs[k]) for inp, k in rows), default=0)
    ids = torch.full((len(rows), width), pad_token_id, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.bool)
    span_mask = torch.zeros((len(rows), width), dtype=torch.bool)
    numbers: dict[int, int] = {}
    for r, (inp, k) in enumerate(rows):
        pair = inp.pairs[k]
        ids[r, : len(pair)] = torch.tensor(pair, dtype=torch.long)
        attention[r, : len(pair)] = True
        span_mask[r, : inp.num_window_tokens + 1] = True  # [CLS] and the window tokens
        numbers.setdefault(id(inp), len(numbers))
    tensors = {
        "input_ids": ids,
        "attention_mask": attention,
        "span_mask": span_mask,
        "pair_window": torch.tensor([numbers[id(inp)] for inp, _ in rows], dtype=torch.long),
    }
    if with_labels:
        gold_rows = [[(r, s + 1, e + 1) for s, e in inp.gold[k]] or [(r, 0, 0)] for r, (inp, k) in enumerate(rows)]
        tensors["gold_candidate"] = torch.tensor([bool(inp.gold[k]) for inp, k in rows], dtype=torch.bool)
        tensors["gold_spans"] = torch.tensor([g for group in gold_rows for g in group], dtype=torch.long).reshape(-1, 3)
    return EntqaBatch(tensors, tuple(rows))
