"""The retriever_eval_report stage: recall table, gate, report files, end to end on a tiny retriever."""
from __future__ import annotations

import json

import pytest

from relik_ml.errors import InputError
from relik_ml.evaluation.retrieval_report import (
    JSON_FILE,
    MARKDOWN_FILE,
    PLOT_FILE,
    RecallGateConfig,
    RetrievalReportConfig,
    gate_decision,
    read_gate,
    recall_table,
)
from relik_ml.index import IndexConfig
from relik_ml.io import write_jsonl
from relik_ml.pipeline import retrieval
from relik_ml.pipeline.summary import PASSAGES_FILE, WINDOWS_FILE
from relik_ml.retriever.evaluate import evaluate_retrieval
from relik_ml.types import Passage, Span, Window


def _window(wid: str, gold: str) -> Window:
    return Window(id=wid, doc_id=wid, text="the x", start=0, end=5, topic="the", spans=(Span(4, 5, gold, gold),))


def test_recall_table_scores_each_system_on_each_split():
    windows = {"dev": [_window("a", "P1"), _window("b", "P2")], "test": [_window("c", "P3")]}
    systems = {"perfect": lambda ws, k: [[w.spans[0].label] for w in ws], "never": lambda ws, k: [["P9"] for _ in ws]}
    table = recall_table(windows, systems, {"P1", "P2", "P3", "P9"}, ks=(1, 10))
    assert table["dev"]["perfect"]["recall@1"] == 1.0 and table["test"]["never"]["recall@10"] == 0.0
    assert table["dev"]["perfect"]["windows"] == 2 and "seconds" in table["test"]["never"]


def test_gate_passes_at_the_floor_fails_below_and_names_a_missing_row():
    table = {"dev": {"trained": {"recall@10": 0.8}}}
    assert gate_decision(table, RecallGateConfig(split="dev", k=10, min_recall=0.8))["passed"]
    failed = gate_decision(table, RecallGateConfig(split="dev", k=10, min_recall=0.81))
    assert not failed["passed"] and "0.8000 < 0.81" in failed["reason"]
    with pytest.raises(InputError, match="recall@100"):
        gate_decision(table, RecallGateConfig(split="dev", k=100))


def test_report_config_rejects_empty_ks():
    with pytest.raises(ValueError):
        RetrievalReportConfig(ks=())


def test_stage_reports_trained_zero_shot_and_bm25(tmp_path, retriever, tiny_backbone_dir, toy_kb, toy_dev_windows):
    model_dir, passages_dir, windows_dir = tmp_path / "retriever", tmp_path / "passages", tmp_path / "windows"
    retriever.save_pretrained(model_dir)
    passages_dir.mkdir()
    windows_dir.mkdir()
    write_jsonl(passages_dir / PASSAGES_FILE, toy_kb)
    write_jsonl(windows_dir / WINDOWS_FILE, toy_dev_windows)
    embeddings = [tmp_path / "emb"]
    retrieval.passage_embeddings(model_dir, passages_dir, 0, retrieval.EmbeddingConfig(), embeddings[0])
    retrieval.passage_index(embeddings, IndexConfig(factory="Flat"), tmp_path / "index")
    config, out = RetrievalReportConfig(ks=(1, 10)), tmp_path / "report"
    gate = RecallGateConfig(split="dev", k=10, min_recall=1.01)  # unreachable: the decision must say so
    summary = retrieval.retriever_eval_report(model_dir, tmp_path / "index", passages_dir, str(tiny_backbone_dir),
                                              {"dev": windows_dir}, config, gate, out)
    report = json.loads((out / JSON_FILE).read_text())
    rows = report["splits"]["dev"]
    assert set(rows) == {"trained", "zero_shot", "bm25"} and report["kb_size"] == len(toy_kb)
    exact = evaluate_retrieval(retriever, toy_dev_windows, toy_kb, ks=(1, 10))
    assert rows["trained"]["recall@10"] == pytest.approx(exact["recall@10"])
    assert rows["zero_shot"]["recall@10"] == pytest.approx(exact["recall@10"])  # untrained = the same weights here
    assert rows["bm25"]["recall@1"] > 0.5  # toy windows name their entities' titles
    assert read_gate(out)["passed"] is False and summary.counts["gate_passed"] == 0
    assert (out / PLOT_FILE).read_bytes()[:4] == b"\x89PNG" and "| BM25 |" in (out / MARKDOWN_FILE).read_text()
    assert summary.extra["dev/bm25/recall@1"] == round(rows["bm25"]["recall@1"], 4)
