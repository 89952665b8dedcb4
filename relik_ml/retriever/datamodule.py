"""Lightning data for the retriever: shuffled training batches with shared passages, dev windows."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from relik_ml.retriever.config import RetrieverTrainConfig
from relik_ml.retriever.data import RetrieverCollator, RetrieverExample
from relik_ml.retriever.encoder import Retriever
from relik_ml.types import Passage


class RetrieverDataModule(pl.LightningDataModule):
    """Serves training batches (tokenised by the retriever) and plain lists of dev examples.

    `hard_negatives` (window id -> mined passage ids) is shared with the `HardNegativeMiner`
    callback, which refills it; the collator reads it for every batch.
    """

    def __init__(
        self,
        retriever: Retriever,
        train_examples: Sequence[RetrieverExample],
        dev_examples: Sequence[RetrieverExample],
        passages: Sequence[Passage],
        config: RetrieverTrainConfig,
    ) -> None:
        super().__init__()
        self.train_examples = list(train_examples)
        self.dev_examples = list(dev_examples)
        self.passages = list(passages)
        self.config = config
        self.hard_negatives: dict[str, tuple[str, ...]] = {}
        self.collator = RetrieverCollator(
            passages={p.id: p for p in self.passages},
            window_inputs=retriever.window_inputs,
            passage_inputs=retriever.passage_inputs,
            hard_negatives=self.hard_negatives,
            passages_per_batch=config.passages_per_batch,
            seed=config.seed,
        )

    def train_dataloader(self) -> DataLoader:
        return DataLoader(
            self.train_examples,
            batch_size=self.config.batch_size,
            shuffle=True,
            collate_fn=self.collator,
            num_workers=self.config.num_workers,
            generator=torch.Generator().manual_seed(self.config.seed),
        )

    def val_dataloader(self) -> DataLoader:
        return DataLoader(
            self.dev_examples,
            batch_size=self.config.encode_batch_size,
            collate_fn=list,
            num_workers=0,
        )

    def transfer_batch_to_device(self, batch: Any, device: torch.device, dataloader_idx: int) -> Any:
        """Dev batches are lists of examples that `Retriever.encode_windows` tokenises and moves itself."""
        if isinstance(batch, list):
            return batch
        return super().transfer_batch_to_device(batch, device, dataloader_idx)
