"""Every training asset, materialised on a real Dagster instance, leaves a W&B offline run with
per-step loss curves and the model logged as an artifact, and names that run in its metadata."""
from __future__ import annotations

from pathlib import Path

import dagster as dg

from relik_assets.assets.stages import asset_key
from relik_assets.definitions import build_definitions
from relik_assets.lineage import materialize_lineage
from relik_ml.stages.closure import upstream_closure
from tests.budgets import tiny_el
from tests.paths import temp_params
from tests.wandb_runs import history, logged_artifacts

TRAINING = ("el/retriever_pretrained", "el/retriever", "el/reader")
TINY = tiny_el(steps=3, tracking_mode="offline")


def test_training_assets_record_their_wandb_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.chdir(tmp_path)
    defs = build_definitions(temp_params(tmp_path, TINY), dvc_enabled=False)
    selection = {asset_key(name) for name in upstream_closure(TRAINING)}
    with dg.instance_for_test() as instance:
        results = materialize_lineage(defs, instance, selection)
        assert results and all(r.success for r in results)
        for name in TRAINING:
            event = instance.get_latest_materialization_event(asset_key(name))
            metadata = event.asset_materialization.metadata
            run_id, run_dir = metadata["wandb_run_id"].value, Path(metadata["wandb_run_dir"].value)
            assert run_dir.is_dir() and run_dir.parent == tmp_path / "wandb" and run_id in run_dir.name
            rows = history(run_dir)
            steps = [row["trainer/global_step"] for row in rows if "train/loss" in row]
            assert steps == sorted(steps) and len(set(steps)) == 3, (name, steps)
            assert all(isinstance(row["train/loss"], float) for row in rows if "train/loss" in row)
            assert (name.replace("/", "-"), "model") in logged_artifacts(run_dir)
