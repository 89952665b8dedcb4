"""Run one stage for an asset: skip when unchanged, report the content hash, record it in DVC."""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from relik_ml.config import Params
from relik_ml.io import MANIFEST, read_json, tree_sha256
from relik_ml.pipeline import Summary
from relik_ml.stages import StageCall, stage_call

from relik_assets.resources import DvcResource

CheckFn = Callable[[Path], Sequence[dg.AssetCheckResult]]


def _normalised(config: Any) -> Any:
    return json.loads(json.dumps(asdict(config) if is_dataclass(config) else (config or {})))


def up_to_date(call: StageCall) -> bool:
    """True when the artifact exists and was built from the same config and input contents."""
    manifest_path = call.out / MANIFEST
    if not manifest_path.exists():
        return False
    manifest = read_json(manifest_path)
    current = {name: tree_sha256(p) for name, p in call.inputs.items() if Path(p).exists()}
    return manifest.get("config") == _normalised(call.config) and manifest.get("inputs") == current


def dvc_stage(name: str, partition: str | None) -> str:
    """The DVC stage name of an asset (partitions are `foreach` items: `name@partition`)."""
    return f"{name}@{partition}" if partition else name


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
    reused = up_to_date(call)
    if reused:
        summary = Summary(name, call.out, read_json(call.out / MANIFEST).get("counts", {}))
        context.log.info(f"{name}: inputs and config unchanged, reusing {call.out}")
    else:
        summary = call.build()
    version = tree_sha256(call.out)
    dvc.commit(dvc_stage(name, partition))
    metadata: dict[str, Any] = {
        "path": dg.MetadataValue.path(str(call.out)),
        "reused": reused,
        "content_hash": version,
        **{f"count/{k}": v for k, v in summary.counts.items() if isinstance(v, int | float)},
    }
    if summary.preview:
        metadata["preview"] = dg.MetadataValue.json(summary.preview)
    return dg.MaterializeResult(
        data_version=dg.DataVersion(version), metadata=metadata, check_results=list(checks(call.out))
    )
