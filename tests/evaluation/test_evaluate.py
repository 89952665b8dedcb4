"""`evaluate_model` / `evaluate_retriever` on the tiny model and the ELEVANT fixture; reports."""
from __future__ import annotations

import json

import pytest

from relik_ml.errors import InputError
from relik_ml.evaluation.evaluate import evaluate_model, evaluate_retriever
from relik_ml.evaluation.report import BARS_FILE, JSON_FILE, K_FILE, MARKDOWN_FILE, headline, write_report
from relik_ml.formats import read_documents
from relik_ml.inference import Relik
from tests.inference.tiny_model import build_model_dir
from tests.paths import ROOT

ELEVANT = ROOT / "tests" / "fixtures" / "formats" / "elevant.jsonl"


@pytest.fixture(scope="module")
def documents():
    return read_documents("elevant", [ELEVANT])


def test_evaluate_model_reports_el_metrics_and_ait(relik, documents):
    result = evaluate_model(relik, documents, dataset_name="elevant")
    assert (result["dataset"], result["documents"], result["top_k"]) == ("elevant", 2, 5)
    assert result["gold_mentions"] == 6 and result["gold_nme_mentions"] == 2 and result["gold_outside_kb"] == 0
    assert result["ait_seconds"] > 0
    scores = result["metrics"]
    assert {"inkb_el", "mention_detection", "ed"} <= set(scores)
    assert scores["inkb_el"]["tp"] + scores["inkb_el"]["fn"] == 4  # in-KB gold only
    assert scores["ed"]["mentions"] == 4
    assert 0.0 <= scores["ed"]["accuracy"] <= 1.0
    json.dumps(result)


def test_ed_pass_predicts_exactly_the_gold_mentions(relik, documents):
    result = evaluate_model(relik, documents, dataset_name="elevant")
    ed = result["metrics"]["ed"]
    links = ed["tp"] + ed["fp"]  # a given mention is either linked (to any id) or NME
    assert links <= ed["mentions"]


def test_evaluate_retriever_gives_recall_at_k(retriever_only_dir, documents):
    result = evaluate_retriever(retriever_only_dir, documents, dataset_name="elevant")
    recall = result["metrics"]["retrieval"]
    assert set(recall) >= {"recall@1", "recall@10", "recall@50", "recall@100"}
    assert recall["recall@100"] == 1.0  # the KB has 20 passages: every gold is retrieved
    assert recall["recall@1"] <= recall["recall@10"] <= recall["recall@100"]


def test_report_directory(relik, documents, tmp_path):
    results = [evaluate_model(relik, documents, dataset_name="elevant", top_k=k) for k in (2, 5)]
    out = write_report(tmp_path / "report", results)
    assert {p.name for p in out.iterdir()} == {JSON_FILE, MARKDOWN_FILE, BARS_FILE, K_FILE, "manifest.json"}
    assert json.loads((out / JSON_FILE).read_text())["results"][1]["top_k"] == 5
    table = (out / MARKDOWN_FILE).read_text()
    assert table.count("| elevant |") == 2 and "inkb_el F1" in table
    assert (out / BARS_FILE).read_bytes()[:4] == b"\x89PNG"


def test_single_k_report_has_no_k_plot(tmp_path):
    result = {"dataset": "x", "top_k": 10, "metrics": {"retrieval": {"recall@1": 0.5, "recall@10": 0.75}}}
    assert headline(result) == ("recall@10", 0.75)
    out = write_report(tmp_path / "r", [result])
    assert not (out / K_FILE).exists() and (out / BARS_FILE).exists()


def test_evaluate_cie_model_reports_triplet_metrics(tmp_path):
    relik = Relik.from_pretrained(build_model_dir(tmp_path, task="cie"))
    documents = read_documents("conll04", [ROOT / "tests" / "fixtures" / "formats" / "conll04.json"])
    scores = evaluate_model(relik, documents, dataset_name="conll04")["metrics"]
    assert {"re_strict", "cie", "inkb_el", "ed", "mention_detection"} <= set(scores)
    gold_triplets = sum(len(d.triplets) for d in documents)
    assert scores["re_strict"]["tp"] + scores["re_strict"]["fn"] == gold_triplets > 0


def test_an_empty_dataset_is_an_error_not_a_score_of_zero(relik, retriever_only_dir):
    with pytest.raises(InputError, match="no documents to evaluate"):
        evaluate_model(relik, [], dataset_name="empty")
    with pytest.raises(InputError, match="no documents to evaluate"):
        evaluate_retriever(retriever_only_dir, [], dataset_name="empty")
