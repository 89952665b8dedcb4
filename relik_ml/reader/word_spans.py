"""Predicted spans widened to whole words of the reader's `span_words` tokenizer.

The start and end heads run over subword tokens, and a subword tokenizer cuts some words into
pieces that also occur as separate words: `Boise.` (one CoNLL04 token, the sentence's full stop
attached) and `Boise .` give the same pieces, so the reader cannot tell whether a gold span of
word-tokenised data ends after the full stop. Gold spans of such data are whole words, so a
predicted span is widened to the words it touches (ReLiK's reader predicts word-level spans for
the same reason). Which characters make one word is a key of `windows.TOKENIZERS`: "whitespace"
for text that is already tokens joined by spaces (CoNLL04), "whitespace-punct" for raw text,
where a full stop stays a word of its own. Spans that become equal keep the best score;
triplets follow their arguments.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterable
from dataclasses import replace
from typing import TypeVar

from relik_ml.types import Prediction, Span, Triplet
from relik_ml.windows import word_offsets

Item = TypeVar("Item")


class WordBounds:
    """Word start and end offsets of one text, for widening character spans to whole words."""

    def __init__(self, text: str, tokenizer: str):
        offsets = word_offsets(text, tokenizer)
        self._starts = [start for start, _ in offsets]
        self._ends = [end for _, end in offsets]

    def widen(self, span: Span) -> Span:
        """`span` from the start of the word holding its first character to the end of the word holding its last."""
        start, end = span.start, span.end
        first = bisect_right(self._starts, start) - 1
        if first >= 0 and self._ends[first] > start:
            start = self._starts[first]
        last = bisect_left(self._ends, end)
        if last < len(self._ends) and self._starts[last] < end:
            end = self._ends[last]
        if (start, end) == (span.start, span.end):
            return span
        return replace(span, start=start, end=end)


def widen_to_words(prediction: Prediction, tokenizer: str) -> Prediction:
    """`prediction` with every span and triplet argument widened to whole words of its text
    (`tokenizer` "" or a prediction without spans: returned unchanged)."""
    if not tokenizer or not prediction.spans:
        return prediction
    bounds = WordBounds(prediction.text, tokenizer)
    spans = _best_by_key(((bounds.widen(s), score) for s, score in prediction.spans), _span_key)
    triplets = _best_by_key(
        ((Triplet(bounds.widen(t.subject), t.relation, bounds.widen(t.object)), score)
         for t, score in prediction.triplets),
        lambda t: (_span_key(t.subject), t.relation, _span_key(t.object)),
    )
    return Prediction(prediction.id, prediction.text, spans, triplets, prediction.extra)


def _span_key(span: Span) -> tuple[int, int]:
    return span.start, span.end


def _best_by_key(
    scored: Iterable[tuple[Item, float]], key: Callable[[Item], Hashable]
) -> tuple[tuple[Item, float], ...]:
    """Of items with equal keys the best-scoring one (ties: the first), ordered by key."""
    best: dict[Hashable, tuple[Item, float]] = {}
    for item, score in scored:
        k = key(item)
        if k not in best or score > best[k][1]:
            best[k] = (item, score)
    return tuple(best[k] for k in sorted(best))
