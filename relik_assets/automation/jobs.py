"""Jobs of the automation: dump → passages → refresh, refresh alone, and the EL retrain."""
# No `from __future__ import annotations`: Dagster inspects the context/resource annotations at runtime.
from dataclasses import dataclass
from typing import Any

import dagster as dg

from relik_ml.stages.refresh import retrain

from relik_assets.assets.stages import HEAVY_POOL
from relik_assets.automation.assets import KB_DUMPS
from relik_assets.resources import ProjectResource

AssetJob = Any  # what `dg.define_asset_job` returns: a job resolved when the Definitions load


@dataclass(frozen=True)
class Jobs:
    dump_refresh: AssetJob  # what the sensor runs for a new dump
    refresh: AssetJob  # what the schedule runs: the refresh alone
    retrain: dg.JobDefinition  # optional, requested by the sensor only when `automation.retrain`


@dg.op(pool=HEAVY_POOL, description="Rebuild the EL branch up to promotion, skipping what is up to date.")
def retrain_el(context: dg.OpExecutionContext, project: ProjectResource) -> None:
    retrain(project.load(), log=context.log.info)


@dg.job(name="el_retrain", description="Retrain and re-promote EL on the KB configured in params.yaml (stage runner).")
def el_retrain() -> None:
    retrain_el()


def build_jobs(dumps: dg.AssetsDefinition, refresh: dg.AssetsDefinition) -> Jobs:
    return Jobs(
        dump_refresh=dg.define_asset_job(
            "kb_dump_refresh", selection=dg.AssetSelection.assets(dumps, refresh), partitions_def=KB_DUMPS,
            description="A landed KB dump: its passages, then the promoted model's index refreshed in place.",
        ),
        refresh=dg.define_asset_job(
            "emerging_entities_refresh", selection=dg.AssetSelection.assets(refresh), partitions_def=KB_DUMPS,
            description="Diff a dump's passages against what the promoted index holds; embed only new/changed.",
        ),
        retrain=el_retrain,
    )
