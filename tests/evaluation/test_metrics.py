"""Hand-checked metric examples: strong matching, NME handling, RE strict and cIE."""
from __future__ import annotations

import pytest

from relik_ml.metrics.micro import Counts, cie, ed_accuracy, inkb_el, match, mention_detection, re_strict
from relik_ml.types import NME, Document, Prediction, Span, Triplet

TEXT = "Frank Blake met Home Depot staff in Atlanta."
BLAKE, DEPOT, ATLANTA = Span(0, 11, "Q1"), Span(16, 26, "Q2"), Span(36, 43, NME)
GOLD = [Document("d1", TEXT, (BLAKE, DEPOT, ATLANTA))]


def predicted(*spans: tuple[Span, float], triplets=()) -> list[Prediction]:
    return [Prediction("d1", TEXT, tuple(spans), tuple(triplets))]


def test_counts_arithmetic():
    counts = Counts(tp=2, fp=1, fn=2)
    assert (counts.precision, counts.recall) == (pytest.approx(2 / 3), 0.5)
    assert counts.f1 == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert Counts().f1 == 0.0 and match([], []) == Counts()


def test_strong_matching_needs_exact_offsets_and_id():
    counts = inkb_el(GOLD, predicted(
        (Span(0, 11, "Q1"), 0.9),   # exact: TP
        (Span(16, 25, "Q2"), 0.9),  # one character short: FP (and Q2 stays a FN)
    ))
    assert (counts.tp, counts.fp, counts.fn) == (1, 1, 1)
    wrong_id = inkb_el(GOLD, predicted((Span(0, 11, "Q9"), 0.9)))
    assert (wrong_id.tp, wrong_id.fp, wrong_id.fn) == (0, 1, 2)


def test_nme_gold_is_not_in_the_gold_set_and_links_on_it_are_false_positives():
    perfect = inkb_el(GOLD, predicted((BLAKE, 1.0), (DEPOT, 1.0)))
    assert (perfect.tp, perfect.fp, perfect.fn, perfect.f1) == (2, 0, 0, 1.0)
    linked_nme = inkb_el(GOLD, predicted((BLAKE, 1.0), (DEPOT, 1.0), (Span(36, 43, "Q3"), 1.0)))
    assert (linked_nme.tp, linked_nme.fp, linked_nme.fn) == (2, 1, 0)
    abstained = inkb_el(GOLD, predicted((BLAKE, 1.0), (DEPOT, 1.0), (Span(36, 43, NME), 1.0)))
    assert abstained == perfect


def test_mention_detection_ignores_links_and_keeps_nme():
    counts = mention_detection(GOLD, predicted((Span(0, 11, "Q9"), 0.5), (Span(36, 43, NME), 0.5), (Span(1, 3), 0.5)))
    assert (counts.tp, counts.fp, counts.fn) == (2, 1, 1)


def test_ed_accuracy_over_in_kb_gold_mentions():
    result = ed_accuracy(GOLD, predicted((BLAKE, 1.0), (Span(16, 26, NME), 1.0)))
    assert (result["accuracy"], result["mentions"], result["tp"], result["fp"]) == (0.5, 2, 1, 0)


def test_re_strict_and_cie():
    gold_triplet = Triplet(BLAKE, "P108", DEPOT)
    gold = [Document("d1", TEXT, (BLAKE, DEPOT), (gold_triplet,))]
    same_bounds_wrong_link = Triplet(Span(0, 11, "Q7"), "P108", DEPOT)
    wrong_relation = Triplet(BLAKE, "P27", DEPOT)
    prediction = predicted(triplets=[(same_bounds_wrong_link, 0.9), (wrong_relation, 0.8)])
    strict = re_strict(gold, prediction)
    assert (strict.tp, strict.fp, strict.fn) == (1, 1, 0)
    closed = cie(gold, prediction)
    assert (closed.tp, closed.fp, closed.fn) == (0, 2, 1)
    assert cie(gold, predicted(triplets=[(gold_triplet, 0.9)])).f1 == 1.0


def test_documents_and_predictions_must_align():
    with pytest.raises(ValueError, match="same unique ids"):
        inkb_el(GOLD, [Prediction("other", TEXT)])


def test_micro_average_pools_documents():
    gold = [Document("a", "x y", (Span(0, 1, "Q1"),)), Document("b", "x y", (Span(0, 1, "Q1"), Span(2, 3, "Q2")))]
    preds = [Prediction("a", "x y", ((Span(0, 1, "Q1"), 1.0),)), Prediction("b", "x y", ((Span(0, 1, "Q1"), 1.0),))]
    counts = inkb_el(gold, preds)
    assert (counts.tp, counts.fp, counts.fn) == (2, 0, 1)
    assert counts.f1 == pytest.approx(0.8)
