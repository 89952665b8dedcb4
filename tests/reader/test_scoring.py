"""Dev-only tuning of the start / end thresholds: consistent with inference, config left as found."""
from __future__ import annotations

import pytest
import torch

from relik_ml.reader.data import collate
from relik_ml.reader.inputs import build_reader_input
from relik_ml.reader.scoring import score_reader, tune_span_thresholds
from relik_ml.types import Span, Window

TEXTS = [
    ("Paris is the capital of France .", [("Paris", "Paris"), ("France", "France")]),
    ("Lyon and Berlin are far apart .", [("Lyon", "Lyon"), ("Berlin", "Berlin")]),
    ("Germany won the final in Paris .", [("Germany", "Germany"), ("Paris", "Paris")]),
]


def _batches(make_reader, passages):
    model, tokenizer, config = make_reader("el")
    inputs = []
    for n, (text, mentions) in enumerate(TEXTS):
        spans = tuple(Span(text.index(m), text.index(m) + len(m), label) for m, label in mentions)
        window = Window(f"w{n}", f"d{n}", text, 0, len(text), spans=spans)
        ents = [passages[i] for i in ("Paris", "France", "Lyon", "Berlin", "Germany")]
        inputs.append(build_reader_input(window, ents, [], tokenizer, config, with_labels=True))
    batches = [collate(inputs[:2], tokenizer.pad_token_id, with_labels=True),
               collate(inputs[2:], tokenizer.pad_token_id, with_labels=True)]
    with torch.no_grad():  # spread the probabilities of the random heads around 0.5
        model.start_head.weight.mul_(200.0)
        model.end_head.weight.mul_(200.0)
    return model, batches


def test_tuned_f1_is_what_inference_gets_with_those_thresholds(make_reader, passages):
    model, batches = _batches(make_reader, passages)
    before = score_reader(model, batches)["span_f1"]
    choice = tune_span_thresholds(model, batches, grid=(0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7))
    assert (model.config.start_threshold, model.config.end_threshold) == (0.5, 0.5)  # left as found
    assert choice.previous_span_f1 == pytest.approx(before)
    assert choice.span_f1 >= before and choice.span_f1 > 0
    model.config.start_threshold, model.config.end_threshold = choice.start_threshold, choice.end_threshold
    assert score_reader(model, batches)["span_f1"] == pytest.approx(choice.span_f1)


def test_thresholds_below_the_default_are_found_when_probabilities_are_low(make_reader, passages):
    model, batches = _batches(make_reader, passages)
    with torch.no_grad():  # every start and end probability ~0.27: nothing passes 0.5
        for head in (model.start_head, model.end_head):
            head.weight.zero_()
            head.bias.copy_(torch.tensor([1.0, 0.0]))
    assert score_reader(model, batches)["span_f1"] == 0.0
    choice = tune_span_thresholds(model, batches)
    assert choice.previous_span_f1 == 0.0 and choice.span_f1 > 0.0
    assert choice.start_threshold < 0.27 and choice.end_threshold < 0.27
    with pytest.raises(ValueError, match="empty"):
        tune_span_thresholds(model, batches, grid=())
