"""`train_reader`: examples in, an HF-style reader directory (with manifest) out."""
from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from relik_ml.progress import StepProgress
from relik_ml.reader.artifact import load_reader, save_reader
from relik_ml.reader.configuration import RelikReaderConfig
from relik_ml.reader.data import ReaderExample, TokenBudgetSampler, collate, encode_examples
from relik_ml.reader.inputs import ReaderInput, add_reader_tokens
from relik_ml.reader.modeling import RelikReaderModel
from relik_ml.reader.module import RelikReaderModule
from relik_ml.reader.scoring import score_reader, tune_span_thresholds


# On a warm start these come from this run's config, the rest of the reader config from the saved
# reader: the loss weights, the candidate attention (a saved reader can be adapted to "own-text")
# and the words its predicted spans are widened to.
FROM_RUN_CONFIG = ("span_positive_weight", "relation_positive_weight", "candidate_attention", "span_words")


@dataclass(frozen=True)
class ReaderTrainConfig:
    """Training hyper-parameters (defaults: ReLiK Table 4, AIDA column)."""

    backbone_path: str  # local HF directory with the encoder weights and its tokenizer
    learning_rate: float = 1e-5  # AdamW learning rate of the encoder (top layer)
    head_learning_rate: float | None = None  # lr of the randomly initialised heads; None = learning_rate
    weight_decay: float = 0.01  # AdamW weight decay (not on biases / norms)
    layer_lr_decay: float | None = 0.9  # layer-wise lr decay; None turns it off
    max_steps: int = 50_000  # optimisation steps
    warmup_steps: int = 5_000  # linear warmup, then linear decay to 0 at max_steps
    token_batch_size: int = 2048  # padded tokens per batch (length-sorted buckets)
    val_check_interval: int = 1_000  # training batches between dev evaluations (across epochs)
    monitor: str = "val/span_f1"  # dev metric that selects the saved weights (higher is better; RE / cIE: val/triplet_f1_tuned)
    gradient_clip_val: float = 1.0  # gradient norm clipping
    precision: str = "32-true"  # Lightning precision ("bf16-mixed" on a GPU)
    accelerator: str = "auto"  # Lightning accelerator
    seed: int = 0  # seeds batching, dropout and head initialisation
    tune_thresholds: bool = True  # after training, set start/end thresholds to the best dev span F1 pair
    init_from: str | None = None  # a saved reader directory to continue from (its weights, tokenizer, config)


@dataclass(frozen=True)
class ReaderTrainSummary:
    """What `train_reader` produced."""

    output_dir: Path
    steps: int
    train_windows: int
    dev_windows: int
    best_metric: float | None
    dev_scores: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    thresholds: dict[str, float] = field(default_factory=dict)  # the dev tuning (empty when not tuned)


class _KeepBest(pl.Callback):
    """Keeps a CPU copy of the weights at the best value of `monitor` (higher is better)."""

    def __init__(self, monitor: str) -> None:
        self.monitor = monitor
        self.best: float | None = None
        self.state: dict[str, torch.Tensor] | None = None

    def on_validation_end(self, trainer: pl.Trainer, pl_module: RelikReaderModule) -> None:
        value = trainer.callback_metrics.get(self.monitor)
        if value is not None and (self.best is None or float(value) > self.best):
            self.best = float(value)
            self.state = {k: v.detach().cpu().clone() for k, v in pl_module.model.state_dict().items()}


