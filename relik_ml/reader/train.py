"""`train_reader`: examples in, an HF-style reader directory (with manifest) out."""
from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from functools import partial
from pathlib import Path

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from relik_ml.errors import InputError
from relik_ml.progress import StepProgress
from relik_ml.reader.artifact import load_reader, save_reader
from relik_ml.reader.configuration import EntqaReaderConfig, RelikReaderConfig
from relik_ml.reader.data import ReaderExample, TokenBudgetSampler, collate, encode_examples
from relik_ml.reader.entqa_train import EntqaReaderModule, entqa_data, initial_entqa_model, tune_and_score
from relik_ml.reader.inputs import ReaderInput, add_reader_tokens
from relik_ml.reader.modeling import RelikReaderModel
from relik_ml.reader.module import RelikReaderModule
from relik_ml.reader.scoring import score_reader, tune_span_thresholds


# On a warm start these come from this run's config, the rest of the reader config from the saved
# reader: the loss weights, the candidate attention (a saved reader can be adapted to "own-text")
# and the words its predicted spans are widened to.
FROM_RUN_CONFIG = ("span_positive_weight", "relation_positive_weight", "candidate_attention", "span_words")


@dataclass(frozen=True)
class ReaderPhase:
    """One phase of a phased run: it continues from the weights the previous phase kept, with a fresh
    schedule; a key left None keeps the run's value (`ReaderTrainConfig`)."""

    max_steps: int  # optimisation steps of this phase
    learning_rate: float | None = None  # encoder learning rate
    head_learning_rate: float | None = None  # heads learning rate
    warmup_steps: int | None = None  # linear warmup, then linear decay to 0 at this phase's max_steps
    val_check_interval: int | None = None  # training batches between dev evaluations
    monitor: str | None = None  # dev metric that selects the weights this phase keeps


PHASE_KEYS = tuple(f.name for f in fields(ReaderPhase))


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
    # phases run one after the other in one run, each from the weights the previous one kept (ReaderPhase
    # keys: max_steps and any of learning_rate, head_learning_rate, warmup_steps, val_check_interval,
    # monitor); () = one phase with the keys above. With phases, max_steps is their sum and is not stated.
    phases: tuple[ReaderPhase, ...] = ()

    def __post_init__(self) -> None:
        phases = tuple(_phase(p, n) for n, p in enumerate(self.phases))
        object.__setattr__(self, "phases", phases)
        if phases:
            object.__setattr__(self, "max_steps", sum(p.max_steps for p in phases))

    def phase_configs(self) -> list[ReaderTrainConfig]:
        """The run as its phases, each a whole config (no phases of its own)."""
        if not self.phases:
            return [self]
        return [replace(self, phases=(), **{k: v for k, v in asdict(p).items() if v is not None}) for p in self.phases]


def _phase(phase: ReaderPhase | dict, number: int) -> ReaderPhase:
    if isinstance(phase, ReaderPhase):
        return phase
    if not isinstance(phase, dict) or "max_steps" not in phase:
        raise InputError("a phase is a mapping with max_steps", field=f"phases[{number}]")
    unknown = sorted(set(phase) - set(PHASE_KEYS))
    if unknown:
        raise InputError(f"unknown keys {unknown}; expected some of {sorted(PHASE_KEYS)}", field=f"phases[{number}]")
    if int(phase["max_steps"]) < 1:
        raise InputError("max_steps must be at least 1", field=f"phases[{number}].max_steps")
    return ReaderPhase(**phase)


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


class _LogStepOffset(pl.Callback):
    """A later phase logs its steps after the earlier phases' (a tracker drops steps that go back)."""

    def __init__(self, offset: int) -> None:
        self.offset = offset

    def on_train_start(self, trainer: pl.Trainer, pl_module: RelikReaderModule) -> None:
        trainer.fit_loop.epoch_loop._batches_that_stepped = self.offset


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
    tokenizer and reader config: the run continues with a fresh schedule. `train_config.phases` run one
    after the other, each from the weights the previous one kept; the span thresholds are tuned once,
    after the last. An `architecture: entqa` config trains EntQA's reader (`_train_entqa`)."""
    if reader_config.architecture == "entqa":
        return _train_entqa(train_examples, dev_examples, reader_config, train_config, output_dir, loggers)
    began = time.time()
    pl.seed_everything(train_config.seed, workers=True)
    model, tokenizer = _initial_model(reader_config, train_config)
    train_inputs = encode_examples(train_examples, tokenizer, model.config, with_labels=True)
    dev_inputs = encode_examples(dev_examples, tokenizer, model.config, with_labels=True)
    train_loader = _loader(train_inputs, tokenizer.pad_token_id, train_config, shuffle=True)
    dev_loader = _loader(dev_inputs, tokenizer.pad_token_id, train_config, shuffle=False) if dev_inputs else None
    steps, best, phases = 0, None, []
    for phase in train_config.phase_configs():
        phase_steps, best = _fit(model, phase, train_loader, dev_loader, loggers, log_offset=steps)
        steps += phase_steps
        phases.append({"steps": phase_steps, "best_metric": best, "monitor": phase.monitor})
    thresholds: dict[str, float] = {}
    if dev_loader is not None and train_config.tune_thresholds:
        choice = tune_span_thresholds(model, dev_loader)
        model.config.start_threshold, model.config.end_threshold = choice.start_threshold, choice.end_threshold
        thresholds = choice.to_json()
    dev_scores = score_reader(model, dev_loader) if dev_loader is not None else {}
    summary = ReaderTrainSummary(
        output_dir=Path(output_dir),
        steps=steps,
        train_windows=len(train_inputs),
        dev_windows=len(dev_inputs),
        best_metric=best,
        dev_scores=dev_scores,
        seconds=time.time() - began,
        thresholds=thresholds,
    )
    save_reader(
        model.cpu(), tokenizer, output_dir,
        config={"reader": model.config.to_diff_dict(), "train": asdict(train_config)},
        counts={"train_windows": len(train_inputs), "dev_windows": len(dev_inputs), "steps": steps},
        extra={"dev_scores": dev_scores, "best_metric": best, "monitor": train_config.phase_configs()[-1].monitor,
               "span_thresholds": thresholds, **({"phases": phases} if train_config.phases else {})},
    )
    return summary


