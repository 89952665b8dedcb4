"""The reader step: encode window examples, run them in token-budget batches, decode per window.

Windows and candidate texts are tokenized in batched calls (candidate texts once per `TokenCache`),
inputs are batched by length under a token budget and run under `torch.inference_mode`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import torch
from tqdm.auto import tqdm
from transformers import PreTrainedTokenizerBase

from relik_ml.reader.configuration import RelikReaderConfig
from relik_ml.reader.data import ReaderExample, collate, token_budget_batches
from relik_ml.reader.decoding import decode
from relik_ml.reader.entqa_reading import read_entqa_windows
from relik_ml.reader.inputs import ReaderInput, TokenCache, build_reader_input
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
) -> list[Prediction]:
    """One prediction per example (offsets relative to its window), in input order.

    With `given_mentions`, each window's spans are the mentions: the reader links them (and relates
    them) instead of predicting spans, and the predictions keep their exact character offsets;
    otherwise predicted spans are widened to whole words (`config.span_words`, module `word_spans`).
    `tokens` (for this tokenizer and config) keeps candidate tokenisations between calls.
    An EntQA reader reads one pair per (window, candidate) instead (`reader.entqa_reading`).
    """
    if model.config.architecture == "entqa":
        return read_entqa_windows(model, tokenizer, examples, max_tokens=max_tokens, given_mentions=given_mentions,
                                  progress=progress, tokens=tokens)
    inputs = encode_inputs(examples, tokenizer, model.config, with_labels=given_mentions, tokens=tokens)
    batches = token_budget_batches([len(i.input_ids) for i in inputs], max_tokens, shuffle=False)
    predictions: list[Prediction | None] = [None] * len(inputs)
    with torch.inference_mode():
        for batch in tqdm(batches, desc="reading", unit="batch", disable=not progress):
            encoded = [inputs[j] for j in batch]
            tensors = collate(encoded, tokenizer.pad_token_id, with_labels=given_mentions).to(model.device).tensors
            for name in GOLD_ONLY:
                tensors.pop(name, None)
            for j, prediction in zip(batch, decode(model(**tensors), encoded)):
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
    passages = [
        p for e in examples for p in (*e.entities[: config.max_candidates], *e.relations[: config.max_relation_candidates])
    ]
    tokens.prepare([e.window for e in examples], passages)
    return [
        build_reader_input(e.window, e.entities, e.relations, tokenizer, config, with_labels=with_labels, tokens=tokens)
        for e in examples
    ]


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
