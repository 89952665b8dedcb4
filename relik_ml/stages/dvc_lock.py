"""Keep `dvc.lock` in step with what `relik-ml build` builds, so `dvc status` agrees with the stamps.

The DVC pipeline (`dvc.yaml`) reads the project's `params.yaml`; a build from that file in a DVC
repository records each stage it built with `dvc commit` (DVC's own command, run as a process:
the library does not import DVC), as the Dagster assets do through their DVC resource.
"""
from __future__ import annotations

import os
import subprocess
import sys

from relik_ml.config import Params


def tracked_by_dvc(params: Params) -> bool:
    """True for the project's own params.yaml in a DVC repository (the file dvc.yaml is rendered from)."""
    root = params.root
    return params.source == root / "params.yaml" and (root / ".dvc").is_dir() and (root / "dvc.yaml").is_file()


def dvc_stage(name: str, partition: str | None) -> str:
    """The DVC stage of an artifact (partitions are `foreach` items: `name@partition`)."""
    return f"{name}@{partition}" if partition else name


def commit(params: Params, name: str, partition: str | None) -> None:
    """Record a freshly built stage in dvc.lock (its deps, params and outs as they are now)."""
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    result = subprocess.run([sys.executable, "-m", "dvc", "commit", "--force", "--quiet", dvc_stage(name, partition)],
                            cwd=params.root, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"dvc commit {dvc_stage(name, partition)} failed: "
                           f"{result.stderr.strip() or result.stdout.strip()}")
