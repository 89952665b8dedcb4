"""Argmax links, char offsets, and the window → document merge."""
from __future__ import annotations

import torch

from relik_ml.reader.decoding import decode, merge_windows
from relik_ml.reader.inputs import build_reader_input
from relik_ml.reader.modeling import RelikReaderOutput
from relik_ml.types import NME, Prediction, Span, Triplet


def test_decode_maps_tokens_to_chars_and_links(make_reader, paris, passages):
    _, tokenizer, config = make_reader("cie")
    encoded = build_reader_input(paris, [passages["Paris"], passages["France"]], [passages["P1376"]], tokenizer, config)
    output = RelikReaderOutput(
        spans=torch.tensor([[0, 1, 1], [0, 5, 6]]),  # 'paris' and 'of france'
        span_scores=torch.tensor([0.9, 0.8]),
        entity_logits=torch.tensor([[0.0, 5.0, 1.0], [3.0, 0.0, 1.0]]),
        triplets=torch.tensor([[0, 1, 0]]),
        triplet_scores=torch.tensor([0.7]),
    )
    (prediction,) = decode(output, [encoded])
    (paris_span, p1), (other, p2) = prediction.spans
    assert (paris_span.start, paris_span.end, paris_span.label, paris_span.title) == (0, 5, "Paris", "Paris")
    assert paris.text[other.start : other.end] == "of France" and other.label == NME
    assert abs(p1 - 0.9 * torch.softmax(torch.tensor([0.0, 5.0, 1.0]), 0)[1].item()) < 1e-6  # span x link
    assert abs(p2 - 0.8 * torch.softmax(torch.tensor([3.0, 0.0, 1.0]), 0)[0].item()) < 1e-6
    (triplet, score), = prediction.triplets
    assert triplet.relation == "P1376" and triplet.subject == paris_span and abs(score - 0.7) < 1e-6


def test_merge_windows_dedups_and_resolves_conflicts_by_probability():
    a = Prediction("w0", "", spans=((Span(0, 5, "Paris"), 0.6), (Span(10, 16, "France"), 0.9)),
                   triplets=((Triplet(Span(0, 5), "P17", Span(10, 16)), 0.7),))
    b = Prediction("w1", "", spans=((Span(0, 6, "France_national_team"), 0.4), (Span(20, 25, "Lyon"), 0.8)),
                   triplets=((Triplet(Span(20, 25), "P17", Span(0, 6)), 0.3),))
    c = Prediction("w2", "", spans=((Span(0, 5, "Paris_Hilton"), 0.9),))
    merged = merge_windows([a, b, c], [100, 110, 100], doc_id="d", doc_text="x" * 200)
    assert [(s.start, s.end, s.label, p) for s, p in merged.spans] == [
        (100, 105, "Paris_Hilton", 0.9), (110, 116, "France", 0.9), (130, 135, "Lyon", 0.8)
    ]
    assert len(merged.triplets) == 2
    lyon_triplet = next(t for t, _ in merged.triplets if t.subject.start == 130)
    assert lyon_triplet.object.label == "France"  # argument relinked to the merged span


def test_merge_without_overlaps_keeps_the_best_scoring_span_and_its_triplets():
    a = Prediction("w0", "", spans=((Span(0, 8, "New_York"), 0.6), (Span(0, 13, "New_York_City"), 0.7),
                                    (Span(20, 25, "Lyon"), 0.8)),
                   triplets=((Triplet(Span(0, 8), "P17", Span(20, 25)), 0.9),
                             (Triplet(Span(0, 13), "P17", Span(20, 25)), 0.4)))
    b = Prediction("w1", "", spans=((Span(2, 10, "Other"), 0.5), (Span(10, 15, "Ten"), 0.65)))
    kept = merge_windows([a, b], [0, 10], doc_id="d", doc_text="x" * 40, overlapping=False)
    assert [(s.start, s.end, s.label) for s, _ in kept.spans] == [(0, 13, "New_York_City"), (20, 25, "Lyon")]
    assert [(t.subject.label, t.object.label) for t, _ in kept.triplets] == [("New_York_City", "Lyon")]
    everything = merge_windows([a, b], [0, 10], doc_id="d", doc_text="x" * 40)
    assert len(everything.spans) == 4 and len(everything.triplets) == 2  # (20, 25) deduplicated
