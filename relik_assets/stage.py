"""Run one stage for an asset: skip when unchanged, report the content hash, record it in DVC."""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from relik_ml.config import Params
from relik_ml.io import MANIFEST, read_json, tree_sha256, write_json
from relik_ml.pipeline import Summary
from relik_ml.stages import StageCall, stage_call

from relik_assets.resources import DvcResource

STAMPS = ".stamps"  # <data_root>/.stamps/<artifact>.json: config + input hashes of the last build
CheckFn = Callable[[Path], Sequence[dg.AssetCheckResult]]


def _normalised(config: Any) -> Any:
    return json.loads(json.dumps(asdict(config) if is_dataclass(config) else (config or {})))


def _stamp_path(call: StageCall, params: Params) -> Path:
    name = call.artifact.replace("/", "__") + (f"@{call.partition}" if call.partition else "")
    return params.data_root / STAMPS / f"{name}.json"


def _fingerprint(call: StageCall) -> dict[str, Any]:
    inputs = {name: tree_sha256(p) for name, p in call.inputs.items() if Path(p).exists()}
    return {"config": _normalised(call.config), "inputs": inputs}


def up_to_date(call: StageCall, params: Params) -> bool:
    """True when the artifact is exactly what this config and these input contents produced last time."""
    stamp = _stamp_path(call, params)
    if not stamp.exists() or not (call.out / MANIFEST).exists():
        return False
    recorded = read_json(stamp)
    return recorded.get("fingerprint") == _fingerprint(call) and recorded.get("output") == tree_sha256(call.out)


def _record(call: StageCall, params: Params, version: str, summary: Summary) -> None:
    stamp = _stamp_path(call, params)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    write_json(stamp, {"fingerprint": _fingerprint(call), "output": version,
                       "counts": summary.counts, "extra": summary.extra})


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
    reused = up_to_date(call, params)
    if reused:
        stamp = read_json(_stamp_path(call, params))
        summary = Summary(name, call.out, stamp.get("counts", {}), extra=stamp.get("extra", {}))
        context.log.info(f"{name}: inputs and config unchanged, reusing {call.out}")
    else:
        summary = call.build()
    version = tree_sha256(call.out)
    _record(call, params, version, summary)
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
