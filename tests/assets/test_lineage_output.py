"""`make demo`'s screen, from a real process: one line per asset and a closing summary on stdout,
nothing on stderr; Dagster's and Lightning's logs and the warnings in the log file (`-v` shows them)."""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

from relik_assets.console import ProgressBar
from relik_assets.definitions import build_definitions
from relik_assets.lineage import Step, lineage_steps, run_step, with_upstream
from tests.paths import ROOT, temp_params

TARGET = "el/retriever_pretrained"  # the KB texts, pretraining windows, backbones, then a 1-step training
ONE_STEP = {
    "el": {"retriever_pretrained": {"train": {"max_steps": 1, "batch_size": 8, "passages_per_batch": 32}}},
    "tracking": {"mode": "disabled"},
}
SUMMARY = re.compile(r"lineage succeeded in \S+: (\d+) assets, (\d+) built, (\d+) reused(; full log: (\S+))?")
NOISE = ("Seed set", "GPU available", "Tip", "Warning", "dagster - ")


def project(root: Path, overrides: dict) -> Path:
    """A params file writing under `root`, and a Dagster home there with the project's dagster.yaml."""
    temp_params(root, overrides)
    (root / "dagster_home").mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", root / "dagster_home")
    return root


def demo(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RELIK_PARAMS": str(root / "params.yaml"), "RELIK_DVC": "0",
           "DAGSTER_HOME": str(root / "dagster_home"), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "relik_assets.lineage", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=900)


def labels(root: Path, target: str) -> list[str]:
    defs = build_definitions(root / "params.yaml", dvc_enabled=False)
    return [step.label for step in lineage_steps(defs, with_upstream(defs, [target]))]


def test_the_screen_shows_one_line_per_asset_and_the_log_file_the_rest(tmp_path):
    root = project(tmp_path, ONE_STEP)
    run = demo(root, "--select", TARGET)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stderr == ""
    lines = run.stdout.splitlines()
    names = labels(root, TARGET)
    assert names[-1] == TARGET and len(names) >= 4
    assert len(lines) == len(names) + 3, run.stdout  # the assets, a blank line, the verdict, `make ui`
    for line, name in zip(lines, names):
        assert re.fullmatch(rf"built +[\d.hms]+  {re.escape(name)}", line), line
    assert lines[len(names)] == ""
    verdict = SUMMARY.fullmatch(lines[len(names) + 1])
    assert verdict and verdict.groups()[:3] == (str(len(names)), str(len(names)), "0"), lines
    assert lines[-1].startswith("try  make ui")
    assert not any(noise in run.stdout for noise in NOISE)
    log = (root / verdict.group(5)).read_text()
    assert "Seed set" in log and "STEP_SUCCESS" in log and "BetaWarning" in log


def test_a_failed_asset_is_one_line_and_verbose_shows_its_error(tmp_path):
    broken = tmp_path / "kb.jsonl"
    broken.write_text('{"wikipedia_id": "1", "wikipedia_title": "Germany", "text": ["Germany."]}\nnot json\n')
    root = project(tmp_path, {"raw": {"kilt": str(broken)}})
    run = demo(root, "--select", "entity_passages", "--verbose")
    assert run.returncode == 1
    failed, blank, verdict = run.stdout.splitlines()
    assert re.fullmatch(r"FAILED +[\d.ms]+  entity_passages", failed) and blank == ""
    assert re.fullmatch(r"lineage FAILED at entity_passages after \S+", verdict)
    assert f"{broken}:2" in run.stderr and "STEP_FAILURE" in run.stderr
    assert not (root / "dagster_home" / "logs").exists()  # no log file: it all went to the screen


def test_a_second_run_reuses_the_asset(tmp_path):
    defs = build_definitions(temp_params(tmp_path), dvc_enabled=False)
    [step] = lineage_steps(defs, {dg.AssetKey(["entity_passages"])})
    with dg.instance_for_test() as instance:
        assert [run_step(defs, instance, step).status for _ in range(2)] == ["built", "reused"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_draws_on_a_terminal_only_and_is_erased_when_closed():
    terminal, piped = Terminal(), io.StringIO()
    for stream in (terminal, piped):
        bar = ProgressBar("el/reader", stream, min_interval=0)
        for done in range(1, 5):
            bar(done, 4, "steps")
        bar.close()
    assert "el/reader" in terminal.getvalue() and "4/4" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r")  # the bar's line is cleared, the asset line replaces it
    assert piped.getvalue() == ""


def test_a_partitioned_asset_is_one_line_naming_the_partition_that_failed():
    step = Step(dg.AssetKey(["task_windows"]), ("aida-train", "aida-testa"))
    assert step.label == "task_windows (2 partitions)"
    assert step.labelled(failed_at="aida-testa") == "task_windows (2 partitions, failed at aida-testa)"
    assert Step(dg.AssetKey(["el", "reader"]), (None,)).label == "el/reader"
