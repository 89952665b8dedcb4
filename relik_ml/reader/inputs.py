"""Reader inputs: `[CLS] window [SEP] <ST0> <ST1> c1 … <STK> cK [SEP] (<ST_{K+1}> r1 … [SEP])`.

Special tokens are added to the tokenizer (`add_reader_tokens`). `build_reader_input` tokenizes a
window and its candidates, trims candidates to `config.max_input_tokens` (policy in
`configuration.py`) and, with `with_labels=True`, attaches gold spans (token start, token end,
entity slot) and triplets (subject span, object span, relation slot). A `TokenCache` shared by many
calls tokenizes each distinct candidate text once and many windows in one batched tokenizer call.

`build_reader_passes` (inference, EL) trims nothing: when the ranked entity candidates do not fit
one input it splits them, in rank order, into several passes over the same window, each
`[CLS] window [SEP] <ST0> <ST_i> c_i … <ST_j> c_j [SEP]` with the special tokens numbered as in one
long input; the model merges the passes (`RelikReaderModel.forward(window_of=...)`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from tokenizers import AddedToken
from transformers import PreTrainedTokenizerBase

from relik_ml.errors import InputError
from relik_ml.reader.configuration import RelikReaderConfig
from relik_ml.types import NME, Passage, Span, Window


@dataclass(frozen=True)
class ReaderPasses:
    """One window read in one or more passes: `merged` lists every candidate read, in rank order
    (slot 0 = NME), the slots decoding uses; `passes` are the model inputs, each holding the window
    and the next candidates that fit. The first pass carries the window's gold spans (merged slots)."""

    merged: ReaderInput
    passes: tuple[ReaderInput, ...]


@dataclass(frozen=True)
class ReaderInput:
    """One encoded window; positions index `input_ids`, slots index the candidate lists."""

    window: Window
    input_ids: tuple[int, ...]
    # (char start, char end) in `window.text` of window token i, which sits at position i + 1.
    token_offsets: tuple[tuple[int, int], ...]
    # Positions of <ST0> … <STK> (entities) and of the relation tokens, in input order.
    entity_positions: tuple[int, ...] = ()
    relation_positions: tuple[int, ...] = ()
    # Per position: the position of the special token of the candidate it belongs to (the special
    # token itself included), -1 for [CLS], window tokens and [SEP] (`own_text` attention).
    special_of: tuple[int, ...] = ()
    # Candidate passage per special token; entity slot 0 is NME (None).
    entities: tuple[Passage | None, ...] = ()
    relations: tuple[Passage, ...] = ()
    # Gold (training): (start token, end token inclusive, entity slot) and (subject, object, slot).
    spans: tuple[tuple[int, int, int], ...] = ()
    triplets: tuple[tuple[int, int, int], ...] = ()

    @property
    def attention_mask(self) -> tuple[int, ...]:
        """All ones: padding is added by `collate`."""
        return (1,) * len(self.input_ids)

    @property
    def num_window_tokens(self) -> int:
        return len(self.token_offsets)

    @property
    def entity_ids(self) -> tuple[str, ...]:
        """KB id per entity special token (`NME` for <ST0>)."""
        return tuple(NME if p is None else p.id for p in self.entities)

    @property
    def relation_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.relations)

    @property
    def start_labels(self) -> tuple[int, ...]:
        """1 for window tokens that start a gold mention, else 0."""
        starts = {s for s, _, _ in self.spans}
        return tuple(int(i in starts) for i in range(self.num_window_tokens))

    @property
    def end_labels(self) -> tuple[int, ...]:
        """1 for window tokens that end a gold mention, else 0."""
        ends = {e for _, e, _ in self.spans}
        return tuple(int(i in ends) for i in range(self.num_window_tokens))


def add_reader_tokens(tokenizer: PreTrainedTokenizerBase, config: RelikReaderConfig) -> int:
    """Add the config's special tokens to the tokenizer (never split, never lower-cased)."""
    tokens = [AddedToken(t, special=True, normalized=False) for t in config.special_tokens()]
    tokenizer.add_tokens(tokens, special_tokens=True)
    return len(tokenizer)


