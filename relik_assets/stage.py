"""Run one stage for an asset: skip when unchanged, report the content hash, record it in DVC."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import dagster as dg

from relik_ml.config import Params
from relik_ml.stages import stage_call
from relik_ml.stages.dvc_lock import dvc_stage
from relik_ml.stages.memo import run_memoized

from relik_assets.resources import DvcResource

CheckFn = Callable[[Path], Sequence[dg.AssetCheckResult]]


def materialize_stage(
    context: dg.AssetExecutionContext,
    name: str,
    params: Params,
    dvc: DvcResource,
    checks: CheckFn = lambda _: (),
) -> dg.MaterializeResult:
    """Build (or reuse) the stage's artifact; its content hash becomes the data version."""
    partition = context.partition_key if context.has_partition_key else None
    call = stage_call(name, params, partition)
    summary, version, reused = run_memoized(call, params)
    if reused:
        context.log.info(f"{name}: inputs and config unchanged, reusing {call.out}")
    dvc.commit(dvc_stage(name, partition))
    metadata: dict[str, Any] = {
        "path": dg.MetadataValue.path(str(call.out)),
        "reused": reused,
        "content_hash": version,
        **{f"count/{k}": v for k, v in summary.counts.items() if isinstance(v, int | float)},
        **{k: v for k, v in summary.extra.items() if isinstance(v, str | int | float)},
    }
    if summary.preview:
        metadata["preview"] = dg.MetadataValue.json(summary.preview)
    return dg.MaterializeResult(
        data_version=dg.DataVersion(version), metadata=metadata, check_results=list(checks(call.out))
    )
