"""Resources: the project's params, DVC, and the compute device."""
from __future__ import annotations

import os
import subprocess
import sys

import dagster as dg

from relik_ml.config import Params, load_params


class ProjectResource(dg.ConfigurableResource):
    """Where `params.yaml` lives; every asset reads its typed config from it."""

    params_path: str = "params.yaml"

    def load(self) -> Params:
        return load_params(self.params_path)


class DvcResource(dg.ConfigurableResource):
    """Records each materialised artifact in `dvc.lock` (`dvc commit`), so `dvc status` agrees."""

    enabled: bool = True
    repo: str = "."

    def commit(self, stage: str) -> None:
        if not self.enabled:
            return
        env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
        result = subprocess.run(
            [sys.executable, "-m", "dvc", "commit", "--force", "--quiet", stage],
            cwd=self.repo, env=env, capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"dvc commit {stage} failed: {result.stderr.strip() or result.stdout.strip()}")


class DeviceResource(dg.ConfigurableResource):
    """Compute device for training and embedding: "auto" picks CUDA when present."""

    device: str = "auto"
    precision: str = "32-true"

    def accelerator(self) -> str:
        if self.device != "auto":
            return self.device
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
