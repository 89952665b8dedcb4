"""From reader outputs to records: argmax links, triplets, window → document merge.

Spans arrive picked in the model output (`span_picking`: p_start and p_end thresholds).
Links: argmax over <ST0> (NME) … <STK>. Triplets: p_rel > threshold. Scores: a span's score is its
span probability p_start * p_end, times its link probability when it is linked (EL, cIE): the
probability that it is a mention of that entity, which also ranks overlapping spans in the merge.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from relik_ml.types import NME, Prediction, Span, Triplet

if TYPE_CHECKING:
    from relik_ml.reader.inputs import ReaderInput
    from relik_ml.reader.modeling import RelikReaderOutput


def decode(output: RelikReaderOutput, inputs: Sequence[ReaderInput]) -> list[Prediction]:
    """One `Prediction` per window, offsets relative to the window text."""
    spans_by_row = _decode_spans(output, inputs)
    triplets_by_row = _decode_triplets(output, inputs, spans_by_row)
    return [
        Prediction(inp.window.id, inp.window.text, tuple(spans_by_row[b]), tuple(triplets_by_row[b]))
        for b, inp in enumerate(inputs)
    ]


def _decode_spans(output: RelikReaderOutput, inputs: Sequence[ReaderInput]) -> list[list[tuple[Span, float]]]:
    """Per batch row, in span order: (Span with its link, score)."""
    spans_by_row: list[list[tuple[Span, float]]] = [[] for _ in inputs]
    scores = output.span_scores.tolist()
    if output.entity_logits is not None:
        link_probs, link_slots = output.entity_logits.softmax(-1).max(-1)
        links = list(zip(link_probs.tolist(), link_slots.tolist()))
    else:
        links = None
    for row, (b, s, e) in enumerate(output.spans.tolist()):
        inp = inputs[b]
        char_start, char_end = inp.token_offsets[s - 1][0], inp.token_offsets[e - 1][1]
        score = scores[row]
        span = Span(char_start, char_end)
        if links is not None:
            link_probability, slot = links[row]
            score *= link_probability
            passage = inp.entities[slot]
            if passage is not None:
                span = Span(char_start, char_end, passage.id, passage.title)
            else:
                span = Span(char_start, char_end, NME)
        spans_by_row[b].append((span, score))
    return spans_by_row


def _decode_triplets(
    output: RelikReaderOutput, inputs: Sequence[ReaderInput], spans_by_row: list[list[tuple[Span, float]]]
) -> list[list[tuple[Triplet, float]]]:
    """Per batch row: (Triplet, score); relation ids come from the row's relation candidates."""
    triplets_by_row: list[list[tuple[Triplet, float]]] = [[] for _ in spans_by_row]
    if output.triplets is None:
        return triplets_by_row
    row_of = output.spans[:, 0].tolist()
    first = {b: row_of.index(b) for b in set(row_of)}
    for (i, j, k), score in zip(output.triplets.tolist(), output.triplet_scores.tolist()):
        b = row_of[i]
        subject, obj = spans_by_row[b][i - first[b]][0], spans_by_row[b][j - first[b]][0]
        triplets_by_row[b].append((Triplet(subject, inputs[b].relations[k].id, obj), score))
    return triplets_by_row


def merge_windows(
    predictions: Sequence[Prediction],
    window_offsets: Sequence[int],
    *,
    doc_id: str = "",
    doc_text: str = "",
    overlapping: bool = True,
) -> Prediction:
    """Document-level prediction from overlapping windows: shift, deduplicate, best-scoring link wins.

    With `overlapping` False, of spans that share a character only the best-scoring one is kept
    (for data without nested mentions), and triplets lose the arguments that were dropped.
    """
    if len(predictions) != len(window_offsets):
        raise ValueError("one offset per window prediction is required")
    spans: dict[tuple[int, int], tuple[Span, float]] = {}
    for prediction, offset in zip(predictions, window_offsets):
        for span, score in prediction.spans:
            shifted = span.shifted(offset)
            key = (shifted.start, shifted.end)
            if key not in spans or score > spans[key][1]:
                spans[key] = (shifted, score)
    if not overlapping:
        spans = _without_overlaps(spans)
    triplets: dict[tuple, tuple[Triplet, float]] = {}
    for prediction, offset in zip(predictions, window_offsets):
        for triplet, score in prediction.triplets:
            shifted = triplet.shifted(offset)
            if not overlapping and not _arguments_kept(shifted, spans):
                continue
            merged = _resolve(shifted, spans)
            key = (merged.subject.start, merged.subject.end, merged.relation, merged.object.start, merged.object.end)
            if key not in triplets or score > triplets[key][1]:
                triplets[key] = (merged, score)
    ordered_spans = tuple(spans[k] for k in sorted(spans))
    return Prediction(doc_id, doc_text, ordered_spans, tuple(triplets[k] for k in sorted(triplets)))


def _without_overlaps(spans: dict[tuple[int, int], tuple[Span, float]]) -> dict[tuple[int, int], tuple[Span, float]]:
    """Greedy by score (ties: leftmost first): keep a span only if it shares no character with a kept one."""
    kept: dict[tuple[int, int], tuple[Span, float]] = {}
    for key in sorted(spans, key=lambda k: (-spans[k][1], k)):
        if all(key[1] <= start or key[0] >= end for start, end in kept):
            kept[key] = spans[key]
    return kept


def _arguments_kept(triplet: Triplet, spans: dict[tuple[int, int], tuple[Span, float]]) -> bool:
    return (triplet.subject.start, triplet.subject.end) in spans and (triplet.object.start, triplet.object.end) in spans


def _resolve(triplet: Triplet, spans: dict[tuple[int, int], tuple[Span, float]]) -> Triplet:
    """Replace a triplet's arguments with the merged spans of the same boundaries (their links)."""
    subject = spans.get((triplet.subject.start, triplet.subject.end), (triplet.subject, 0.0))[0]
    obj = spans.get((triplet.object.start, triplet.object.end), (triplet.object, 0.0))[0]
    return Triplet(subject, triplet.relation, obj)
