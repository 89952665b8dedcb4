"""The composition root: the whole system in one place.

raw inputs -> KB texts (kb) -> windows (windows) -> retrieval -> reading -> evaluation,
with resources for params, DVC and the compute device. `defs` is what `dagster dev` and
`dagster definitions validate` load; `build_definitions` lets tests point it at their own params.
"""
from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from relik_ml.config import load_params

from relik_assets.assets.backbones import backbones
from relik_assets.assets.kb import build_kb_assets
from relik_assets.assets.raw import build_raw_assets
from relik_assets.assets.windows import build_window_assets
from relik_assets.partitions import build_layout
from relik_assets.resources import DeviceResource, DvcResource, ProjectResource

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PARAMS = PROJECT_ROOT / "params.yaml"


def build_definitions(params_path: str | Path = DEFAULT_PARAMS, *, dvc_enabled: bool = True) -> dg.Definitions:
    """All assets, checks, jobs and resources for the params file at `params_path`."""
    params = load_params(params_path)
    layout = build_layout(params)
    assets = [
        *build_raw_assets(layout),
        *build_kb_assets(layout),
        *build_window_assets(layout),
        backbones,
    ]
    return dg.Definitions(
        assets=assets,
        resources={
            "project": ProjectResource(params_path=str(Path(params_path).resolve())),
            "dvc": DvcResource(enabled=dvc_enabled, repo=str(params.root)),
            "device": DeviceResource(),
        },
    )


defs = build_definitions(
    os.environ.get("RELIK_PARAMS", DEFAULT_PARAMS),
    dvc_enabled=os.environ.get("RELIK_DVC", "1") != "0",
)
