"""Skip unchanged work: a stamp per artifact records the config and input hashes that built it.

`<data_root>/.stamps/<artifact>[@partition].json` holds the fingerprint (config + input content
hashes), the output's content hash, and the summary counts. A stage is up to date when both the
fingerprint and the output still match, so a tampered or restored output is rebuilt too.

`<data_root>/.checks/<artifact>[@partition].json` records that an artifact's content (its hash) passed
its blocking data checks (`relik_ml.stages.data_checks`), so unchanged content is not checked again,
however many downstream stages read it.
"""
from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from relik_ml.config import Params
from relik_ml.io import MANIFEST, read_json, tree_sha256, write_json
from relik_ml.pipeline import Summary
from relik_ml.stages.core import StageCall
from relik_ml.stages.data_checks import check_artifact, checked_upstream, suites

STAMPS = ".stamps"
CHECKS = ".checks"


def _normalised(config: Any) -> Any:
    if is_dataclass(config) and not isinstance(config, type):
        config = asdict(config)
    return json.loads(json.dumps(config or {}, default=lambda o: asdict(o) if is_dataclass(o) else str(o)))


def _file_name(call: StageCall) -> str:
    return call.artifact.replace("/", "__") + (f"@{call.partition}" if call.partition else "") + ".json"


def stamp_path(call: StageCall, params: Params) -> Path:
    return params.data_root / STAMPS / _file_name(call)


def check_record_path(call: StageCall, params: Params) -> Path:
    return params.data_root / CHECKS / _file_name(call)


def fingerprint(call: StageCall) -> dict[str, Any]:
    inputs = {name: tree_sha256(p) for name, p in call.inputs.items() if Path(p).exists()}
    return {"config": _normalised(call.config), "inputs": inputs}


def up_to_date(call: StageCall, params: Params) -> bool:
    """True when the artifact is exactly what this config and these input contents produced last time."""
    stamp = stamp_path(call, params)
    if not stamp.exists() or not (call.out / MANIFEST).exists():
        return False
    recorded = read_json(stamp)
    return recorded.get("fingerprint") == fingerprint(call) and recorded.get("output") == tree_sha256(call.out)


def record(call: StageCall, params: Params, summary: Summary, version: str | None = None) -> str:
    """Stamp a freshly built artifact; returns its content hash (the data version), `version` when
    the caller has just computed it."""
    version = version or tree_sha256(call.out)
    stamp = stamp_path(call, params)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    write_json(stamp, {"fingerprint": fingerprint(call), "output": version,
                       "counts": summary.counts, "extra": _normalised(summary.extra)})
    return version


def ensure_checked(call: StageCall, params: Params, blocked: StageCall | None = None,
                   content: str | None = None) -> None:
    """Run the artifact's blocking suites unless its present content already passed them (then recorded);
    a failure raises `DataCheckError`, naming `blocked` when the artifact is upstream of the stage run.
    `content` is the artifact's content hash when the caller already has it (else it is computed)."""
    needed = list(suites(call.artifact))
    if not needed:
        return
    content, path = content or tree_sha256(call.out), check_record_path(call, params)
    if path.exists() and read_json(path) == {"output": content, "suites": needed}:
        return
    check_artifact(call, blocked)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, {"output": content, "suites": needed})


def run_memoized(call: StageCall, params: Params) -> tuple[Summary, str, bool]:
    """Build the artifact unless up to date: (summary, content hash, reused).

    Blocking data checks come first and last: each built upstream artifact with suites (the stage's
    dependencies in the Dagster and DVC graphs) must pass them, and so must this artifact before it
    is stamped. A failure raises `DataCheckError` (an `InputError`) before anything downstream runs;
    a failing artifact of this stage stays unstamped (under DVC: uncommitted), so it is rebuilt next.
    """
    for upstream in checked_upstream(call, params):
        ensure_checked(upstream, params, blocked=call)
    if up_to_date(call, params):
        stamp = read_json(stamp_path(call, params))  # its "output" is the content hash up_to_date verified
        # stamped before its checks existed, or by an older version: checked now
        ensure_checked(call, params, content=stamp["output"])
        summary = Summary(call.artifact, call.out, stamp.get("counts", {}), extra=stamp.get("extra", {}))
        return summary, stamp["output"], True
    summary = call.build()
    version = tree_sha256(call.out)  # hashed once for the check record and the stamp
    ensure_checked(call, params, content=version)
    return summary, record(call, params, summary, version), False
