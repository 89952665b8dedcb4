"""The composition root: the whole system in one place.

    raw inputs -> kb (entity / relation / DaMuEL passages, backbones) -> windows (pretraining, task)
    branches (`relik_ml.stages.branches`, each a few lines built by `relik_ml.stages.factory`):
      el/   entity retrieval (pretrained, sharded embeddings, recall report) -> span + EL reader
      re/   own windows, relation retrieval over its relation definitions -> triplet reader
      cie/  own windows, entity (QID KB) + relation (Wikidata) retrieval -> one shared reader
      each: ... -> candidates -> reader -> evaluation_report (gate) -> promoted_model
    automation: landed KB dumps -> passages -> the promoted model's index refreshed in place
                (sensor, nightly schedule, optional EL retrain job)
    scale-out:  the el/ passage-embedding shards as one job on a Dask cluster (params `distributed`:
                a local cluster on 127.0.0.1 or an existing scheduler), `relik_assets.distributed`

Every asset is a row of the stage table (`relik_ml.stages.STAGES`), with the checks of its role
(`relik_assets.assets.checks`). `defs` is what `dagster dev` and `dagster definitions validate` load;
`build_definitions` lets tests point it at their own params (every branch section typed first).
"""
from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from relik_ml.config import Params
from relik_ml.stages import STAGES, load_checked_params

from relik_assets.assets.raw import build_raw_assets
from relik_assets.assets.stages import stage_asset
from relik_assets.automation import build_automation
from relik_assets.distributed import lineage_embedding_job
from relik_assets.resources import DeviceResource, DvcResource, ProjectResource

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PARAMS = PROJECT_ROOT / "params.yaml"


def build_assets(params: Params) -> list:
    return [*build_raw_assets(params), *(stage_asset(stage, params) for stage in STAGES.values())]


def build_definitions(params_path: str | Path = DEFAULT_PARAMS, *, dvc_enabled: bool = True) -> dg.Definitions:
    """All assets, checks, jobs and resources for the params file at `params_path`."""
    params = load_checked_params(params_path)
    automation = build_automation(params)
    return dg.Definitions(
        assets=[*build_assets(params), *automation.assets],
        jobs=[*automation.jobs, lineage_embedding_job(params)],
        sensors=automation.sensors,
        schedules=automation.schedules,
        resources={
            "project": ProjectResource(params_path=str(Path(params_path).resolve())),
            "dvc": DvcResource(enabled=dvc_enabled, repo=str(params.root)),
            "device": DeviceResource(),
        },
    )


defs = build_definitions(
    os.environ.get("RELIK_PARAMS", DEFAULT_PARAMS),
    dvc_enabled=os.environ.get("RELIK_DVC", "1") != "0",
)
