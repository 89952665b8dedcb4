from __future__ import annotations

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from relik_ml import progress
from relik_ml.progress import StepProgress


class Line(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Linear(1, 1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.mse_loss(self.weight(x), y)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def train(callbacks: list[pl.Callback], **limits) -> None:
    data = DataLoader(TensorDataset(torch.ones(8, 1), torch.ones(8, 1)), batch_size=2)
    trainer = pl.Trainer(accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, callbacks=callbacks, **limits)
    trainer.fit(Line(), data)


def test_training_reports_each_step_of_max_steps() -> None:
    reports: list[tuple[int, int, str]] = []
    with progress.listening(lambda *report: reports.append(report)):
        train([StepProgress()], max_steps=3)
    assert reports == [(1, 3, "steps"), (2, 3, "steps"), (3, 3, "steps")]


def test_without_max_steps_the_total_is_the_epochs_batches() -> None:
    reports: list[tuple[int, int, str]] = []
    with progress.listening(lambda *report: reports.append(report)):
        train([StepProgress()], max_epochs=2)
    assert reports == [(step, 8, "steps") for step in range(1, 9)]


def test_nobody_listens_after_the_block() -> None:
    reports: list[tuple[int, int, str]] = []
    with progress.listening(lambda *report: reports.append(report)):
        progress.report(1, 2, "passages")
    progress.report(2, 2, "passages")
    assert reports == [(1, 2, "passages")]
