"""Dev scores and the dev-only tuning of the start / end thresholds (consistent with inference, config left
as found); triplet F1 at the reader's relation threshold and tuned over the grid."""
from __future__ import annotations

import pytest
import torch

from relik_ml.reader.data import ReaderBatch, collate
from relik_ml.reader.inputs import build_reader_input
from relik_ml.reader.modeling import RelikReaderOutput
from relik_ml.reader.scoring import ReaderCounts, score_reader, tune_span_thresholds
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


def _triplet_batch(spans: list[list[int]], triplets: list[list[int]]) -> ReaderBatch:
    return ReaderBatch({"spans": torch.tensor(spans), "triplets": torch.tensor(triplets).reshape(-1, 3)})


def test_triplet_f1_at_the_reader_threshold_and_tuned_over_the_grid():
    spans = [[0, 1, 2], [0, 4, 4], [1, 2, 3], [1, 6, 7]]
    counts = ReaderCounts(relation_threshold=0.5)
    # gold: (span 0, span 1, relation 0) in row 0 and (span 2, span 3, relation 1) in row 1
    gold_batch = _triplet_batch(spans, [[0, 1, 0], [2, 3, 1]])
    predicted = RelikReaderOutput(
        spans=torch.tensor(spans), triplets=torch.tensor([[0, 1, 0], [2, 3, 1], [1, 0, 2]]),
        triplet_scores=torch.tensor([0.3, 0.45, 0.2]),
    )
    counts.add(predicted, RelikReaderOutput(), gold_batch)
    # a second batch: the same offsets in batch 1 are other triplets (keys carry the batch number)
    counts.add(RelikReaderOutput(spans=torch.tensor(spans), triplets=torch.tensor([[0, 1, 0]]),
                                 triplet_scores=torch.tensor([0.9])), RelikReaderOutput(), _triplet_batch(spans, []))
    scores = counts.scores()
    assert scores["triplet_f1"] == 0.0  # kept at 0.5: one false positive (batch 1), two gold missed
    # at 0.25 (grid): both gold kept, the 0.9 false positive too, the 0.2 one dropped: P 2/3, R 1
    assert scores["triplet_f1_tuned"] == pytest.approx(0.8)


def test_score_reader_reports_a_tuned_triplet_f1_for_relation_readers(make_reader, passages, paris):
    model, tokenizer, config = make_reader("re")
    relations = [passages[i] for i in ("P1376", "P17", "P131")]
    batch = collate([build_reader_input(paris, [], relations, tokenizer, config, with_labels=True)],
                    tokenizer.pad_token_id, with_labels=True)
    scores = score_reader(model, [batch])
    assert 0.0 <= scores["triplet_f1"] <= scores["triplet_f1_tuned"] <= 1.0
    assert "triplet_f1_tuned" not in score_reader(*_batches(make_reader, passages))
