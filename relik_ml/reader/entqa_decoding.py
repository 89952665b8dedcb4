"""From EntQA pair outputs to window predictions (seed 003, §2.3), and the dev tuning of γ.

Per pair: the top-P spans under p_span(s, t | e_k), each more probable than the (1, 1) "no span"
(`read_pairs`), or, with given mentions, p_span of each mention (`read_given`). Per window: p_rerank
is the softmax of the rerank logits over its candidates; a labelled mention (s, t, e_k) scores
p_rerank(e_k) x p_span(s, t | e_k); of the mentions of one span the best-scoring one is kept (the
document merge keeps one link per span too) and it is predicted when its score is above γ
(`rerank_threshold`). With given mentions every mention is returned, linked to its best candidate,
or NME when that score is not above γ.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from relik_ml.metrics.thresholds import ThresholdChoice, tune_threshold
from relik_ml.reader.entqa_data import EntqaInput
from relik_ml.reader.entqa_modeling import EntqaReaderOutput
from relik_ml.types import NME, Prediction, Span

# γ values tried on dev (the paper tried 0.01, 0.05 and 0.1, then every effective value: Appendix A).
GAMMA_GRID = (0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True)
class PairReading:
    """What one pair says: its rerank logit and its spans as (start, end position, p_span)."""

    window: int  # index of the window in the decoded inputs
    candidate: int  # index of the candidate in that window's candidates
    rerank_logit: float
    spans: tuple[tuple[int, int, float], ...]


def read_pairs(
    output: EntqaReaderOutput, span_mask: torch.Tensor, rows: Sequence[tuple[int, int]], top_spans: int,
    max_span_tokens: int,
) -> list[PairReading]:
    """Per row (window, candidate): its top `top_spans` spans of at most `max_span_tokens` tokens that
    are more probable than (1, 1)."""
    width = int(span_mask.sum(-1).max()) if len(rows) else 0
    start, end, mask = output.start_log_probs[:, :width], output.end_log_probs[:, :width], span_mask[:, :width]
    scores = start[:, :, None] + end[:, None, :]  # (R, W, W) log p_span
    position = torch.arange(width, device=scores.device)
    shape = (position[:, None] >= 1) & (position[None, :] >= position[:, None]) & (
        position[None, :] - position[:, None] < max_span_tokens)
    valid = shape[None] & mask[:, :, None] & mask[:, None, :]
    scores = scores.masked_fill(~valid, float("-inf")).flatten(1)
    values, flat = scores.topk(min(top_spans, scores.shape[1]), dim=-1)
    keep = (values > (start[:, 0] + end[:, 0])[:, None]) & values.isfinite()
    readings = []
    for r, (window, candidate) in enumerate(rows):
        spans = tuple(
            (f // width, f % width, math.exp(v))
            for v, f, k in zip(values[r].tolist(), flat[r].tolist(), keep[r].tolist()) if k
        )
        readings.append(PairReading(window, candidate, float(output.rerank_logits[r]), spans))
    return readings


def read_given(
    output: EntqaReaderOutput, rows: Sequence[tuple[int, int]], mentions: Sequence[Sequence[tuple[int, int]]]
) -> list[PairReading]:
    """Per row: p_span of each of its window's given mentions (positions), in the given order."""
    start, end = output.start_log_probs, output.end_log_probs
    readings = []
    for r, ((window, candidate), given) in enumerate(zip(rows, mentions)):
        spans = tuple((s, e, math.exp(float(start[r, s] + end[r, e]))) for s, e in given)
        readings.append(PairReading(window, candidate, float(output.rerank_logits[r]), spans))
    return readings


