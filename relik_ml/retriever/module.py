"""The Lightning system around a `Retriever`: NCE training, dev recall@k, RAdam + linear decay."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from transformers import get_linear_schedule_with_warmup

from relik_ml.retriever.config import RetrieverTrainConfig
from relik_ml.retriever.data import RetrieverBatch, RetrieverExample
from relik_ml.retriever.encoder import Retriever
from relik_ml.retriever.evaluate import recall_at_k
from relik_ml.retriever.kb_cache import KBEmbeddingCache
from relik_ml.retriever.loss import multilabel_nce
from relik_ml.retriever.search import top_k_ids
from relik_ml.types import Passage

_NO_DECAY = ("bias", "LayerNorm.weight", "layernorm.weight", "layer_norm.weight")


class RetrieverModule(pl.LightningModule):
    """Trains the shared encoder with multi-label NCE; validates recall@k against the whole KB."""

    def __init__(self, retriever: Retriever, config: RetrieverTrainConfig, passages: Sequence[Passage]) -> None:
        super().__init__()
        self.retriever = retriever.train()  # HF models load in eval mode; dropout is part of training
        self.config = config
        self.kb = KBEmbeddingCache(passages, config.encode_batch_size)  # shared with the hard-negative miner
        self._gold: list[tuple[str, ...]] = []
        self._retrieved: list[list[str]] = []
        self.validated_at_step: int | None = None  # global step of the latest dev validation

    def training_step(self, batch: RetrieverBatch, batch_idx: int) -> torch.Tensor:
        queries = self.retriever(batch.window_inputs)  # (B, d)
        passages = self.retriever(batch.passage_inputs)  # (P, d)
        loss = multilabel_nce(queries, passages, batch.positive_mask)
        size = len(batch.positive_mask)
        self.log("train/loss", loss, on_step=True, on_epoch=False, prog_bar=True, batch_size=size)
        self.log("train/passages_per_batch", float(len(batch.passage_ids)), on_step=True, batch_size=size)
        return loss

    def kb_embeddings(self) -> np.ndarray:
        """The KB (n, d) under the current weights: embedded once per step, for validation and mining."""
        return self.kb.get(self.retriever)

    def on_train_batch_start(self, batch: RetrieverBatch, batch_idx: int) -> None:
        self.kb.invalidate()  # the optimiser step of this batch changes the weights

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.kb.invalidate()

    def on_validation_epoch_start(self) -> None:
        self._gold, self._retrieved = [], []

    def validation_step(self, batch: list[RetrieverExample], batch_idx: int) -> None:
        queries = self.retriever.encode_windows([e.window for e in batch], self.config.encode_batch_size)  # (b, d)
        self._retrieved.extend(top_k_ids(queries, self.kb_embeddings(), self.kb.passage_ids, self.config.eval_k))
        self._gold.extend(e.gold_ids for e in batch)

    def on_validation_epoch_end(self) -> None:
        ks = sorted({1, 10, self.config.eval_k})
        metrics = recall_at_k(self._gold, self._retrieved, ks)
        for k in ks:
            self.log(f"val/recall@{k}", float(metrics[f"recall@{k}"]), prog_bar=k == self.config.eval_k)
        self.log("val/kb_encodings", float(self.kb.encodings))
        self._gold, self._retrieved = [], []
        self.validated_at_step = self.global_step

    def configure_optimizers(self) -> dict[str, Any]:
        optimizer = torch.optim.RAdam(
            self._parameter_groups(), lr=self.config.learning_rate, decoupled_weight_decay=True
        )
        total = int(self.trainer.estimated_stepping_batches)
        schedule = get_linear_schedule_with_warmup(optimizer, self.config.warmup_steps, max(total, 1))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}

    def _parameter_groups(self) -> list[dict[str, Any]]:
        """Weight decay on matrices only: biases and LayerNorm weights are not decayed."""
        named = [(n, p) for n, p in self.retriever.named_parameters() if p.requires_grad]
        decay = [p for n, p in named if not n.endswith(_NO_DECAY)]
        no_decay = [p for n, p in named if n.endswith(_NO_DECAY)]
        return [
            {"params": decay, "weight_decay": self.config.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]
