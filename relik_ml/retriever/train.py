"""Train a retriever on windows and write the best model as an HF-style artifact directory."""
from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Callback, EarlyStopping, ModelCheckpoint

from relik_ml.errors import InputError
from relik_ml.io import atomic_directory, write_manifest
from relik_ml.progress import StepProgress
from relik_ml.retriever.callbacks import HardNegativeMiner
from relik_ml.retriever.config import RetrieverTrainConfig
from relik_ml.retriever.configuration import RelikRetrieverConfig
from relik_ml.retriever.data import build_examples
from relik_ml.retriever.datamodule import RetrieverDataModule
from relik_ml.retriever.encoder import Retriever
from relik_ml.retriever.module import RetrieverModule
from relik_ml.types import Passage, Window

ARTIFACT = "retriever"
CHECKPOINTS = "checkpoints"


@dataclass(frozen=True)
class RetrieverTrainSummary:
    """What a training run did and where the best model is."""

    model_dir: Path  # HF-style retriever directory (Retriever.from_pretrained)
    checkpoint_dir: Path  # Lightning checkpoints for resuming (work files, not the artifact)
    steps: int  # optimiser steps taken (global step)
    epochs: int  # epochs completed
    initial_dev_recall: float | None  # dev recall@eval_k before training (None without dev windows)
    best_dev_recall: float | None  # best dev recall@eval_k (None without dev windows)
    monitor: str  # the metric name, e.g. "val/recall@100"
    train_examples: int  # training windows with at least one in-KB gold
    skipped_train_windows: int  # training windows without in-KB gold
    dev_examples: int  # dev windows with at least one in-KB gold
    seconds: float  # wall time of the whole call


def train_retriever(
    train_windows: Sequence[Window],
    dev_windows: Sequence[Window],
    passages: Sequence[Passage],
    retriever_config: RelikRetrieverConfig,
    train_config: RetrieverTrainConfig,
    output_dir: str | Path,
    *,
    loggers: Sequence[Any] = (),
    resume_from: str | Path | None = None,
    accelerator: str = "auto",
    work_dir: str | Path | None = None,
    initial_negatives: Mapping[str, tuple[str, ...]] | None = None,
) -> RetrieverTrainSummary:
    """Fine-tune `retriever_config.backbone` with multi-label NCE and mined hard negatives.

    The best model by dev recall@eval_k (the last one without dev windows) is written atomically
    to `output_dir` with a manifest; `max_steps=0` writes the backbone itself, untrained. Lightning checkpoints live in `work_dir/checkpoints`
    (default: a `.work` sibling of `output_dir`); `resume_from` is one of them, or "last".
    `initial_negatives` (window id -> passage ids, e.g. stale negatives of a `relik_ml.retriever.pool`)
    serve the batches until the first mining round replaces them.
    """
    started = time.monotonic()
    pl.seed_everything(train_config.seed, workers=True)
    output_dir = Path(output_dir)
    checkpoint_dir = Path(work_dir or output_dir.with_name(f"{output_dir.name}.work")) / CHECKPOINTS
    kb_ids = {p.id for p in passages}
    train_examples, skipped = build_examples(train_windows, train_config.task, kb_ids)
    dev_examples, _ = build_examples(dev_windows, train_config.task, kb_ids)
    retriever = Retriever.from_backbone(retriever_config)
    if train_config.max_steps == 0:  # no training data for this stage (e.g. no hyperlink corpus): pass through
        summary = RetrieverTrainSummary(
            output_dir, checkpoint_dir, 0, 0, None, None, train_config.monitor, len(train_examples), skipped,
            len(dev_examples), time.monotonic() - started,
        )
        _write_artifact(retriever, summary, retriever_config, train_config, len(passages))
        return summary
    if not train_examples:
        raise InputError("no training window has a gold passage in the KB", field="train_windows")
    module = RetrieverModule(retriever, train_config, passages)
    data = RetrieverDataModule(retriever, train_examples, dev_examples, passages, train_config)
    kb_negatives = {window: tuple(pid for pid in ids if pid in kb_ids) for window, ids in (initial_negatives or {}).items()}
    data.hard_negatives.update({window: ids for window, ids in kb_negatives.items() if ids})
    checkpoint = _checkpoint_callback(checkpoint_dir, train_config, has_dev=bool(dev_examples))
    trainer = _trainer(train_config, checkpoint, data, bool(dev_examples), loggers, accelerator)
    initial = _validate(trainer, module, data, train_config) if dev_examples and resume_from is None else None
    trainer.fit(module, datamodule=data, ckpt_path=_resume_path(resume_from, checkpoint_dir), weights_only=True)
    best = _keep_best_weights(trainer, module, data, checkpoint, train_config) if dev_examples else None
    summary = RetrieverTrainSummary(
        model_dir=output_dir,
        checkpoint_dir=checkpoint_dir,
        steps=trainer.global_step,
        epochs=trainer.current_epoch,
        initial_dev_recall=initial,
        best_dev_recall=best,
        monitor=train_config.monitor,
        train_examples=len(train_examples),
        skipped_train_windows=skipped,
        dev_examples=len(dev_examples),
        seconds=time.monotonic() - started,
    )
    _write_artifact(retriever, summary, retriever_config, train_config, len(passages))
    return summary