def train_reader(
    train_examples: Sequence[ReaderExample],
    dev_examples: Sequence[ReaderExample],
    reader_config: RelikReaderConfig,
    train_config: ReaderTrainConfig,
    output_dir: str | Path,
    *,
    loggers: Sequence[pl.loggers.Logger] = (),
) -> ReaderTrainSummary:
    """Fine-tune the reader; `train_config.init_from`, a saved reader directory, warm-starts weights,
    tokenizer and reader config: the run continues with a fresh schedule."""
    began = time.time()
    pl.seed_everything(train_config.seed, workers=True)
    model, tokenizer = _initial_model(reader_config, train_config)
    train_inputs = encode_examples(train_examples, tokenizer, model.config, with_labels=True)
    dev_inputs = encode_examples(dev_examples, tokenizer, model.config, with_labels=True)
    module = RelikReaderModule(
        model,
        learning_rate=train_config.learning_rate,
        weight_decay=train_config.weight_decay,
        warmup_steps=train_config.warmup_steps,
        total_steps=train_config.max_steps,
        layer_lr_decay=train_config.layer_lr_decay,
        head_learning_rate=train_config.head_learning_rate,
    )
    keep_best = _KeepBest(train_config.monitor)
    train_loader = _loader(train_inputs, tokenizer.pad_token_id, train_config, shuffle=True)
    dev_loader = _loader(dev_inputs, tokenizer.pad_token_id, train_config, shuffle=False) if dev_inputs else None
    trainer = _trainer(train_config, loggers, keep_best, has_dev=dev_loader is not None)
    trainer.fit(module, train_loader, dev_loader)
    if keep_best.state is not None:
        model.load_state_dict(keep_best.state)
    thresholds: dict[str, float] = {}
    if dev_loader is not None and train_config.tune_thresholds:
        choice = tune_span_thresholds(model, dev_loader)
        model.config.start_threshold, model.config.end_threshold = choice.start_threshold, choice.end_threshold
        thresholds = choice.to_json()
    dev_scores = score_reader(model, dev_loader) if dev_loader is not None else {}
    summary = ReaderTrainSummary(
        output_dir=Path(output_dir),
        steps=trainer.global_step,
        train_windows=len(train_inputs),
        dev_windows=len(dev_inputs),
        best_metric=keep_best.best,
        dev_scores=dev_scores,
        seconds=time.time() - began,
        thresholds=thresholds,
    )
    save_reader(
        model.cpu(), tokenizer, output_dir,
        config={"reader": model.config.to_diff_dict(), "train": asdict(train_config)},
        counts={"train_windows": len(train_inputs), "dev_windows": len(dev_inputs), "steps": trainer.global_step},
        extra={"dev_scores": dev_scores, "best_metric": keep_best.best, "monitor": train_config.monitor,
               "span_thresholds": thresholds},
    )
    return summary


def _initial_model(
    reader_config: RelikReaderConfig, train_config: ReaderTrainConfig
) -> tuple[RelikReaderModel, PreTrainedTokenizerBase]:
    """A saved reader (warm start) or the backbone with fresh heads and the <ST*> tokens added."""
    if train_config.init_from is not None:
        model, tokenizer = load_reader(train_config.init_from)
        for name in FROM_RUN_CONFIG:
            setattr(model.config, name, getattr(reader_config, name))
        model.check_candidate_attention()
        return model.train(), tokenizer  # loaded for inference (eval mode): dropout back on
    tokenizer = AutoTokenizer.from_pretrained(train_config.backbone_path, local_files_only=True)
    config = copy.deepcopy(reader_config)
    vocab_size = add_reader_tokens(tokenizer, config)
    return RelikReaderModel.from_backbone(train_config.backbone_path, config, vocab_size=vocab_size), tokenizer


def _loader(inputs: Sequence[ReaderInput], pad_token_id: int, cfg: ReaderTrainConfig, *, shuffle: bool) -> DataLoader:
    lengths = [len(i.input_ids) for i in inputs]
    sampler = TokenBudgetSampler(lengths, cfg.token_batch_size, shuffle=shuffle, seed=cfg.seed)
    collate_fn = partial(collate, pad_token_id=pad_token_id, with_labels=True)
    return DataLoader(list(inputs), batch_sampler=sampler, collate_fn=collate_fn)


def _trainer(cfg: ReaderTrainConfig, loggers, keep_best: _KeepBest, *, has_dev: bool) -> pl.Trainer:
    return pl.Trainer(
        max_steps=cfg.max_steps,
        max_epochs=-1,
        accelerator=cfg.accelerator,
        devices=1,
        precision=cfg.precision,
        gradient_clip_val=cfg.gradient_clip_val,
        val_check_interval=cfg.val_check_interval,
        check_val_every_n_epoch=None,
        limit_val_batches=1.0 if has_dev else 0,
        num_sanity_val_steps=0,
        logger=list(loggers) or False,
        callbacks=[keep_best, StepProgress()],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        log_every_n_steps=1,
        deterministic=False,
    )
