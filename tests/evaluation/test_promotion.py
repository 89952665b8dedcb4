"""The promotion rule and the gated copy: a worse model is never promoted."""
from __future__ import annotations

import pytest

from relik_ml.evaluation.promotion import GateConfig, decide
from relik_ml.io import write_json, write_manifest
from relik_ml.pipeline.evaluation import GateFailed, promoted_model

GATE = GateConfig(dataset="aida-testa", metric="inkb_el", min_f1=0.3, tolerance=0.02)


def _results(f1: float) -> list[dict]:
    return [{"dataset": "aida-testa", "metrics": {"inkb_el": {"precision": f1, "recall": f1, "f1": f1}}}]


def test_floor_and_regression():
    assert decide(_results(0.5), None, GATE).passed
    low = decide(_results(0.2), None, GATE)
    assert not low.passed and "floor" in low.reasons[0]
    assert decide(_results(0.59), _results(0.6), GATE).passed
    worse = decide(_results(0.5), _results(0.6), GATE)
    assert not worse.passed and "regresses" in worse.reasons[0]
    missing = decide([{"dataset": "other", "metrics": {}}], None, GATE)
    assert not missing.passed and missing.f1 is None


def _report(tmp_path, name: str, f1: float, weights: str):
    report = tmp_path / name
    (report / "model").mkdir(parents=True)
    (report / "model" / "weights.txt").write_text(weights)
    write_manifest(report / "model", artifact="promoted_model")  # as assemble_model_dir writes it
    (report / "report").mkdir()
    write_json(report / "report" / "report.json", {"results": _results(f1)})
    return report


def test_worse_candidate_keeps_the_promoted_model(tmp_path):
    promoted = tmp_path / "promoted_model"
    promoted_model(_report(tmp_path, "good", 0.7, "good"), GATE, promoted)
    assert (promoted / "weights.txt").read_text() == "good"
    with pytest.raises(GateFailed, match="regresses from promoted 0.7000"):
        promoted_model(_report(tmp_path, "worse", 0.5, "worse"), GATE, promoted)
    assert (promoted / "weights.txt").read_text() == "good"
    promoted_model(_report(tmp_path, "better", 0.75, "better"), GATE, promoted)
    assert (promoted / "weights.txt").read_text() == "better"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["better", "good", "promoted_model", "worse"]
