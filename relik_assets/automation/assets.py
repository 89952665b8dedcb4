"""The dump assets, partitioned by dump version: the dump's passages, and the model refreshed with them.

Both live only in Dagster (see `relik_ml.stages.refresh` for why they are not DVC stages): dump
versions are dynamic partitions that the landing-folder sensor adds at run time.
"""
# No `from __future__ import annotations`: Dagster inspects the context/resource annotations at runtime.
from typing import Any

import dagster as dg

from relik_ml.config import Params
from relik_ml.io import tree_sha256
from relik_ml.pipeline.summary import Summary
from relik_ml.stages import STAGES
from relik_ml.stages.refresh import DUMP_PASSAGES, automation_config, dump_passages, refresh_promoted_model

from relik_assets.assets.stages import HEAVY_POOL, asset_key
from relik_assets.checks import quality
from relik_assets.resources import DvcResource, ProjectResource

GROUP = "automation"
KB_DUMPS = dg.DynamicPartitionsDefinition(name="kb_dumps")


def metadata(summary: Summary) -> dict[str, Any]:
    return {
        "path": dg.MetadataValue.path(str(summary.path)),
        **{f"count/{k}": v for k, v in summary.counts.items() if isinstance(v, int | float)},
        **{k: v for k, v in summary.extra.items() if isinstance(v, str | int | float)},
    }


def build_automation_assets(params: Params) -> tuple[dg.AssetsDefinition, dg.AssetsDefinition]:
    """(`kb_dump_passages`, `<model>_refresh`) for the model named in `automation.model`."""
    model = automation_config(params).model
    model_deps = [asset_key(model)] if model in STAGES else []

    @dg.asset(
        key=DUMP_PASSAGES, group_name=GROUP, partitions_def=KB_DUMPS, code_version="1", kinds={"python"},
        description="Passages of one landed KB dump (KILT, Wikidata properties or a DaMuEL part), per dump version.",
        check_specs=[dg.AssetCheckSpec(quality.PASSAGES_CHECK, asset=DUMP_PASSAGES, blocking=True,
                                       description="GX passages suite: a bad dump never reaches the index")],
    )
    def kb_dump_passages(context: dg.AssetExecutionContext, project: ProjectResource) -> dg.MaterializeResult:
        summary, version, reused = dump_passages(project.load(), context.partition_key)
        return dg.MaterializeResult(data_version=dg.DataVersion(version),
                                    metadata={**metadata(summary), "reused": reused, "content_hash": version},
                                    check_results=quality.passages_check(summary.path))

    @dg.asset(
        key=asset_key(f"{model}_refresh"), group_name=GROUP, partitions_def=KB_DUMPS, code_version="1",
        deps=[kb_dump_passages.key, *model_deps], pool=HEAVY_POOL, kinds={"python"},
        description=f"{model} refreshed in place with a dump's passages: new/changed embedded, no retraining.",
    )
    def model_refresh(context: dg.AssetExecutionContext, project: ProjectResource,
                      dvc: DvcResource) -> dg.MaterializeResult:
        summary = refresh_promoted_model(project.load(), context.partition_key)
        if summary.extra.get("restamped"):
            dvc.commit(model)
        version = tree_sha256(summary.path)
        context.log.info(f"{model} refreshed with {context.partition_key}: {summary.counts}")
        return dg.MaterializeResult(data_version=dg.DataVersion(version),
                                    metadata={**metadata(summary), "content_hash": version})

    return kb_dump_passages, model_refresh
