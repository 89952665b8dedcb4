"""Hand-computed RE / cIE metrics, triplet EL, and the dev threshold search."""
from __future__ import annotations

import pytest

from relik_ml.metrics.relations import relation_scores, scored_triplet_keys, triplet_entity_el, triplet_keys
from relik_ml.metrics.thresholds import tune_threshold
from relik_ml.types import NME, Document, Prediction, Span, Triplet

TEXT = "Frank Blake works for Home Depot in Atlanta."
BLAKE, DEPOT, ATLANTA = Span(0, 11, "Q1"), Span(22, 32, "Q2"), Span(36, 43, "Q3")
GOLD = [Document("d1", TEXT, (BLAKE, DEPOT, ATLANTA),
                 (Triplet(BLAKE, "P108", DEPOT), Triplet(DEPOT, "P159", ATLANTA)))]


def prediction(*triplets: tuple[Triplet, float]) -> list[Prediction]:
    return [Prediction("d1", TEXT, (), tuple(triplets))]


def test_strict_re_needs_both_spans_and_the_relation():
    predicted = prediction(
        (Triplet(BLAKE, "P108", DEPOT), 0.9),                          # TP
        (Triplet(Span(22, 31, "Q2"), "P159", ATLANTA), 0.8),           # object boundary off: FP
        (Triplet(BLAKE, "P27", ATLANTA), 0.7),                          # not gold: FP
    )
    scores = relation_scores(GOLD, predicted, "re")
    assert set(scores) == {"re_strict"}
    re = scores["re_strict"]
    assert (re["tp"], re["fp"], re["fn"]) == (1, 2, 1)
    assert re["precision"] == pytest.approx(1 / 3) and re["recall"] == pytest.approx(0.5)
    assert re["f1"] == pytest.approx(0.4)


def test_cie_also_needs_both_links_and_triplet_el_counts_arguments():
    wrong_link = Span(22, 32, "Q9")
    predicted = prediction((Triplet(BLAKE, "P108", wrong_link), 0.9), (Triplet(DEPOT, "P159", ATLANTA), 0.8))
    scores = relation_scores(GOLD, predicted, "cie")
    assert scores["re_strict"]["tp"] == 2  # offsets and relation right in both
    assert (scores["cie"]["tp"], scores["cie"]["fp"], scores["cie"]["fn"]) == (1, 1, 1)
    # arguments: gold {Q1, Q2, Q3} at their offsets; predicted {Q1, Q9@Depot, Q2, Q3}
    el = scores["triplet_el"]
    assert (el["tp"], el["fp"], el["fn"]) == (3, 1, 0)
    assert el["f1"] == pytest.approx(2 * 0.75 / 1.75)


def test_triplet_el_ignores_nme_arguments_and_spans_outside_triplets():
    nme = Span(36, 43, NME)
    gold = [Document("d1", TEXT, (BLAKE, DEPOT, nme), (Triplet(BLAKE, "P108", nme),))]
    predicted = [Prediction("d1", TEXT, ((DEPOT, 1.0),), ((Triplet(BLAKE, "P108", nme), 0.9),))]
    counts = triplet_entity_el(gold, predicted)
    assert (counts.tp, counts.fp, counts.fn) == (1, 0, 0)  # only Blake is a linked argument


def test_metrics_refuse_mismatched_ids_and_unknown_tasks():
    with pytest.raises(ValueError, match="same unique ids"):
        triplet_entity_el(GOLD, [Prediction("other", TEXT)])
    with pytest.raises(ValueError, match="task"):
        relation_scores(GOLD, prediction(), "el")


def test_threshold_search_picks_the_best_grid_point():
    gold = triplet_keys("d1", GOLD[0].triplets)
    predicted = prediction(
        (Triplet(BLAKE, "P108", DEPOT), 0.9),
        (Triplet(DEPOT, "P159", ATLANTA), 0.6),
        (Triplet(BLAKE, "P27", ATLANTA), 0.4),
        (Triplet(ATLANTA, "P17", DEPOT), 0.2),
    )
    scored = scored_triplet_keys(predicted[0])
    choice = tune_threshold(gold, scored, grid=(0.1, 0.3, 0.5, 0.7))
    # > 0.1: 2 TP / 4 → F1 2/3; > 0.3: 2/3 → 0.8; > 0.5: 2/2 → 1.0; > 0.7: 1/1, R 0.5 → 2/3
    assert choice.threshold == 0.5 and choice.f1 == pytest.approx(1.0)
    assert choice.floor_f1 == pytest.approx(2 / 3)
    tie = tune_threshold(gold, scored, grid=(0.5, 0.55))
    assert tie.threshold == 0.5  # ties keep the lowest threshold
    with pytest.raises(ValueError):
        tune_threshold(gold, scored, grid=())
