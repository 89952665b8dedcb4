"""The asset factory: one Dagster asset per row of `relik_ml.stages.STAGES`.

Keys, groups, dependencies and partitions all come from the stage table, so the Dagster graph
is the DVC graph. Each asset carries the checks of its stage's role (`relik_assets.assets.checks`).
"""
# No `from __future__ import annotations`: Dagster inspects the context/resource annotations at runtime.
import functools
import hashlib
import inspect
import json
from pathlib import Path

import dagster as dg

from relik_ml.config import Params
from relik_ml.stages import Stage

from relik_assets.assets.checks import stage_checks
from relik_assets.resources import DvcResource, ProjectResource
from relik_assets.stage import materialize_stage

HEAVY_POOL = "heavy"


def code_version(stage: Stage, params: Params) -> str:
    """A hash of the module that defines the stage's call and of the values of the params keys the
    stage reads (the keys DVC hashes): editing the stage or its params marks the asset stale."""
    call = stage.call.func if isinstance(stage.call, functools.partial) else stage.call
    values = json.dumps({key: _params_value(params.sections, key) for key in stage.params}, sort_keys=True,
                        default=str)
    return f"{_file_digest(inspect.getsourcefile(call) or '')}-{hashlib.sha256(values.encode()).hexdigest()[:12]}"


def _params_value(sections: dict, key: str) -> object:
    """The value at a dotted params key (None where it is not set)."""
    node: object = sections
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


@functools.cache
def _file_digest(path: str) -> str:
    """First 12 hex digits of the file's SHA-256 ("unknown" when there is no source file); one read per module."""
    source = Path(path)
    return hashlib.sha256(source.read_bytes()).hexdigest()[:12] if source.is_file() else "unknown"


def asset_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(name.split("/"))


def automation(stage: Stage) -> dg.AutomationCondition:
    """Cheap derived data follows its inputs eagerly; training waits for a person or a job."""
    blocked = dg.AutomationCondition.all_deps_blocking_checks_passed()
    if stage.heavy:
        return dg.AutomationCondition.on_missing() & blocked
    return dg.AutomationCondition.eager() & blocked


def stage_asset(stage: Stage, params: Params) -> dg.AssetsDefinition:
    key = asset_key(stage.name)
    checks = stage_checks(stage)
    partitions = dg.StaticPartitionsDefinition(stage.partitions(params)) if stage.partitions else None

    @dg.asset(
        key=key,
        group_name=stage.group,
        deps=[asset_key(u) for u in stage.upstream] + [dg.AssetKey(r) for r in stage.raw],
        partitions_def=partitions,
        code_version=code_version(stage, params),
        pool=HEAVY_POOL if stage.heavy else None,
        automation_condition=automation(stage),
        check_specs=[dg.AssetCheckSpec(n, asset=key, blocking=b, description=d) for n, b, d in checks.specs],
        description=stage.description or None,
        kinds={"python"},
    )
    def _asset(context: dg.AssetExecutionContext, project: ProjectResource, dvc: DvcResource):
        params_now = project.load()
        return materialize_stage(context, stage.name, params_now, dvc, lambda out: checks.run(params_now, out))

    return _asset