def _checkpoint_callback(directory: Path, config: RetrieverTrainConfig, has_dev: bool) -> ModelCheckpoint:
    """Keep `last.ckpt` for resuming and the best checkpoint by dev recall (when there is a dev set)."""
    if not has_dev:
        return ModelCheckpoint(dirpath=directory, save_last=True, save_top_k=0)
    return ModelCheckpoint(
        dirpath=directory,
        filename="best-{step}",
        monitor=config.monitor,
        mode="max",
        save_top_k=1,
        save_last=True,
        save_on_train_epoch_end=False,
        auto_insert_metric_name=False,
    )


def _trainer(
    config: RetrieverTrainConfig,
    checkpoint: ModelCheckpoint,
    data: RetrieverDataModule,
    has_dev: bool,
    loggers: Sequence[Any],
    accelerator: str,
) -> pl.Trainer:
    miner = HardNegativeMiner(data.train_examples, data.passages, data.hard_negatives, config)
    callbacks: list[Callback] = [checkpoint, miner, StepProgress()]
    if has_dev and config.patience is not None:
        # checked after validations only: a run that ends on max_steps mid-epoch has no epoch-end metric
        callbacks.append(EarlyStopping(monitor=config.monitor, mode="max", patience=config.patience,
                                       check_on_train_epoch_end=False))
    return pl.Trainer(
        accelerator=accelerator,
        devices=1,
        precision=config.precision,
        max_steps=config.max_steps,
        max_epochs=config.max_epochs if config.max_epochs is not None else -1,
        val_check_interval=config.val_every_n_steps,
        check_val_every_n_epoch=None if config.val_every_n_steps else 1,
        limit_val_batches=None if has_dev else 0,
        num_sanity_val_steps=0,
        gradient_clip_val=config.gradient_clip_val,
        log_every_n_steps=config.log_every_n_steps,
        callbacks=callbacks,
        logger=list(loggers) if loggers else False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )


def _validate(
    trainer: pl.Trainer, module: RetrieverModule, data: RetrieverDataModule, config: RetrieverTrainConfig
) -> float:
    """Dev recall@eval_k of the untrained model (also logged, as the curve's starting point)."""
    (metrics,) = trainer.validate(module, datamodule=data, verbose=False)
    return float(metrics[config.monitor])


def _resume_path(resume_from: str | Path | None, checkpoint_dir: Path) -> str | None:
    """A Lightning checkpoint path; "last" means `checkpoint_dir/last.ckpt`."""
    if resume_from is None:
        return None
    return str(checkpoint_dir / "last.ckpt") if str(resume_from) == "last" else str(resume_from)


def _keep_best_weights(
    trainer: pl.Trainer, module: RetrieverModule, data: RetrieverDataModule, checkpoint: ModelCheckpoint,
    config: RetrieverTrainConfig,
) -> float:
    """Leave the module with its best weights by dev recall and return that recall.

    Steps after the last scheduled validation (a run that stops on max_steps between two) are
    validated here, so the final weights compete with the best checkpoint instead of being lost.
    """
    best = None if checkpoint.best_model_score is None else float(checkpoint.best_model_score)
    if module.validated_at_step != trainer.global_step:
        final = _validate(trainer, module, data, config)
        if best is None or final >= best:
            return final
    if checkpoint.best_model_path:  # self-written, loaded as tensors only
        state = torch.load(checkpoint.best_model_path, map_location="cpu", weights_only=True)["state_dict"]
        module.load_state_dict(state)
    return best if best is not None else _validate(trainer, module, data, config)


def _write_artifact(
    retriever: Retriever,
    summary: RetrieverTrainSummary,
    retriever_config: RelikRetrieverConfig,
    train_config: RetrieverTrainConfig,
    kb_size: int,
) -> None:
    with atomic_directory(summary.model_dir) as tmp:
        retriever.save_pretrained(tmp)
        write_manifest(
            tmp,
            artifact=ARTIFACT,
            config={"retriever": retriever.config.to_json(), "train": train_config,
                    "requested": retriever_config.to_json()},
            counts={
                "train_examples": summary.train_examples,
                "skipped_train_windows": summary.skipped_train_windows,
                "dev_examples": summary.dev_examples,
                "passages": kb_size,
                "steps": summary.steps,
            },
            extra={
                "monitor": summary.monitor,
                "initial_dev_recall": summary.initial_dev_recall,
                "best_dev_recall": summary.best_dev_recall,
                "seconds": round(summary.seconds, 1),
            },
        )
