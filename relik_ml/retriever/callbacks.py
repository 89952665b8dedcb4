"""Lightning callback that re-mines hard negatives from the model's own index while training."""
from __future__ import annotations

import random
from collections.abc import MutableMapping, Sequence
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback

from relik_ml.retriever.config import RetrieverTrainConfig
from relik_ml.retriever.data import RetrieverExample
from relik_ml.retriever.mining import mine_hard_negatives
from relik_ml.types import Passage


class HardNegativeMiner(Callback):
    """Refill `hard_negatives` after each epoch ("epoch" mode) or every fraction of one ("fraction").

    Each round takes the KB embedded by the current model (`pl_module.kb_embeddings()`, shared
    with a validation at the same step), samples windows with probability `mining_probability`
    and replaces the whole mapping; its content is saved in checkpoints.
    """

    def __init__(
        self,
        examples: Sequence[RetrieverExample],
        passages: Sequence[Passage],
        hard_negatives: MutableMapping[str, tuple[str, ...]],
        config: RetrieverTrainConfig,
    ) -> None:
        self.examples = examples
        self.passages = passages
        self.hard_negatives = hard_negatives
        self.config = config
        self.rounds = 0
        self._rng = random.Random(config.seed)

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        if self.config.mining_mode != "fraction" or self._finished(trainer):
            return
        every = max(1, round(trainer.num_training_batches * self.config.mine_every_fraction))
        if (batch_idx + 1) % every == 0:
            self.mine(pl_module)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        last_epoch = trainer.max_epochs is not None and trainer.current_epoch + 1 >= trainer.max_epochs > 0
        if self.config.mining_mode == "epoch" and not (last_epoch or self._finished(trainer)):
            self.mine(pl_module)

    def mine(self, pl_module: pl.LightningModule) -> None:
        """Replace the hard negatives with a fresh round mined by `pl_module.retriever`."""
        mined = mine_hard_negatives(
            pl_module.retriever,
            self.examples,
            self.passages,
            limit=self.config.hard_negatives_per_window,
            probability=self.config.mining_probability,
            rng=self._rng,
            batch_size=self.config.encode_batch_size,
            passage_embeddings=pl_module.kb_embeddings(),
        )
        self.hard_negatives.clear()
        self.hard_negatives.update(mined)
        self.rounds += 1
        pl_module.log("train/mined_windows", float(len(mined)))

    @staticmethod
    def _finished(trainer: pl.Trainer) -> bool:
        """True when no training step follows (max_steps reached or a stop was requested)."""
        return trainer.should_stop or (trainer.max_steps > 0 and trainer.global_step >= trainer.max_steps)

    def state_dict(self) -> dict[str, Any]:
        return {"rounds": self.rounds, "hard_negatives": {k: list(v) for k, v in self.hard_negatives.items()}}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.rounds = int(state_dict["rounds"])
        self.hard_negatives.clear()
        self.hard_negatives.update({k: tuple(v) for k, v in state_dict["hard_negatives"].items()})