class TokenCache:
    """Token ids of candidate texts (memoised by text) and of windows (batched), for one tokenizer + config.

    At most `max_candidates` candidate texts are kept; the memo is emptied when it grows past that.
    """

    def __init__(self, tokenizer: PreTrainedTokenizerBase, config: RelikReaderConfig, max_candidates: int = 500_000):
        self.tokenizer = tokenizer
        self.config = config
        self.max_candidates = max_candidates
        self.special_ids = tuple(tokenizer.convert_tokens_to_ids(config.special_tokens()))
        self._candidates: dict[str, tuple[int, ...]] = {}
        self._windows: dict[str, tuple[tuple[int, ...], tuple[tuple[int, int], ...]]] = {}

    def prepare(self, windows: Sequence[Window], passages: Sequence[Passage]) -> None:
        """Tokenize the windows (replacing the previous ones) and the unseen candidate texts, batched."""
        texts = list(dict.fromkeys(w.text for w in windows))
        self._windows = dict(zip(texts, _tokenize_windows(texts, self.tokenizer)))
        new = list(dict.fromkeys(t for t in (candidate_text(p, self.config) for p in passages) if t not in self._candidates))
        if len(self._candidates) + len(new) > self.max_candidates:
            self._candidates.clear()
        if new:
            encoded = self.tokenizer(new, add_special_tokens=False)["input_ids"]
            limit = self.config.max_candidate_tokens
            self._candidates.update((text, tuple(ids[:limit])) for text, ids in zip(new, encoded))

    def window(self, window: Window) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
        """Window token ids (no special tokens) and their character offsets."""
        if window.text not in self._windows:
            self._windows[window.text] = _tokenize_windows([window.text], self.tokenizer)[0]
        return self._windows[window.text]

    def candidate(self, passage: Passage) -> tuple[int, ...]:
        """Token ids of the candidate's text, cut to `max_candidate_tokens`."""
        text = candidate_text(passage, self.config)
        if text not in self._candidates:
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
            self._candidates[text] = tuple(ids[: self.config.max_candidate_tokens])
        return self._candidates[text]


def _tokenize_windows(
    texts: Sequence[str], tokenizer: PreTrainedTokenizerBase
) -> list[tuple[tuple[int, ...], tuple[tuple[int, int], ...]]]:
    if not texts:
        return []
    encoded = tokenizer(list(texts), add_special_tokens=False, return_offsets_mapping=True)
    return [
        (tuple(ids), tuple((int(s), int(e)) for s, e in offsets))
        for ids, offsets in zip(encoded["input_ids"], encoded["offset_mapping"])
    ]


def candidate_text(passage: Passage, config: RelikReaderConfig) -> str:
    """The text shown to the reader for one candidate."""
    if config.candidate_text == "title+description" and passage.text:
        return f"{passage.title}: {passage.text}"
    return passage.title


def build_reader_input(
    window: Window,
    entities: Sequence[Passage],
    relations: Sequence[Passage],
    tokenizer: PreTrainedTokenizerBase,
    config: RelikReaderConfig,
    *,
    with_labels: bool = False,
    tokens: TokenCache | None = None,
) -> ReaderInput:
    """Encode one window with its ranked candidates (trimmed to fit; gold kept with labels).

    `tokens` (built for the same tokenizer and config) reuses earlier tokenisations.
    """
    tokens = tokens if tokens is not None else TokenCache(tokenizer, config)
    entities = list(entities[: config.max_candidates]) if config.has_entities else []
    relations = list(relations[: config.max_relation_candidates]) if config.has_relations else []
    window_ids, offsets = tokens.window(window)
    texts = {id(p): tokens.candidate(p) for p in [*entities, *relations]}
    keep = _fit(window, len(window_ids), _interleave(entities, relations), texts, config, with_labels)
    entities = [p for p in entities if id(p) in keep]
    relations = [p for p in relations if id(p) in keep]
    input_ids, ent_pos, rel_pos, special_of = _layout(
        window_ids, entities, relations, texts, tokenizer, tokens.special_ids, config)
    slots = (None, *entities) if config.has_entities else ()
    encoded = ReaderInput(window, tuple(input_ids), offsets, ent_pos, rel_pos, special_of, slots, tuple(relations))
    return _with_gold(encoded, window) if with_labels else encoded


