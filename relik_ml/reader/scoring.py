"""Reader dev scores: span F1 (predicted spans), EL accuracy (gold spans), triplet F1."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch

from relik_ml.reader.data import ReaderBatch
from relik_ml.reader.modeling import RelikReaderModel, RelikReaderOutput

LABELS = ("spans", "span_entities", "triplets")


@dataclass
class ReaderCounts:
    """Running counts; `scores()` turns them into span_f1, el_accuracy and triplet_f1."""

    span_tp: int = 0
    span_pred: int = 0
    span_gold: int = 0
    el_correct: int = 0
    el_total: int = 0
    triplet_tp: int = 0
    triplet_pred: int = 0
    triplet_gold: int = 0

    def add(self, predicted: RelikReaderOutput, gold: RelikReaderOutput, batch: ReaderBatch) -> None:
        """Count one batch: `predicted` ran without labels, `gold` with gold spans."""
        pred_spans, gold_spans = _rows(predicted.spans), _rows(batch.tensors["spans"])
        self.span_tp += len(pred_spans & gold_spans)
        self.span_pred += len(pred_spans)
        self.span_gold += len(gold_spans)
        if gold.entity_logits is not None and gold.entity_logits.shape[0]:
            self.el_correct += int((gold.entity_logits.argmax(-1) == batch.tensors["span_entities"]).sum())
            self.el_total += int(gold.entity_logits.shape[0])
        if predicted.triplets is not None:
            pred_t = _triplets(predicted.spans, predicted.triplets)
            gold_t = _triplets(batch.tensors["spans"], batch.tensors["triplets"])
            self.triplet_tp += len(pred_t & gold_t)
            self.triplet_pred += len(pred_t)
            self.triplet_gold += len(gold_t)

    def scores(self) -> dict[str, float]:
        return {
            "span_f1": _f1(self.span_tp, self.span_pred, self.span_gold),
            "el_accuracy": self.el_correct / max(self.el_total, 1),
            "triplet_f1": _f1(self.triplet_tp, self.triplet_pred, self.triplet_gold),
        }


def _rows(spans: torch.Tensor) -> set[tuple[int, ...]]:
    return {tuple(r) for r in spans.tolist()}


def _triplets(spans: torch.Tensor, triplets: torch.Tensor) -> set[tuple[int, ...]]:
    """(batch, subject start, subject end, object start, object end, relation slot) tuples."""
    rows = spans.tolist()
    return {(*rows[i], *rows[j][1:], k) for i, j, k in triplets.tolist()}


def _f1(tp: int, predicted: int, gold: int) -> float:
    return 2 * tp / max(predicted + gold, 1)


@torch.no_grad()
def score_reader(model: RelikReaderModel, batches: Iterable[ReaderBatch]) -> dict[str, float]:
    """Evaluate on labelled batches (eval mode, the model's device)."""
    was_training = model.training
    model.eval()
    counts = ReaderCounts()
    for batch in batches:
        batch = batch.to(model.device)
        unlabelled = {k: v for k, v in batch.tensors.items() if k not in LABELS}
        counts.add(model(**unlabelled), model(**batch.tensors), batch)
    model.train(was_training)
    return counts.scores()
