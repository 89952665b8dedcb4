"""Progress of the long steps (training, embedding), reported to whoever listens.

The library reports and never draws: `make demo` listens and draws a bar; with no listener a report
costs one function call. A listener gets `(done, total, unit)`, e.g. `(120, 300, "steps")`.
"""
from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytorch_lightning as pl

Listener = Callable[[int, int, str], None]

_listeners: list[Listener] = []


@contextlib.contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Send every report made inside the block to `listener` too."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def report(done: int, total: int, unit: str) -> None:
    """`done` of `total` units of the running step are finished (total 0: not known)."""
    for listener in tuple(_listeners):
        listener(done, total, unit)


class StepProgress(pl.Callback):
    """Reports the optimizer steps done (of the run's total) after every training batch."""

    def __init__(self) -> None:
        self.total = 0

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        steps = trainer.max_steps if trainer.max_steps > 0 else trainer.estimated_stepping_batches
        self.total = int(steps) if math.isfinite(steps) else 0

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        report(trainer.global_step, self.total, "steps")