def build_reader_passes(
    window: Window,
    entities: Sequence[Passage],
    relations: Sequence[Passage],
    tokenizer: PreTrainedTokenizerBase,
    config: RelikReaderConfig,
    *,
    with_labels: bool = False,
    tokens: TokenCache | None = None,
) -> ReaderPasses:
    """Every ranked entity candidate (up to `max_candidates`) in as many passes as needed (EL).

    Each pass takes the next candidates in rank order, as many as fit (the first pass is then the
    trimmed input). When they fit one input, or for RE / cIE
    (whose triplet head reads all candidates of one input together), this is `build_reader_input`
    in one pass. A candidate longer than an empty pass's budget cannot be read and is left out
    (candidate texts are cut to `max_candidate_tokens`).
    """
    tokens = tokens if tokens is not None else TokenCache(tokenizer, config)
    single = build_reader_input(window, entities, relations, tokenizer, config, with_labels=with_labels, tokens=tokens)
    ranked = list(entities[: config.max_candidates])
    if config.task != "el" or len(single.entities) == len(ranked) + 1:
        return ReaderPasses(single, (single,))
    window_ids, offsets = tokens.window(window)
    texts = {id(p): tokens.candidate(p) for p in ranked}
    groups = _pack(ranked, texts, config.max_input_tokens - _fixed_cost(len(window_ids), config))
    passes, first_slot = [], 1
    for group in groups:
        input_ids, ent_pos, _, special_of = _layout(
            window_ids, group, [], texts, tokenizer, tokens.special_ids, config, first_slot=first_slot)
        passes.append(ReaderInput(window, tuple(input_ids), offsets, ent_pos, (), special_of, (None, *group)))
        first_slot += len(group)
    first = passes[0]
    merged = ReaderInput(window, first.input_ids, offsets, first.entity_positions, (), first.special_of,
                         (None, *(p for group in groups for p in group)))
    if with_labels:
        merged = _with_gold(merged, window)
        passes[0] = replace(first, spans=merged.spans)
    return ReaderPasses(merged, tuple(passes))


def _pack(ranked: list[Passage], texts: dict[int, Sequence[int]], budget: int) -> list[list[Passage]]:
    """Candidates in rank order, cut into consecutive groups of at most `budget` tokens each (one over
    `budget` alone is left out)."""
    groups: list[list[Passage]] = [[]]
    left = budget
    for passage in ranked:
        cost = 1 + len(texts[id(passage)])
        if cost > budget:
            continue
        if cost > left:
            groups.append([])
            left = budget
        groups[-1].append(passage)
        left -= cost
    return groups


def _fixed_cost(num_window_tokens: int, config: RelikReaderConfig) -> int:
    """Tokens that are always present: [CLS] window [SEP] (<ST0>) [SEP] (+ [SEP] for cIE)."""
    return num_window_tokens + 3 + int(config.has_entities) + int(config.task == "cie")


def _fit(
    window: Window,
    num_window_tokens: int,
    ranked: list[Passage],
    texts: dict[int, Sequence[int]],
    config: RelikReaderConfig,
    with_labels: bool,
) -> set[int]:
    """Ids (python `id`) of the candidates kept under the token budget, gold first when labelled."""
    budget = config.max_input_tokens - _fixed_cost(num_window_tokens, config)
    if budget < 0:
        raise InputError(f"window {window.id!r} has {num_window_tokens} tokens, over the budget", field="text")
    gold = _gold_ids(window) if with_labels else set()
    ordered = [p for p in ranked if p.id in gold] + [p for p in ranked if p.id not in gold]
    keep: set[int] = set()
    for passage in ordered:
        cost = 1 + len(texts[id(passage)])
        if cost <= budget:
            keep.add(id(passage))
            budget -= cost
        elif passage.id in gold:
            raise InputError(f"window {window.id!r}: gold candidate {passage.id!r} does not fit", field="candidates")
    return keep


