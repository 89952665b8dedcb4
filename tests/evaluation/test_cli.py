"""`relik-ml annotate` and `relik-ml evaluate` through `main()` on the tiny model directory."""
from __future__ import annotations

import json

from relik_ml.cli import main
from tests.paths import ROOT

ELEVANT = str(ROOT / "tests" / "fixtures" / "formats" / "elevant.jsonl")


def test_annotate_one_text_to_stdout(model_dir, capsys):
    assert main(["annotate", "--model", str(model_dir), "Seattle is rainy.", "--threads", "1"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 1 and rows[0]["text"] == "Seattle is rainy." and set(rows[0]) == {"id", "text", "spans", "triplets"}


def test_annotate_jsonl_keeps_ids(model_dir, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "text": "Paris is big."}\n{"text": ""}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["annotate", "--model", str(model_dir), "--input", str(source), "--output", str(out), "--top-k", "3"]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "1"] and rows[1]["spans"] == []


def test_annotate_bad_input_exits_2_naming_line_and_field(model_dir, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "ok"}\n{"id": 2}\n', encoding="utf-8")
    assert main(["annotate", "--model", str(model_dir), "--input", str(source)]) == 2
    assert "in.jsonl:2: field 'text'" in capsys.readouterr().err


def test_annotate_needs_text_or_input(model_dir, capsys):
    assert main(["annotate", "--model", str(model_dir)]) == 2
    assert "--input" in capsys.readouterr().err


def test_evaluate_prints_metrics_json_and_writes_a_report(model_dir, tmp_path, capsys):
    report = tmp_path / "report"
    args = ["evaluate", "--model", str(model_dir), "--format", "elevant", ELEVANT, "--json", "--output-dir", str(report)]
    assert main([*args, "--top-k", "2", "4"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["top_k"] for r in results] == [2, 4]
    assert "inkb_el" in results[0]["metrics"] and (report / "report.md").exists()


def test_evaluate_retriever_only_directory(retriever_only_dir, capsys):
    assert main(["evaluate", "--model", str(retriever_only_dir), "--format", "elevant", ELEVANT]) == 0
    assert "recall@100" in capsys.readouterr().out


def test_evaluate_unknown_format_exits_2(model_dir, capsys):
    assert main(["evaluate", "--model", str(model_dir), "--format", "nope", ELEVANT]) == 2
    assert "unknown document format" in capsys.readouterr().err
