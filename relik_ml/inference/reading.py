"""The reader step: encode window examples, run them in token-budget batches, decode per window.

Windows and candidate texts are tokenized in batched calls (candidate texts once per `TokenCache`),
inputs are batched by length under a token budget and run under `torch.inference_mode`.
An EL window whose K candidates do not fit one input is read in several passes (`split_candidates`,
`inputs.build_reader_passes`), all passes of a window in the same batch and merged by the model.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import torch
from tqdm.auto import tqdm
from transformers import PreTrainedTokenizerBase

from relik_ml.reader.configuration import RelikReaderConfig
from relik_ml.reader.data import ReaderExample, collate
from relik_ml.reader.decoding import decode
from relik_ml.reader.entqa_reading import read_entqa_windows
from relik_ml.reader.inputs import ReaderInput, ReaderPasses, TokenCache, build_reader_input, build_reader_passes
from relik_ml.reader.modeling import RelikReaderModel
from relik_ml.reader.word_spans import widen_to_words
from relik_ml.types import Prediction, Triplet, Window

GOLD_ONLY = ("span_entities", "triplets")  # label tensors the given-mentions mode must not pass


def split_long_windows(windows: Sequence[Window], tokenizer: PreTrainedTokenizerBase, max_tokens: int) -> list[Window]:
    """Cut windows of more than `max_tokens` reader tokens into consecutive pieces (rare: long unbroken words)."""
    if not windows:
        return []
    encoded = tokenizer([w.text for w in windows], add_special_tokens=False, return_offsets_mapping=True)
    pieces: list[Window] = []
    for window, offsets in zip(windows, encoded["offset_mapping"]):
        if len(offsets) <= max_tokens:
            pieces.append(window)
            continue
        for number, first in enumerate(range(0, len(offsets), max_tokens)):
            start, end = offsets[first][0], offsets[min(first + max_tokens, len(offsets)) - 1][1]
            pieces.append(_piece(window, f"{window.id}.{number}", start, end))
    return pieces


def _piece(window: Window, piece_id: str, start: int, end: int) -> Window:
    """The sub-window `window.text[start:end]`, keeping the spans that lie inside it."""
    inside = tuple(s.shifted(-start) for s in window.spans if start <= s.start and s.end <= end)
    return Window(piece_id, window.doc_id, window.text[start:end], window.start + start, window.start + end,
                  window.topic, inside, (), window.language)


def read_windows(
    model: RelikReaderModel,
    tokenizer: PreTrainedTokenizerBase,
    examples: Sequence[ReaderExample],
    *,
    max_tokens: int,
    given_mentions: bool = False,
    progress: bool = False,
    tokens: TokenCache | None = None,
    split_candidates: bool = True,
) -> list[Prediction]:
    """One prediction per example (offsets relative to its window), in input order.

    With `split_candidates` (default) an EL window reads all its candidates (up to `max_candidates`),
    in several passes when they do not fit `max_input_tokens`; False trims them to one input
    (the reference's behaviour, and the training inputs').

    With `given_mentions`, each window's spans are the mentions: the reader links them (and relates
    them) instead of predicting spans, and the predictions keep their exact character offsets;
    otherwise predicted spans are widened to whole words (`config.span_words`, module `word_spans`).
    `tokens` (for this tokenizer and config) keeps candidate tokenisations between calls.
    An EntQA reader reads one pair per (window, candidate) instead (`reader.entqa_reading`).
    """
    if model.config.architecture == "entqa":
        return read_entqa_windows(model, tokenizer, examples, max_tokens=max_tokens, given_mentions=given_mentions,
                                  progress=progress, tokens=tokens)
    if split_candidates:
        windows = encode_passes(examples, tokenizer, model.config, with_labels=given_mentions, tokens=tokens)
    else:
        windows = [ReaderPasses(i, (i,)) for i in
                   encode_inputs(examples, tokenizer, model.config, with_labels=given_mentions, tokens=tokens)]
    batches = pass_batches([[len(p.input_ids) for p in w.passes] for w in windows], max_tokens)
    predictions: list[Prediction | None] = [None] * len(windows)
    with torch.inference_mode():
        for batch in tqdm(batches, desc="reading", unit="batch", disable=not progress):
            passes = [p for j in batch for p in windows[j].passes]
            tensors = collate(passes, tokenizer.pad_token_id, with_labels=given_mentions).to(model.device).tensors
            for name in GOLD_ONLY:
                tensors.pop(name, None)
            if len(passes) > len(batch):
                counts = torch.tensor([len(windows[j].passes) for j in batch])
                tensors["window_of"] = torch.repeat_interleave(torch.arange(len(batch)), counts).to(model.device)
            for j, prediction in zip(batch, decode(model(**tensors), [windows[j].merged for j in batch])):
                if given_mentions:
                    predictions[j] = _with_given_offsets(prediction, examples[j].window)
                else:
                    predictions[j] = widen_to_words(prediction, model.config.span_words)
    return [p for p in predictions if p is not None]


def encode_inputs(
    examples: Sequence[ReaderExample],
    tokenizer: PreTrainedTokenizerBase,
    config: RelikReaderConfig,
    *,
    with_labels: bool,
    tokens: TokenCache | None = None,
) -> list[ReaderInput]:
    """`build_reader_input` for each example, tokenizing windows and new candidate texts in batches."""
    tokens = tokens if tokens is not None else TokenCache(tokenizer, config)
    _prepare(examples, config, tokens)
    return [
        build_reader_input(e.window, e.entities, e.relations, tokenizer, config, with_labels=with_labels, tokens=tokens)
        for e in examples
    ]


def encode_passes(
    examples: Sequence[ReaderExample],
    tokenizer: PreTrainedTokenizerBase,
    config: RelikReaderConfig,
    *,
    with_labels: bool,
    tokens: TokenCache | None = None,
) -> list[ReaderPasses]:
    """`build_reader_passes` for each example, tokenizing windows and new candidate texts in batches."""
    tokens = tokens if tokens is not None else TokenCache(tokenizer, config)
    _prepare(examples, config, tokens)
    return [
        build_reader_passes(e.window, e.entities, e.relations, tokenizer, config, with_labels=with_labels,
                            tokens=tokens)
        for e in examples
    ]


def _prepare(examples: Sequence[ReaderExample], config: RelikReaderConfig, tokens: TokenCache) -> None:
    passages = [
        p for e in examples for p in (*e.entities[: config.max_candidates], *e.relations[: config.max_relation_candidates])
    ]
    tokens.prepare([e.window for e in examples], passages)


def pass_batches(pass_lengths: Sequence[Sequence[int]], max_tokens: int) -> list[list[int]]:
    """Windows (indices) in batches of at most `max_tokens` padded tokens, each window with all its passes.

    Windows are taken by their longest pass, shortest first; one pass per window gives
    `token_budget_batches(..., shuffle=False)`. A window over the budget alone gets a batch of its own.
    """
    longest = [max(lengths) for lengths in pass_lengths]
    batches: list[list[int]] = []
    rows = 0
    for index in sorted(range(len(pass_lengths)), key=lambda i: longest[i]):
        count = len(pass_lengths[index])
        if batches and (rows + count) * longest[index] <= max_tokens:
            batches[-1].append(index)
            rows += count
        else:
            batches.append([index])
            rows = count
    return batches


def _with_given_offsets(prediction: Prediction, window: Window) -> Prediction:
    """Put back the given mentions' character offsets (decoding snaps them to token edges)."""
    given = sorted({(s.start, s.end) for s in window.spans})  # the order the reader saw them in
    moved = {
        id(span): replace(span, start=start, end=end)
        for (span, _), (start, end) in zip(prediction.spans, given, strict=True)
    }
    spans = tuple((moved[id(span)], score) for span, score in prediction.spans)
    triplets = tuple(
        (Triplet(moved[id(t.subject)], t.relation, moved[id(t.object)]), score) for t, score in prediction.triplets
    )
    return replace(prediction, spans=spans, triplets=triplets)