def _interleave(first: list[Passage], second: list[Passage]) -> list[Passage]:
    """e1, r1, e2, r2, … so trimming removes entities and relations evenly by rank."""
    width = max(len(first), len(second))
    return [seq[i] for i in range(width) for seq in (first, second) if i < len(seq)]


def _gold_ids(window: Window) -> set[str]:
    return {s.label for s in window.spans} | {t.relation for t in window.triplets}


def _layout(
    window_ids: Sequence[int],
    entities: list[Passage],
    relations: list[Passage],
    texts: dict[int, Sequence[int]],
    tokenizer: PreTrainedTokenizerBase,
    special_ids: Sequence[int],
    config: RelikReaderConfig,
    *,
    first_slot: int = 1,
) -> tuple[list[int], tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Concatenate the sequence; return ids, the entity / relation special-token positions and `special_of`.

    The entities get <ST0> then <ST_first_slot>, <ST_first_slot+1>, … (a later pass continues the numbering).
    """
    names = iter([*special_ids[:1], *special_ids[first_slot:]])
    ids = [tokenizer.cls_token_id, *window_ids, tokenizer.sep_token_id]
    special_of = [-1] * len(ids)
    ent_pos: list[int] = []
    rel_pos: list[int] = []

    def add_candidate(passage: Passage | None, positions: list[int]) -> None:
        here = len(ids)
        positions.append(here)
        text = () if passage is None else texts[id(passage)]
        ids.extend([next(names), *text])
        special_of.extend([here] * (1 + len(text)))

    if config.has_entities:
        for passage in [None, *entities]:
            add_candidate(passage, ent_pos)
        names = iter(special_ids[config.num_entity_tokens :])
        if config.has_relations:
            ids.append(tokenizer.sep_token_id)
            special_of.append(-1)
    for passage in relations:
        add_candidate(passage, rel_pos)
    ids.append(tokenizer.sep_token_id)
    special_of.append(-1)
    return ids, tuple(ent_pos), tuple(rel_pos), tuple(special_of)


def _with_gold(encoded: ReaderInput, window: Window) -> ReaderInput:
    """Attach gold spans (window spans and triplet arguments) and triplets in token / slot terms."""
    slot = {p.id: i for i, p in enumerate(encoded.entities) if p is not None}
    arguments = [part for t in window.triplets for part in (t.subject, t.object)]
    unique = {(s.start, s.end): s for s in [*arguments, *window.spans]}
    spans = sorted(unique.values(), key=lambda s: (s.start, s.end))
    token_spans = [(*_char_to_tokens(s, encoded, window), slot.get(s.label, 0)) for s in spans]
    index = {(s.start, s.end): i for i, s in enumerate(spans)}
    rel_slot = {p.id: i for i, p in enumerate(encoded.relations)}
    triplets = []
    for t in window.triplets:
        if t.relation in rel_slot:
            subject, obj = index[(t.subject.start, t.subject.end)], index[(t.object.start, t.object.end)]
            triplets.append((subject, obj, rel_slot[t.relation]))
    return replace(encoded, spans=tuple(token_spans), triplets=tuple(sorted(set(triplets))))


def _char_to_tokens(span: Span, encoded: ReaderInput, window: Window) -> tuple[int, int]:
    """First and last window token overlapping the character span."""
    hits = [i for i, (s, e) in enumerate(encoded.token_offsets) if s < span.end and e > span.start]
    if not hits:
        raise InputError(f"window {window.id!r}: span {span.start}-{span.end} covers no token", field="spans")
    return hits[0], hits[-1]