def _train_entqa(
    train_examples: Sequence[ReaderExample],
    dev_examples: Sequence[ReaderExample],
    reader_config: EntqaReaderConfig,
    train_config: ReaderTrainConfig,
    output_dir: str | Path,
    loggers: Sequence[pl.loggers.Logger],
) -> ReaderTrainSummary:
    """`train_reader` for EntQA's reader (`entqa_train`): same phases, selection and directory; the
    dev tuning sets γ (`rerank_threshold`) instead of the span thresholds."""
    began = time.time()
    pl.seed_everything(train_config.seed, workers=True)
    model, tokenizer = initial_entqa_model(
        reader_config, train_config.backbone_path, train_config.init_from, FROM_RUN_CONFIG)
    data = entqa_data(train_examples, dev_examples, model, tokenizer, train_config.token_batch_size, train_config.seed)
    steps, best, phases = 0, None, []
    for phase in train_config.phase_configs():
        phase_steps, best = _fit(model, phase, data.train_loader, data.dev_loader, loggers, log_offset=steps,
                                 system=EntqaReaderModule)
        steps += phase_steps
        phases.append({"steps": phase_steps, "best_metric": best, "monitor": phase.monitor})
    thresholds, dev_scores = tune_and_score(model, tokenizer, data.dev_inputs, tune=train_config.tune_thresholds,
                                            token_batch_size=train_config.token_batch_size)
    counts = {"train_windows": len(data.train_inputs), "dev_windows": len(data.dev_inputs), "steps": steps,
              "train_pairs": sum(len(i.pairs) for i in data.train_inputs)}
    config = {"reader": model.config.to_diff_dict(), "train": asdict(train_config)}
    save_reader(
        model.cpu(), tokenizer, output_dir, config=config, counts=counts,
        extra={"dev_scores": dev_scores, "best_metric": best, "monitor": train_config.phase_configs()[-1].monitor,
               "rerank_threshold": thresholds, **({"phases": phases} if train_config.phases else {})},
    )
    return ReaderTrainSummary(Path(output_dir), steps, len(data.train_inputs), len(data.dev_inputs), best, dev_scores,
                              time.time() - began, thresholds)


def _fit(
    model: RelikReaderModel, cfg: ReaderTrainConfig, train_loader: DataLoader, dev_loader: DataLoader | None, loggers,
    *, log_offset: int = 0, system: type[RelikReaderModule] = RelikReaderModule,
) -> tuple[int, float | None]:
    """One phase: `cfg.max_steps` steps on a fresh schedule; the model keeps the best weights by
    `cfg.monitor` (the last ones when the phase ran no dev evaluation). Returns (steps, best value).
    `system` is the Lightning module class (`EntqaReaderModule` for EntQA's reader)."""
    module = system(
        model,
        learning_rate=cfg.learning_rate,
        weight_decay=cfg.weight_decay,
        warmup_steps=cfg.warmup_steps,
        total_steps=cfg.max_steps,
        layer_lr_decay=cfg.layer_lr_decay,
        head_learning_rate=cfg.head_learning_rate,
    )
    keep_best = _KeepBest(cfg.monitor)
    trainer = _trainer(cfg, loggers, [keep_best, _LogStepOffset(log_offset)], has_dev=dev_loader is not None)
    trainer.fit(module, train_loader, dev_loader)
    if keep_best.state is not None:
        model.load_state_dict(keep_best.state)
    return trainer.global_step, keep_best.best


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


def _trainer(cfg: ReaderTrainConfig, loggers, callbacks: list[pl.Callback], *, has_dev: bool) -> pl.Trainer:
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
        callbacks=[*callbacks, StepProgress()],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        log_every_n_steps=1,
        deterministic=False,
    )
