"""The EntQA reader step: every (window, candidate) pair through the encoder, then one decode per window.

Pairs of all the windows are batched together by padded tokens (length-sorted) under
`torch.inference_mode`; a window's rerank softmax is taken once all its pairs have been read.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from tqdm.auto import tqdm
from transformers import PreTrainedTokenizerBase

from relik_ml.reader.data import ReaderExample, token_budget_batches
from relik_ml.reader.entqa_data import EntqaInput, char_to_tokens, collate_pairs, encode_entqa, window_rows
from relik_ml.reader.entqa_decoding import PairReading, decode, decode_given, read_given, read_pairs
from relik_ml.reader.entqa_modeling import EntqaReaderModel
from relik_ml.reader.inputs import TokenCache
from relik_ml.reader.word_spans import widen_to_words
from relik_ml.types import Prediction, Span


def read_entqa_windows(
    model: EntqaReaderModel,
    tokenizer: PreTrainedTokenizerBase,
    examples: Sequence[ReaderExample],
    *,
    max_tokens: int,
    given_mentions: bool = False,
    progress: bool = False,
    tokens: TokenCache | None = None,
) -> list[Prediction]:
    """One prediction per example (offsets relative to its window), as `inference.reading.read_windows`:
    predicted spans widened to whole words (`config.span_words`); given mentions keep their offsets."""
    inputs = encode_entqa(examples, tokenizer, model.config, tokens=tokens)
    given = [_given_positions(inp) for inp in inputs] if given_mentions else None
    readings = read_inputs(model, tokenizer, inputs, max_tokens=max_tokens, given=given, progress=progress)
    threshold = model.config.rerank_threshold
    if given is not None:
        return decode_given(inputs, readings, threshold, given)
    return [widen_to_words(p, model.config.span_words) for p in decode(inputs, readings, threshold)]


def read_inputs(
    model: EntqaReaderModel,
    tokenizer: PreTrainedTokenizerBase,
    inputs: Sequence[EntqaInput],
    *,
    max_tokens: int,
    given: Sequence[Sequence[tuple[Span, tuple[int, int]]]] | None = None,
    progress: bool = False,
) -> list[PairReading]:
    """The reading of every pair of `inputs` (top-P spans, or p_span of the `given` mentions)."""
    numbered = {id(inp): n for n, inp in enumerate(inputs)}
    rows = window_rows(inputs)
    batches = token_budget_batches([len(inp.pairs[k]) for inp, k in rows], max_tokens, shuffle=False)
    readings: list[PairReading] = []
    config = model.config
    with torch.inference_mode():
        for batch in tqdm(batches, desc="reading pairs", unit="batch", disable=not progress):
            chosen = [rows[j] for j in batch]
            tensors = collate_pairs(chosen, tokenizer.pad_token_id).to(model.device).tensors
            output = model(tensors["input_ids"], tensors["attention_mask"], tensors["span_mask"])
            places = [(numbered[id(inp)], k) for inp, k in chosen]
            if given is None:
                readings += read_pairs(output, tensors["span_mask"], places, config.top_spans, config.max_span_tokens)
            else:
                readings += read_given(output, places, [[p for _, p in given[w]] for w, _ in places])
    return readings


def _given_positions(inp: EntqaInput) -> list[tuple[Span, tuple[int, int]]]:
    """The window's mentions in (start, end) order with their (start, end) pair positions."""
    placed = []
    for start, end in sorted({(s.start, s.end) for s in inp.window.spans}):
        first, last = char_to_tokens(Span(start, end), inp.token_offsets, inp.window)
        placed.append((Span(start, end), (first + 1, last + 1)))
    return placed
