"""DVC enabled, end to end, in a fresh DVC repository: `dvc repro` runs `relik-ml run`, whose blocking
data checks stop the pipeline at a failing suite; `relik-ml build` records what it built with the real
`dvc commit`, and never an artifact that failed its checks. Assertions read DVC's own output and dvc.lock."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from relik_ml.cli import main
from relik_ml.config import load_params
from relik_ml.dvc_yaml import render_dvc_yaml
from tests.paths import SAMPLE, temp_params
from tests.test_blocking_checks import EMPTY_TEXT, STUB

UP_TO_DATE = "Data and pipelines are up to date."
DOWNSTREAM = "task_windows@aida-train"  # a foreach item whose deps include data/entity_passages


def dvc(repo: Path, *args: str) -> subprocess.CompletedProcess:
    """`dvc ARGS` in `repo`, with this interpreter's `relik-ml` first on PATH (what dvc.yaml calls)."""
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "PATH": path}
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=repo, env=env, capture_output=True, text=True)


def dvc_repo(tmp_path: Path) -> tuple[Path, Path]:
    """A DVC repository: params.yaml (data under ./data), a copy of the KILT sample, dvc.yaml rendered
    from the stage table. Returns (params.yaml, the KILT copy)."""
    kilt = tmp_path / "raw" / "kilt.jsonl"
    kilt.parent.mkdir()
    shutil.copy(SAMPLE / "kilt" / "knowledge_source.jsonl", kilt)
    path = temp_params(tmp_path, {"raw": {"kilt": str(kilt)}, "paths": {"data_root": "data"}})
    assert dvc(tmp_path, "init", "--no-scm", "-q").returncode == 0
    (tmp_path / "dvc.yaml").write_text(render_dvc_yaml(load_params(path)))
    return path, kilt


def add_stub(kilt: Path) -> None:
    with kilt.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(STUB) + "\n")


def test_dvc_repro_stops_at_a_failing_suite_and_runs_nothing_downstream(tmp_path) -> None:
    _, kilt = dvc_repo(tmp_path)
    add_stub(kilt)
    failed = dvc(tmp_path, "repro", DOWNSTREAM)
    assert failed.returncode != 0
    assert f"entity_passages failed the blocking 'passages' check on 1 row: {EMPTY_TEXT}" in failed.stderr
    assert "failed to reproduce 'entity_passages'" in failed.stderr and f"'{DOWNSTREAM}'" not in failed.stdout
    assert not (tmp_path / "data" / "task_windows").exists() and not (tmp_path / "dvc.lock").exists()


def test_repro_status_and_the_dvc_commit_of_a_build(tmp_path) -> None:
    path, kilt = dvc_repo(tmp_path)
    lock = tmp_path / "dvc.lock"
    reproduced = dvc(tmp_path, "repro", "entity_passages")
    assert reproduced.returncode == 0 and "Running stage 'entity_passages'" in reproduced.stdout, reproduced.stderr
    assert dvc(tmp_path, "status", "entity_passages").stdout.strip() == UP_TO_DATE
    first = yaml.safe_load(lock.read_text())["stages"]["entity_passages"]

    settings = yaml.safe_load(path.read_text())
    settings["entity_passages"]["max_words"] = 16  # an edit DVC sees in params.yaml
    path.write_text(yaml.safe_dump(settings))
    assert "params.yaml:\n\t\t\tmodified:           entity_passages\n" in dvc(tmp_path, "status").stdout
    assert main(["build", "entity_passages", "--params", str(path)]) == 0  # runs `dvc commit entity_passages`
    assert dvc(tmp_path, "status", "entity_passages").stdout.strip() == UP_TO_DATE
    second = yaml.safe_load(lock.read_text())["stages"]["entity_passages"]
    assert second["params"]["params.yaml"]["entity_passages"]["max_words"] == 16
    assert second["outs"][0]["md5"] != first["outs"][0]["md5"]  # shorter texts: a new output recorded

    committed = lock.read_text()
    add_stub(kilt)  # an edit that breaks the passages suite: built, refused, not committed
    assert main(["build", "entity_passages", "--params", str(path)]) == 2
    assert lock.read_text() == committed
    status = dvc(tmp_path, "status", "entity_passages").stdout
    assert "modified:           raw/kilt.jsonl" in status and "modified:           data/entity_passages" in status
