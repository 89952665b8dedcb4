"""Predicted spans widened to whole words (`relik_ml.reader.word_spans`), and `read_windows` doing it
with the reader's `span_words`: on CoNLL04 the promoted reader's spans lost the full stops that
the data's tokens carry (`Boise.`), and strict RE F1 counted every such triplet as wrong."""
from __future__ import annotations

import re
from dataclasses import replace

import pytest

from relik_ml.errors import InputError
from relik_ml.inference.reading import read_windows
from relik_ml.reader.configuration import RelikReaderConfig
from relik_ml.reader.data import ReaderExample
from relik_ml.reader.word_spans import WordBounds, widen_to_words
from relik_ml.types import NME, Prediction, Span, Triplet, Window

TEXT = "Smith moved from ex-England to Boise. He left U.S. Steel ."


def _text_of(span: Span) -> str:
    return TEXT[span.start : span.end]


def _span(words: str, start_at: int = 0) -> Span:
    start = TEXT.index(words, start_at)
    return Span(start, start + len(words))


@pytest.mark.parametrize(
    ("tokenizer", "predicted", "widened"),
    [
        ("whitespace", "Boise", "Boise."),  # CoNLL04: the full stop belongs to the token
        ("whitespace-punct", "Boise", "Boise"),  # raw text: the full stop is a word of its own
        ("whitespace", "England", "ex-England"),
        ("whitespace-punct", "England", "England"),
        ("whitespace-punct", "U.S", "U.S."),  # an abbreviation is one word, its last piece included
        ("whitespace", "mith moved", "Smith moved"),  # both ends widened
        ("whitespace", "Smith", "Smith"),  # already whole
    ],
)
def test_widen_extends_a_span_to_the_words_it_touches(tokenizer, predicted, widened):
    assert _text_of(WordBounds(TEXT, tokenizer).widen(_span(predicted))) == widened


def test_widen_keeps_the_link_and_returns_whole_spans_unchanged():
    bounds = WordBounds(TEXT, "whitespace")
    linked = replace(_span("Boise"), label="Q35775", title="Boise, Idaho", type="LOC")
    widened = bounds.widen(linked)
    assert (widened.label, widened.title, widened.type) == ("Q35775", "Boise, Idaho", "LOC")
    assert bounds.widen(widened) is widened


def test_spans_that_become_equal_keep_the_best_score_and_triplets_follow_their_arguments():
    boise, boise_stop, smith = _span("Boise"), _span("Boise."), _span("Smith")
    prediction = Prediction(
        "d", TEXT,
        spans=((smith, 0.9), (boise, 0.4), (boise_stop, 0.7)),
        triplets=((Triplet(smith, "lives_in", boise), 0.8), (Triplet(smith, "lives_in", boise_stop), 0.6)),
    )
    widened = widen_to_words(prediction, "whitespace")
    assert [(_text_of(s), score) for s, score in widened.spans] == [("Smith", 0.9), ("Boise.", 0.7)]
    assert [(_text_of(t.subject), t.relation, _text_of(t.object), score) for t, score in widened.triplets] == [
        ("Smith", "lives_in", "Boise.", 0.8)
    ]
    assert widen_to_words(prediction, "") is prediction


def test_span_words_must_name_a_word_tokenizer():
    assert RelikReaderConfig().span_words == "whitespace-punct"
    with pytest.raises(InputError, match="span_words"):
        RelikReaderConfig.from_settings({"span_words": "spacy"}, field="re/reader.model")


def _is_whole_words(prediction: Prediction) -> bool:
    starts = {m.start() for m in re.finditer(r"\S+", prediction.text)}
    ends = {m.end() for m in re.finditer(r"\S+", prediction.text)}
    return all(s.start in starts and s.end in ends for s, _ in prediction.spans)


@pytest.mark.filterwarnings("ignore")
def test_read_windows_widens_predicted_spans_with_the_readers_span_words(make_reader):
    # Thresholds 0: every (start, end) pair up to the span cap is predicted, cuts inside words included.
    window = Window("w0", "d0", TEXT, 0, len(TEXT))
    spans_of = {}
    for span_words in ("", "whitespace"):
        model, tokenizer, _ = make_reader(task="el", start_threshold=0.0, end_threshold=0.0, max_predicted_spans=500,
                                          span_words=span_words)
        (prediction,) = read_windows(model, tokenizer, [ReaderExample(window)], max_tokens=512)
        spans_of[span_words] = prediction
    assert not _is_whole_words(spans_of[""])  # the reader alone cuts words (e.g. before the full stop)
    assert _is_whole_words(spans_of["whitespace"])
    assert spans_of["whitespace"].spans
    assert all(s.label == NME for s, _ in spans_of["whitespace"].spans)  # no candidates: every link is NME
