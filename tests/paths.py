"""Paths shared by tests, and a params.yaml copy that writes into a temporary data root."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from relik_ml.config import _merge

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SHARED_DATA = ROOT.parent / "shared" / "data"


def _absolute(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("data/"):
        return str(ROOT / value)
    if isinstance(value, list):
        return [_absolute(v) for v in value]
    if isinstance(value, dict):
        return {k: _absolute(v) for k, v in value.items()}
    return value


def temp_params(directory: Path, overrides: dict[str, Any] | None = None) -> Path:
    """Write `directory/params.yaml`: the project's params, raw paths absolute, data under `directory`."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["raw"] = _absolute(params["raw"])
    params["paths"] = {"data_root": str(directory / "data")}
    params["tracking"] = {**params.get("tracking", {}), "directory": "wandb"}
    path = directory / "params.yaml"
    path.write_text(yaml.safe_dump(_merge(params, overrides or {})))
    return path
