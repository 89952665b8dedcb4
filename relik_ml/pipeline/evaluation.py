"""Evaluation stages: the report on a freshly assembled candidate model, and gated promotion."""
from __future__ import annotations

import shutil
import time
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from relik_ml.errors import InputError
from relik_ml.evaluation.promotion import GateConfig, GateDecision, decide
from relik_ml.io import atomic_directory, read_json, write_json, write_manifest
from relik_ml.pipeline.artifacts import load_documents
from relik_ml.pipeline.run_results import RunRecord, write_run_results
from relik_ml.pipeline.summary import PASSAGES_FILE, Summary

MODEL_DIR = "model"  # the evaluated, self-contained candidate inside the report artifact
REPORT_DIR = "report"
GATE_FILE = "gate.json"
RESULTS_FILE = "report.json"
EVALUATION_FILE = "evaluation.json"  # the report results a promoted model was promoted with


class GateFailed(RuntimeError):
    """The candidate did not pass the gate: the promoted model was left as it was."""


def promoted_results(promoted_dir: Path) -> list[dict[str, Any]] | None:
    path = promoted_dir / EVALUATION_FILE
    return read_json(path)["results"] if path.exists() else None


def evaluation_report(
    components: Mapping[str, Path],
    eval_dirs: Mapping[str, Path],
    settings: Mapping[str, Any],
    gate: GateConfig,
    promoted_dir: Path,
    out: Path,
    *,
    title: str = "Entity linking evaluation",
    record: RunRecord | None = None,
) -> Summary:
    """Assemble the candidate model, evaluate it on each split, and record the gate decision.

    `components`: "reader" plus the entity parts "retriever", "index", "passages" (EL, cIE) and/or
    the relation parts "relations" and, optionally, "relation_retriever" with "relation_index"
    (RE, cIE; without them every relation is a candidate of every window). With `record`, the run's
    result file is written after the artifact (`relik_ml.pipeline.run_results`).
    """
    from relik_ml.evaluation.evaluate import evaluate_model
    from relik_ml.evaluation.report import write_report
    from relik_ml.inference import Relik, assemble_model_dir

    began = time.perf_counter()
    with atomic_directory(out, artifact="evaluation_report") as tmp:
        model = assemble_model_dir(
            tmp / MODEL_DIR, retriever_dir=components.get("retriever"), index_dir=components.get("index"),
            passages=_passages_file(components.get("passages")), reader_dir=components["reader"],
            settings=dict(settings), relations=_passages_file(components.get("relations")),
            relation_retriever_dir=components.get("relation_retriever"),
            relation_index_dir=components.get("relation_index"),
        )
        relik = Relik.from_pretrained(model)
        results = [evaluate_model(relik, load_documents(d), dataset_name=name) for name, d in eval_dirs.items()]
        write_report(tmp / REPORT_DIR, results, title=title)
        decision = decide(results, promoted_results(promoted_dir), gate)
        write_json(tmp / GATE_FILE, {"gate": asdict(gate), **decision.to_json()})
        counts = {"datasets": len(results), "gate_passed": int(decision.passed)}
        write_manifest(tmp, artifact="evaluation_report", config={"settings": dict(settings), "gate": gate},
                       counts=counts, extra={"results": results, "gate": decision.to_json()})
    if record is not None:
        write_run_results(record, results, decision.to_json(), time.perf_counter() - began)
    extra = {"gate_passed": decision.passed, "gated_f1": decision.f1 if decision.f1 is not None else -1.0,
             "report": str(out / REPORT_DIR / "report.md"),
             **({"results": str(record.path)} if record is not None else {})}
    return Summary("evaluation_report", out, counts, extra=extra)


def _passages_file(directory: Path | None) -> Path | None:
    return None if directory is None else directory / PASSAGES_FILE


def read_decision(report_dir: Path) -> GateDecision:
    obj = read_json(report_dir / GATE_FILE)
    return GateDecision(obj["passed"], obj["f1"], obj["promoted_f1"], tuple(obj["reasons"]))


def promoted_model(report_dir: Path, gate: GateConfig, out: Path) -> Summary:
    """Copy the evaluated candidate over the promoted model, only if it passes the gate now."""
    if not (report_dir / MODEL_DIR).is_dir():
        raise InputError("evaluation report has no model/ directory", path=report_dir)
    results = read_json(report_dir / REPORT_DIR / RESULTS_FILE)["results"]
    decision = decide(results, promoted_results(out), gate)
    if not decision.passed:
        raise GateFailed("gate failed, promoted model kept: " + "; ".join(decision.reasons))
    with atomic_directory(out, artifact="promoted_model", inputs=[report_dir]) as tmp:
        shutil.copytree(report_dir / MODEL_DIR, tmp, dirs_exist_ok=True)
        write_json(tmp / EVALUATION_FILE, {"results": results, "gate": decision.to_json()})
    counts = {"promoted": 1}
    return Summary("promoted_model", out, counts, extra={"gated_f1": decision.f1 or 0.0})