def best_mentions(
    inputs: Sequence[EntqaInput], readings: Sequence[PairReading]
) -> list[dict[tuple[int, int], tuple[int, float]]]:
    """Per window: (start, end position) -> (candidate, p_rerank x p_span) of its best-scoring candidate."""
    by_window: list[list[PairReading]] = [[] for _ in inputs]
    for reading in readings:
        by_window[reading.window].append(reading)
    best: list[dict[tuple[int, int], tuple[int, float]]] = []
    for group in by_window:
        logits = torch.tensor([g.rerank_logit for g in group], dtype=torch.float64)
        rerank = logits.softmax(-1).tolist() if group else []
        mentions: dict[tuple[int, int], tuple[int, float]] = {}
        for reading, p_rerank in zip(group, rerank):
            for s, e, p_span in reading.spans:
                score = p_rerank * p_span
                if (s, e) not in mentions or score > mentions[(s, e)][1]:
                    mentions[(s, e)] = (reading.candidate, score)
        best.append(mentions)
    return best


def decode(inputs: Sequence[EntqaInput], readings: Sequence[PairReading], threshold: float) -> list[Prediction]:
    """One `Prediction` per window (offsets relative to the window text): the mentions above `threshold`."""
    predictions = []
    for inp, mentions in zip(inputs, best_mentions(inputs, readings)):
        spans = []
        for (s, e), (candidate, score) in sorted(mentions.items()):
            if score > threshold:
                passage = inp.candidates[candidate]
                char_start, char_end = inp.token_offsets[s - 1][0], inp.token_offsets[e - 1][1]
                spans.append((Span(char_start, char_end, passage.id, passage.title), score))
        predictions.append(Prediction(inp.window.id, inp.window.text, tuple(spans), ()))
    return predictions


def decode_given(
    inputs: Sequence[EntqaInput], readings: Sequence[PairReading], threshold: float,
    given: Sequence[Sequence[tuple[Span, tuple[int, int]]]],
) -> list[Prediction]:
    """One `Prediction` per window holding each given mention (its character span, its positions), in
    the given order: linked to its best candidate, or NME when that score is not above `threshold`."""
    predictions = []
    for inp, mentions, window_given in zip(inputs, best_mentions(inputs, readings), given):
        spans = []
        for span, positions in window_given:
            candidate, score = mentions.get(positions, (None, 0.0))
            if candidate is not None and score > threshold:
                passage = inp.candidates[candidate]
                spans.append((Span(span.start, span.end, passage.id, passage.title), score))
            else:
                spans.append((Span(span.start, span.end, NME), score))
        predictions.append(Prediction(inp.window.id, inp.window.text, tuple(spans), ()))
    return predictions


def link_keys(
    inputs: Sequence[EntqaInput], readings: Sequence[PairReading]
) -> tuple[set[tuple], list[tuple[tuple, float]], set[tuple], list[tuple[tuple, float]]]:
    """Gold and scored keys of labelled mentions (window, start, end, entity) and of spans (window, start, end)."""
    gold_links = {
        (n, s.start, s.end, s.label) for n, inp in enumerate(inputs) for s in inp.window.spans if s.label != NME
    }
    gold_spans = {key[:3] for key in gold_links}
    links, spans = [], []
    for n, (inp, mentions) in enumerate(zip(inputs, best_mentions(inputs, readings))):
        for (s, e), (candidate, score) in mentions.items():
            start, end = inp.token_offsets[s - 1][0], inp.token_offsets[e - 1][1]
            links.append(((n, start, end, inp.candidates[candidate].id), score))
            spans.append(((n, start, end), score))
    return gold_links, links, gold_spans, spans


def tune_gamma(inputs: Sequence[EntqaInput], readings: Sequence[PairReading]) -> ThresholdChoice:
    """γ of `GAMMA_GRID` with the best labelled-mention F1 on these (dev) windows."""
    gold_links, links, _, _ = link_keys(inputs, readings)
    return tune_threshold(gold_links, links, GAMMA_GRID)


def dev_scores(inputs: Sequence[EntqaInput], readings: Sequence[PairReading], threshold: float) -> dict[str, float]:
    """link_f1 (span + entity) and span_f1 (span only, of the linked mentions) at γ = `threshold`."""
    gold_links, links, gold_spans, spans = link_keys(inputs, readings)
    link = tune_threshold(gold_links, links, (threshold,))
    span = tune_threshold(gold_spans, spans, (threshold,))
    return {"link_f1": link.f1, "link_precision": link.precision, "link_recall": link.recall, "span_f1": span.f1}
