"""`RelikReaderModule`: the Lightning system around `RelikReaderModel` (AdamW, warmup + linear decay)."""
from __future__ import annotations

import re

import pytorch_lightning as pl
import torch

from relik_ml.metrics.thresholds import RELATION_FLOOR
from relik_ml.reader.data import ReaderBatch
from relik_ml.reader.modeling import RelikReaderModel
from relik_ml.reader.scoring import LABELS, ReaderCounts

LOSSES = ("loss", "start_loss", "end_loss", "entity_loss", "relation_loss")
_LAYER = re.compile(r"\.layers?\.(\d+)\.")


class RelikReaderModule(pl.LightningModule):
    """Trains the reader; logs `train/<loss>` every step and `val/loss`, `val/span_f1`, … per validation."""

    def __init__(
        self,
        model: RelikReaderModel,
        *,
        learning_rate: float = 1e-5,  # Table 4 (AIDA); NYT/REBEL 2e-5
        weight_decay: float = 0.01,  # Table 4
        warmup_steps: int = 5_000,  # Table 4 (AIDA)
        total_steps: int = 50_000,  # linear decay to 0 at this step
        layer_lr_decay: float | None = 0.9,  # Clark et al. (2020); None = one learning rate
        head_learning_rate: float | None = None,  # lr of the randomly initialised heads; None = learning_rate
    ) -> None:
        super().__init__()
        self.model = model
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.layer_lr_decay = layer_lr_decay
        self.head_learning_rate = learning_rate if head_learning_rate is None else head_learning_rate
        self._counts = ReaderCounts(model.config.relation_threshold)

    def training_step(self, batch: ReaderBatch, batch_idx: int) -> torch.Tensor:
        out = self.model(**batch.tensors)
        self._log_losses("train", out, len(batch.inputs), on_step=True)
        return out.loss

    def validation_step(self, batch: ReaderBatch, batch_idx: int) -> None:
        gold = self.model(**batch.tensors)
        unlabelled = {k: v for k, v in batch.tensors.items() if k not in LABELS}
        predicted = self.model(**unlabelled, relation_threshold=RELATION_FLOOR)
        self._counts.add(predicted, gold, batch)
        self._log_losses("val", gold, len(batch.inputs), on_step=False)

    def on_validation_epoch_end(self) -> None:
        for name, value in self._counts.scores().items():
            self.log(f"val/{name}", value)
        self._counts = ReaderCounts(self.model.config.relation_threshold)

    def _log_losses(self, stage: str, out, batch_size: int, *, on_step: bool) -> None:
        for name in LOSSES:
            value = getattr(out, name)
            if value is not None:
                self.log(f"{stage}/{name}", value, batch_size=batch_size, on_step=on_step, on_epoch=not on_step)

    def transfer_batch_to_device(self, batch: ReaderBatch, device: torch.device, dataloader_idx: int) -> ReaderBatch:
        return batch.to(device)

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameter_groups(), lr=self.learning_rate)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, self._lr_factor)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    def _lr_factor(self, step: int) -> float:
        """Linear warmup to 1, then linear decay to 0 at `total_steps`."""
        if step < self.warmup_steps:
            return (step + 1) / (self.warmup_steps + 1)
        return max(0.0, (self.total_steps - step) / max(1, self.total_steps - self.warmup_steps))

    def parameter_groups(self) -> list[dict]:
        """AdamW groups: no decay on biases/norms; lr x decay^(depth from the top) per encoder layer; head lr."""
        groups: dict[tuple[float, float], list[torch.nn.Parameter]] = {}
        for name, param in self.model.named_parameters():
            if param.requires_grad:
                key = (self._layer_lr(name), 0.0 if param.ndim == 1 else self.weight_decay)
                groups.setdefault(key, []).append(param)
        return [{"params": params, "lr": lr, "weight_decay": wd} for (lr, wd), params in groups.items()]

    def _layer_lr(self, name: str) -> float:
        """Heads: head lr; encoder layer i of N: lr x d^(N - i); embeddings: lr x d^(N + 1)."""
        if not name.startswith("encoder."):
            return self.head_learning_rate
        if self.layer_lr_decay is None:
            return self.learning_rate
        num_layers = self.model.encoder.config.num_hidden_layers
        match = _LAYER.search(name)
        if match:
            depth = int(match.group(1)) + 1
        else:
            depth = 0 if "embeddings" in name else num_layers + 1
        return self.learning_rate * self.layer_lr_decay ** (num_layers + 1 - depth)
