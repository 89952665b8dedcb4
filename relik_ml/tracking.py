"""Experiment tracking for training stages: Lightning loggers built from a small typed config.

W&B runs offline by default (`./wandb/offline-run-*`, no network). This module never imports
wandb itself; Lightning's `WandbLogger` does, only when tracking is enabled.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TrackingConfig:
    enabled: bool = True  # create a W&B run for each training step
    mode: str = "offline"  # "offline" (default, no network), "online" or "disabled"
    project: str = "relik-pipeline"  # W&B project name
    directory: str = "wandb"  # where W&B writes its run folders (relative to the project root)


@dataclass(frozen=True)
class TrackedRun:
    """The loggers to hand to a Trainer, plus what to record in the artifact metadata."""

    loggers: tuple[Any, ...]
    run_id: str | None
    run_dir: str | None

    def log_model(self, directory: Path, name: str) -> None:
        """Record the trained model directory as a W&B model artifact (stored locally when offline)."""
        for logger in self.loggers:
            logger.experiment.log_artifact(str(directory), name=name.replace("/", "-"), type="model")

    def finish(self) -> None:
        for logger in self.loggers:
            experiment = getattr(logger, "experiment", None)
            if experiment is not None and hasattr(experiment, "finish"):
                experiment.finish()


def start_run(config: TrackingConfig, name: str, root: Path, params: dict[str, Any] | None = None) -> TrackedRun:
    """Open a W&B run (through Lightning's WandbLogger) named after the stage."""
    if not config.enabled or config.mode == "disabled":
        return TrackedRun((), None, None)
    from pytorch_lightning.loggers import WandbLogger

    directory = root / config.directory
    directory.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("WANDB_SILENT", "true")
    logger = WandbLogger(
        project=config.project, name=name, save_dir=str(root), offline=config.mode == "offline",
        config=params or {}, log_model=config.mode == "online", job_type=name,
    )
    experiment = logger.experiment
    return TrackedRun((logger,), experiment.id, str(Path(experiment.dir).parent))
