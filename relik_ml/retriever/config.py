"""Typed configuration of the retriever's training (defaults: ReLiK Table 3)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from relik_ml.retriever.configuration import RelikRetrieverConfig

# The model config is `RelikRetrieverConfig` (configuration.py); params sections and the stage
# factory name it `RetrieverConfig`.
RetrieverConfig = RelikRetrieverConfig

MiningMode = Literal["fraction", "epoch"]
Task = Literal["el", "re"]


@dataclass(frozen=True)
class RetrieverTrainConfig:
    """Optimisation, batching, hard-negative mining and model selection of the retriever."""

    task: Task = "el"  # gold passages: "el" = window span labels, "re" = window triplet relations
    learning_rate: float = 1e-5  # RAdam learning rate (Table 3)
    weight_decay: float = 0.01  # decoupled weight decay, not applied to biases and LayerNorms (Table 3)
    warmup_steps: int = 0  # linear warm-up steps before the linear decay to 0
    batch_size: int = 64  # windows per batch ("query batch size", Table 3)
    passages_per_batch: int = 400  # passage batch: golds, then hard negatives, then random fill up to this (Table 3)
    max_steps: int = 5000  # optimiser steps (Table 3: 110,000 BLINK pretraining, 5,000 EL, 40,000 RE); 0 = no training
    max_epochs: int | None = None  # stop after this many epochs too; None = bounded by max_steps only
    hard_negatives_per_window: int = 15  # at most this many mined incorrect passages per window (§4.1.4)
    mining_probability: float = 1.0  # chance that a window receives mined negatives (Table 3: 0.2 BLINK, 1.0 EL/RE)
    mining_mode: MiningMode = "epoch"  # "epoch": mine after each epoch (fine-tuning); "fraction": every fraction
    mine_every_fraction: float = 0.1  # with mining_mode="fraction": mine every this fraction of an epoch (BLINK)
    eval_k: int = 100  # dev recall@k that selects the best model (capped by the KB size)
    val_every_n_steps: int | None = None  # validate every n steps; None = at each epoch end
    patience: int | None = 5  # early stopping in validations without dev improvement; None = off (Table 3)
    encode_batch_size: int = 128  # batch size when embedding the KB for mining and validation
    num_workers: int = 0  # DataLoader workers
    seed: int = 42  # seeds Python, NumPy and torch (model init, shuffling, mining draws)
    log_every_n_steps: int = 1  # how often logged step metrics (train/loss) reach the loggers
    precision: str = "32-true"  # Lightning precision, e.g. "16-mixed" or "bf16-mixed" on GPUs
    gradient_clip_val: float | None = 1.0  # clip the gradient norm; None = no clipping
    # 0 = train, mine and validate against the whole KB. N = against a pool of about N passages: every
    # gold of the train and dev windows plus a seeded sample of the rest (relik_ml.retriever.pool), for a
    # KB too large to re-embed at every mining round and validation (millions of passages on a CPU)
    pool_size: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.mining_probability <= 1.0:
            raise ValueError(f"mining_probability must be in [0, 1], got {self.mining_probability}")
        if not 0.0 < self.mine_every_fraction <= 1.0:
            raise ValueError(f"mine_every_fraction must be in (0, 1], got {self.mine_every_fraction}")
        if self.mining_mode not in ("fraction", "epoch"):
            raise ValueError(f"mining_mode must be 'fraction' or 'epoch', got {self.mining_mode!r}")
        if self.pool_size < 0:
            raise ValueError(f"pool_size must be >= 0, got {self.pool_size}")
        if self.max_steps < 0:
            raise ValueError(f"max_steps must be >= 0, got {self.max_steps}")
        if self.task not in ("el", "re"):
            raise ValueError(f"task must be 'el' or 're', got {self.task!r}")

    @property
    def monitor(self) -> str:
        """Name of the logged dev metric that selects the best model."""
        return f"val/recall@{self.eval_k}"

    @classmethod
    def pretraining(cls, **overrides: Any) -> RetrieverTrainConfig:
        """The BLINK pretraining recipe: 110k steps, p=0.2, mining every 10% of an epoch, no patience."""
        base = dict(max_steps=110_000, mining_probability=0.2, mining_mode="fraction", patience=None)
        return cls(**{**base, **overrides})
