"""KB size and coverage in EL evaluation: InKB EL over all gold InKB mentions and over covered ones."""
from __future__ import annotations

from dataclasses import replace

import pytest

from relik_ml import metrics
from relik_ml.evaluation.evaluate import _outside_dropped, evaluate_model
from relik_ml.evaluation.report import markdown
from relik_ml.formats import read_documents
from relik_ml.kb.coverage import coverage, covered_only, kb_id, with_kb_ids
from relik_ml.types import NME, Document, Prediction, Span
from tests.paths import ROOT

ELEVANT = ROOT / "tests" / "fixtures" / "formats" / "elevant.jsonl"
TEXT = "Obama met Hendrix in Paris and Lyon."
GOLD = Document("d1", TEXT, (Span(0, 5, "Barack_Obama"), Span(10, 17, "Jimi Hendrix"), Span(21, 26, "Paris"),
                             Span(31, 35, NME)))
KEYED_KB = {"barack obama": 0, "paris": 1, "lyon": 2}  # ids as the Wikipedia-scale KB writes them


def predicted(*links: tuple[int, int, str]) -> Prediction:
    return Prediction("d1", TEXT, tuple((Span(s, e, label), 1.0) for s, e, label in links))


def test_gold_labels_name_kb_ids_through_the_label_or_its_key() -> None:
    assert kb_id("Barack_Obama", KEYED_KB) == "barack obama"
    assert kb_id("Paris", {"Paris": 0, "paris": 1}) == "Paris"  # the label itself first
    assert kb_id("Jimi Hendrix", KEYED_KB) is None
    assert [s.label for s in with_kb_ids([GOLD], KEYED_KB)[0].spans] == ["barack obama", "Jimi Hendrix", "paris", NME]


def test_an_absent_gold_entity_lowers_coverage() -> None:
    found = coverage([GOLD], KEYED_KB)
    assert (found.mentions, found.covered, found.share) == (3, 2, pytest.approx(2 / 3))
    assert coverage([GOLD], {"barack obama": 0, "jimi hendrix": 1, "paris": 2}).share == 1.0


def test_covered_f1_leaves_out_the_uncovered_mention_and_predictions_on_it() -> None:
    gold = with_kb_ids([GOLD], KEYED_KB)
    covered = covered_only(gold, KEYED_KB)
    # right on Obama and Paris, a (necessarily wrong) link on Hendrix, a false link on the NME span
    prediction = [predicted((0, 5, "barack obama"), (10, 17, "paris"), (21, 26, "paris"), (31, 35, "lyon"))]
    everything = metrics.inkb_el(gold, prediction)
    assert (everything.tp, everything.fp, everything.fn) == (2, 2, 1)
    only_covered = metrics.inkb_el(covered, _outside_dropped(prediction, gold, covered))
    assert (only_covered.tp, only_covered.fp, only_covered.fn) == (2, 1, 0)
    assert only_covered.recall == 1.0 and everything.recall == pytest.approx(2 / 3)


def test_evaluate_model_states_kb_size_coverage_and_both_f1s(relik) -> None:
    documents = read_documents("elevant", [ELEVANT])
    first = documents[0]
    missing = replace(first.spans[0], label="Q999999999")  # an entity the tiny model's KB lacks
    documents = [replace(first, spans=(missing, *first.spans[1:])), *documents[1:]]
    result = evaluate_model(relik, documents, dataset_name="elevant")
    kb = result["kb"]
    assert kb["entities"] == len(relik.entities.passages)
    assert (kb["gold_inkb_mentions"], kb["covered_mentions"]) == (4, 3) and kb["coverage"] == 0.75
    assert result["gold_outside_kb"] == 1
    scores = result["metrics"]
    assert scores["inkb_el"]["tp"] + scores["inkb_el"]["fn"] == 4
    assert scores["inkb_el_covered"]["tp"] + scores["inkb_el_covered"]["fn"] == 3
    assert scores["inkb_el_covered"]["recall"] >= scores["inkb_el"]["recall"]
    row = markdown([result]).splitlines()[-1]
    assert row.endswith(f"| {kb['entities']:,} (75.0%: 3 / 4) |") and "inkb_el_covered P" in row


def test_redirects_resolve_dated_gold_titles(relik) -> None:
    documents = read_documents("elevant", [ELEVANT])
    first = documents[0]
    dated = replace(first.spans[0], label="Home_Depot")  # a dated title of Q864407
    documents = [replace(first, spans=(dated, *first.spans[1:])), *documents[1:]]
    assert evaluate_model(relik, documents, dataset_name="elevant")["kb"]["covered_mentions"] == 3
    result = evaluate_model(relik, documents, dataset_name="elevant", redirects={"home depot": "Q864407"})
    assert result["kb"]["covered_mentions"] == 4 and result["gold_outside_kb"] == 0
    assert result["metrics"]["inkb_el_covered"]["tp"] + result["metrics"]["inkb_el_covered"]["fn"] == 4
