"""The result file of one run: what an evaluation report measured, on which data, under which budget.

The evaluation stage writes it beside its artifact (`<prefix>.evaluation_report.results`), so a
figure quoted from a real-data run is the file that run wrote: the metrics of every reported split,
which split trained, which selected the weights and tuned the thresholds, the data counts, the KB
coverage (from the report), the budget, the wall time of each stage (from the stage stamps), the
git commit and the hash of the params file.
"""
from __future__ import annotations

import hashlib
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relik_ml.io import read_json, read_manifest, write_json


@dataclass(frozen=True)
class RunRecord:
    """Everything the result file says besides the report's own results."""

    path: Path  # the result file
    branch: str  # the branch prefix ("el", "re", "cie")
    params_file: Path | None  # the params file the run was read from (hashed)
    root: Path  # the project folder (its git commit)
    trained_on: str  # split name the reader and retrievers trained on
    selected_on: str  # split name that selected the weights and tuned the thresholds
    windows: Mapping[str, Path]  # split name -> its task_windows artifact (data counts)
    stamps: Mapping[str, Path]  # stage -> its stamp (wall seconds of earlier stages, when recorded)
    budget: dict[str, Any] = field(default_factory=dict)  # K, backbone, reader and retriever steps


def write_run_results(
    record: RunRecord, results: list[dict[str, Any]], gate: dict[str, Any], evaluation_seconds: float
) -> dict[str, Any]:
    """Write the result file atomically; returns its content."""
    import torch

    reported = [r["dataset"] for r in results]
    content = {
        "branch": record.branch,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git_commit": _git(record.root, "rev-parse", "HEAD"),
        "git_dirty": bool(_git(record.root, "status", "--porcelain", "--untracked-files=no")),
        "params_file": str(record.params_file) if record.params_file else None,
        "params_sha256": _sha256(record.params_file) if record.params_file else None,
        "splits": {
            "trained_on": record.trained_on,
            "selected_on": record.selected_on,  # reader weights kept and thresholds tuned on it
            "reported": reported,
            "reported_is_selection": record.selected_on in reported,
        },
        "metrics": {r["dataset"]: r["metrics"] for r in results},
        "data": {name: _counts(path) for name, path in record.windows.items()},
        "report_counts": {r["dataset"]: {k: r[k] for k in ("documents", "gold_mentions", "gold_outside_kb")}
                          for r in results},
        "kb": {r["dataset"]: r["kb"] for r in results if "kb" in r},
        "gate": gate,
        "budget": {**record.budget, "evaluation_threads": torch.get_num_threads()},
        "wall_seconds": {**_stage_seconds(record.stamps), "evaluation_report": round(evaluation_seconds, 1)},
        "ait_seconds": {r["dataset"]: round(r["ait_seconds"], 1) for r in results},
    }
    write_json(record.path, content)
    return content


def _counts(windows_dir: Path) -> dict[str, Any]:
    return dict(read_manifest(windows_dir).get("counts", {})) if (windows_dir / "manifest.json").exists() else {}


def _stage_seconds(stamps: Mapping[str, Path]) -> dict[str, float]:
    seconds = {}
    for stage, path in stamps.items():
        value = read_json(path).get("extra", {}).get("seconds") if path.exists() else None
        if isinstance(value, (int, float)):
            seconds[stage] = float(value)
    return seconds


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False, timeout=30)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None
