"""Skip unchanged work: a stamp per artifact records the config and input hashes that built it.

`<data_root>/.stamps/<artifact>[@partition].json` holds the fingerprint (config + input content
hashes), the output's content hash, the summary counts, and the blocking data checks the output
passed (`relik_ml.stages.data_checks`). A stage is up to date when both the fingerprint and the output
still match, so a tampered or restored output is rebuilt too.
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


def _normalised(config: Any) -> Any:
    if is_dataclass(config) and not isinstance(config, type):
        config = asdict(config)
    return json.loads(json.dumps(config or {}, default=lambda o: asdict(o) if is_dataclass(o) else str(o)))


def stamp_path(call: StageCall, params: Params) -> Path:
    name = call.artifact.replace("/", "__") + (f"@{call.partition}" if call.partition else "")
    return params.data_root / STAMPS / f"{name}.json"


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


def record(call: StageCall, params: Params, summary: Summary, checks: tuple[str, ...] = ()) -> str:
    """Stamp a freshly built artifact that passed the blocking suites `checks`; returns its content hash
    (the data version)."""
    version = tree_sha256(call.out)
    stamp = stamp_path(call, params)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    write_json(stamp, {"fingerprint": fingerprint(call), "output": version, "checks": list(checks),
                       "counts": summary.counts, "extra": _normalised(summary.extra)})
    return version


def checked(call: StageCall, params: Params) -> bool:
    """True when the artifact's stamp vouches for its present content and lists all its blocking suites."""
    stamp = stamp_path(call, params)
    if not stamp.exists():
        return False
    recorded = read_json(stamp)
    return recorded.get("checks", []) == list(suites(call.artifact)) and recorded.get("output") == tree_sha256(call.out)


def run_memoized(call: StageCall, params: Params) -> tuple[Summary, str, bool]:
    """Build the artifact unless up to date: (summary, content hash, reused).

    Blocking data checks come first and last: each upstream artifact with suites must pass them (read
    again only when its stamp does not vouch for it), and so must the artifact before it is stamped. A
    failure raises `DataCheckError` (an `InputError`): nothing downstream runs, and a failing artifact of
    this stage stays unstamped (DVC: uncommitted), so the next run rebuilds it.
    """
    for upstream in checked_upstream(call, params):
        if not checked(upstream, params):
            check_artifact(upstream, blocked=call)
    if up_to_date(call, params):
        stamp = read_json(stamp_path(call, params))
        summary = Summary(call.artifact, call.out, stamp.get("counts", {}), extra=stamp.get("extra", {}))
        if stamp.get("checks", []) != list(suites(call.artifact)):  # stamped before its suites were run
            return summary, record(call, params, summary, check_artifact(call)), True
        return summary, stamp["output"], True
    summary = call.build()
    return summary, record(call, params, summary, check_artifact(call)), False
