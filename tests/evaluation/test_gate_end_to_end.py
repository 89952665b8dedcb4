"""`relik-ml gate` on the bundled sample with a tiny training budget: a failing gate exits 1,
`el/promoted_model` then refuses to promote, a passing gate promotes, and a later worse
candidate leaves the promoted model untouched. Real stages, real training, real FAISS."""
from __future__ import annotations

import json

import pytest

from relik_ml.cli import main
from relik_ml.config import load_params
from relik_ml.io import tree_sha256
from relik_ml.pipeline.evaluation import GateFailed
from relik_ml.stages import stage_call
from tests.budgets import tiny_el
from tests.paths import temp_params

TINY = tiny_el(steps=2, tracking_mode="disabled")


def _gate(params_path, capsys) -> tuple[int, dict]:
    code = main(["gate", "--params", str(params_path)])
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_gate_blocks_a_worse_model(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    impossible = temp_params(tmp_path, {**TINY, "el": {**TINY["el"], "evaluation_report": {"gate": {"min_f1": 1.01}}}})
    code, decision = _gate(impossible, capsys)
    assert code == 1 and not decision["passed"] and "floor" in decision["reasons"][0]
    params = load_params(impossible)
    with pytest.raises(GateFailed):
        stage_call("el/promoted_model", params).build()
    assert not params.artifact_dir("el/promoted_model").exists()

    passable = temp_params(tmp_path, {**TINY, "el": {**TINY["el"], "evaluation_report": {"gate": {"min_f1": 0.0}}}})
    code, decision = _gate(passable, capsys)
    assert code == 0 and decision["passed"]
    params = load_params(passable)
    stage_call("el/promoted_model", params).build()
    promoted = params.artifact_dir("el/promoted_model")
    before = tree_sha256(promoted)
    f1 = decision["f1"]

    stricter = temp_params(tmp_path, {**TINY, "el": {**TINY["el"], "evaluation_report": {
        "gate": {"min_f1": 0.0, "tolerance": -(1.0 - f1) - 0.01}}}})
    with pytest.raises(GateFailed, match="regresses"):
        stage_call("el/promoted_model", load_params(stricter)).build()
    assert tree_sha256(promoted) == before
