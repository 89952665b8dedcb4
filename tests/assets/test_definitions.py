"""The composition root loads, validates, and its graph equals the DVC graph."""
from __future__ import annotations

import subprocess
import sys

import dagster as dg
import yaml

from relik_ml.config import load_params
from relik_ml.dvc_yaml import render_dvc_yaml, stage_graph
from tests.paths import ROOT

EXPECTED_ASSETS = {
    "raw_kilt", "raw_wikidata_properties", "raw_damuel", "raw_task_datasets",
    "backbones", "entity_passages", "relation_passages", "damuel_passages",
    "pretraining_windows", "task_windows",
}


def _defs():
    from relik_assets.definitions import build_definitions

    return build_definitions(ROOT / "params.yaml", dvc_enabled=False)


def test_definitions_hold_the_expected_assets():
    keys = {k.to_user_string() for k in _defs().resolve_asset_graph().get_all_asset_keys()}
    assert EXPECTED_ASSETS <= keys


def test_the_embedding_shards_job_runs_on_the_dask_executor():
    job = _defs().resolve_job_def("passage_embeddings_dask")
    assert job.executor_def.name == "dask"
    shards = load_params(ROOT / "params.yaml").sections["el"]["passage_embeddings"]["shards"]
    assert sorted(n.name for n in job.nodes if n.name.startswith("embed_shard")) == [
        f"embed_shard_{i}" for i in range(shards)]


def test_dagster_definitions_validate_is_clean():
    dagster = [sys.executable, "-m", "dagster", "definitions", "validate", "-w", str(ROOT / "workspace.yaml")]
    result = subprocess.run(dagster, cwd=ROOT, capture_output=True, text=True,
                            env={"DAGSTER_HOME": str(ROOT / "dagster_home"), "PATH": "/usr/bin:/bin",
                                 "RELIK_DVC": "0"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_dvc_yaml_is_rendered_from_the_stage_table():
    params = load_params(ROOT / "params.yaml")
    assert (ROOT / "dvc.yaml").read_text() == render_dvc_yaml(params), "run `make dvc-yaml`"


def test_dvc_graph_equals_dagster_graph():
    dvc = stage_graph(yaml.safe_load((ROOT / "dvc.yaml").read_text()))
    graph = _defs().resolve_asset_graph()
    # KB dump versions are dynamic partitions, known only at run time: Dagster-only (relik_ml.stages.refresh).
    materializable = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable
                      and not isinstance(graph.get(k).partitions_def, dg.DynamicPartitionsDefinition)}
    dagster = {
        k.to_user_string(): {p.to_user_string() for p in graph.get(k).parent_keys if graph.get(p).is_materializable}
        for k in materializable
    }
    assert dvc == dagster


def test_every_asset_has_a_description_and_a_code_version():
    graph = _defs().resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_materializable:
            assert node.description, f"{key.to_user_string()} has no description"
            assert node.code_version, f"{key.to_user_string()} has no code version"
