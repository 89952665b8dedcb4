"""A failing data suite stops the lineage before anything downstream is written, on the CLI path
(`relik-ml build`, `gate`, `run`) and the Dagster path, with the same rules the GX suites run.

The corruption is real KILT input: a stub page (a title line and no paragraph) becomes a passage with
an empty text, which the passages suite forbids. The DVC path is in `tests/test_dvc_real.py`.
"""
from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml

from relik_ml.cli import main
from relik_ml.config import load_params
from relik_ml.io import read_json, read_manifest, tree_sha256
from relik_ml.stages import memo, stage_call
from relik_ml.stages.data_checks import DataCheckError
from relik_ml.stages.memo import check_record_path, record, stamp_path
from relik_ml.validate import Problem
from tests.paths import SAMPLE, temp_params

STUB = {"_id": "90000", "wikipedia_id": "90000", "wikipedia_title": "Stub", "text": ["Stub\n"], "anchors": []}
EMPTY_TEXT = "record 358 ('Stub'): field 'text': must not be blank"  # the sample KB has 358 pages before it


def project(tmp_path: Path, *, stub: bool) -> Path:
    """params.yaml writing under `tmp_path/data`, reading a copy of the KILT sample (with a stub page)."""
    kilt = tmp_path / "raw" / "kilt.jsonl"
    kilt.parent.mkdir(parents=True)
    shutil.copy(SAMPLE / "kilt" / "knowledge_source.jsonl", kilt)
    if stub:
        with kilt.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(STUB) + "\n")
    return temp_params(tmp_path, {"raw": {"kilt": str(kilt)}})


def test_build_and_gate_stop_at_the_failing_passages_suite(tmp_path, capsys) -> None:
    params, data = project(tmp_path, stub=True), tmp_path / "data"
    for command in (["build", "task_windows"], ["gate", "--task", "el"]):
        assert main([*command, "--params", str(params)]) == 2
        error = capsys.readouterr().err
        assert f"{data / 'entity_passages' / 'passages.jsonl'}: field 'text': entity_passages failed the blocking " \
               f"'passages' check on 1 row: {EMPTY_TEXT}" in error
        assert not (data / "task_windows").exists() and not (data / "el").exists()  # nothing downstream started
        assert not stamp_path(stage_call("entity_passages", load_params(params)), load_params(params)).exists()


def test_run_refuses_a_corrupted_upstream_and_keeps_the_downstream_artifact(tmp_path, capsys) -> None:
    params = project(tmp_path, stub=False)
    windows = ["run", "task_windows", "--partition", "aida-train", "--params", str(params)]
    assert main(["run", "entity_passages", "--params", str(params)]) == 0 and main(windows) == 0
    out = tmp_path / "data" / "task_windows" / "aida-train"
    built = tree_sha256(out)

    passages = tmp_path / "data" / "entity_passages" / "passages.jsonl"
    lines = passages.read_text().splitlines(keepends=True)
    passages.write_text("".join([*lines, lines[0]]))  # the first passage again: a duplicate id
    settings = yaml.safe_load(params.read_text())
    settings["task_windows"]["window_size"] = 24  # the downstream stage must rebuild
    params.write_text(yaml.safe_dump(settings))
    capsys.readouterr()
    assert main(windows) == 2
    first = json.loads(lines[0])["id"]
    assert f"entity_passages failed the blocking 'passages' check on 1 row: record {len(lines)} ('{first}'): " \
           f"field 'id': must be unique; task_windows [aida-train] not run" in capsys.readouterr().err
    assert tree_sha256(out) == built and read_manifest(out)["config"]["window_size"] == 32  # the old one kept

    assert main(["run", "entity_passages", "--params", str(params)]) == 0  # rebuilt from the raw KB: valid
    assert main(windows) == 0 and read_manifest(out)["config"]["window_size"] == 24


def _built_unchecked(path: Path) -> Path:
    """Build and stamp entity_passages without its checks (as before they existed); its check record's path."""
    params = load_params(path)
    call = stage_call("entity_passages", params)
    record(call, params, call.build())
    return check_record_path(call, params)


def test_a_stamped_artifact_never_checked_is_checked_on_reuse_once(tmp_path, capsys, monkeypatch) -> None:
    broken = project(tmp_path / "broken", stub=True)
    _built_unchecked(broken)
    assert main(["run", "entity_passages", "--params", str(broken)]) == 2  # up to date, but never checked
    assert EMPTY_TEXT in capsys.readouterr().err

    good = project(tmp_path / "good", stub=False)
    checks = _built_unchecked(good)
    run = ["run", "task_windows", "--partition", "aida-train", "--params", str(good)]
    assert main(run) == 0  # its upstream entity_passages is checked, and its content recorded
    assert read_json(checks) == {"output": tree_sha256(checks.parents[1] / "entity_passages"), "suites": ["passages"]}
    monkeypatch.setattr(memo, "check_artifact", lambda *_: pytest.fail("recorded content checked again"))
    assert main(["run", "entity_passages", "--params", str(good)]) == 0 and main(run) == 0


def test_the_error_survives_a_process_boundary() -> None:
    problems = [Problem("Stub", 358, "text", "must not be blank")]
    error = DataCheckError("entity_passages", "passages", Path("passages.jsonl"), problems, blocked="task_windows")
    copy = pickle.loads(pickle.dumps(error))  # how Dask returns a worker's exception
    assert (str(copy), copy.field, copy.problems) == (str(error), "text", problems)


def _failure(result: dg.ExecuteInProcessResult) -> str:
    """The message of the error that failed the run's one failed step (Dagster wraps it as the cause)."""
    [event] = result.get_step_failure_events()
    error = event.step_failure_data.error
    return error.cause.message if error.cause is not None else error.message


def test_dagster_materialisations_are_blocked_by_the_same_rules(tmp_path) -> None:
    from relik_assets.assets.raw import build_raw_assets
    from relik_assets.assets.stages import stage_asset
    from relik_assets.checks.quality import passages_check
    from relik_assets.resources import DvcResource, ProjectResource
    from relik_ml.stages import STAGES

    path = project(tmp_path, stub=True)
    params = load_params(path)
    kilt = next(a for a in build_raw_assets(params) if a.key == dg.AssetKey("raw_kilt"))
    passages, windows = stage_asset(STAGES["entity_passages"], params), stage_asset(STAGES["task_windows"], params)
    resources = {"project": ProjectResource(params_path=str(path)), "dvc": DvcResource(enabled=False)}
    instance = dg.DagsterInstance.ephemeral()

    result = dg.materialize([kilt, passages], instance=instance, resources=resources,
                            selection=[passages.key], raise_on_error=False)
    assert not result.success and result.get_asset_materialization_events() == []
    assert f"entity_passages failed the blocking 'passages' check on 1 row: {EMPTY_TEXT}" in _failure(result)

    result = dg.materialize([kilt, passages, windows], instance=instance, resources=resources,
                            selection=[windows.key], partition_key="aida-train", raise_on_error=False)
    assert not result.success and result.get_asset_materialization_events() == []
    assert "; task_windows [aida-train] not run" in _failure(result)
    assert not params.artifact_dir("task_windows", "aida-train").exists()

    [gx] = passages_check(params.artifact_dir("entity_passages"))  # the GX asset check finds the same row
    failed = gx.metadata["failed"].value
    assert not gx.passed and {(f["table"], f["column"]) for f in failed} == {("passages", "text")}
    assert all(f["unexpected_count"] == 1 for f in failed)
