"""Reader dev scores: span F1 (predicted spans), EL accuracy (gold spans), triplet F1 at the reader's
relation threshold and at the best one of a grid; and the dev-only tuning of the start / end thresholds
(one pass at a low floor, then a grid over the pair)."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

from relik_ml.metrics.thresholds import RELATION_FLOOR, SPAN_THRESHOLD_GRID, tune_threshold
from relik_ml.reader.data import ReaderBatch
from relik_ml.reader.modeling import RelikReaderModel, RelikReaderOutput

LABELS = ("spans", "span_entities", "triplets")


@dataclass
class ReaderCounts:
    """Running counts; `scores()` turns them into span_f1, el_accuracy, triplet_f1 and triplet_f1_tuned.

    Predicted triplets must come from a pass with `relation_threshold=RELATION_FLOOR`: `triplet_f1`
    keeps those above `relation_threshold` (the reader's), `triplet_f1_tuned` is the best F1 over
    the relation-threshold grid that the RE stage tunes after training (threshold-free selection).
    """

    relation_threshold: float = 0.5
    span_tp: int = 0
    span_pred: int = 0
    span_gold: int = 0
    el_correct: int = 0
    el_total: int = 0
    batches: int = 0
    scored_triplets: list[tuple[tuple[int, ...], float]] = dataclasses.field(default_factory=list)
    gold_triplets: list[tuple[int, ...]] = dataclasses.field(default_factory=list)

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
            keys = _triplets(predicted.spans, predicted.triplets)
            self.scored_triplets += [((self.batches, *k), float(p)) for k, p in zip(keys, predicted.triplet_scores)]
            self.gold_triplets += [(self.batches, *k) for k in _triplets(batch.tensors["spans"], batch.tensors["triplets"])]
        self.batches += 1

    def scores(self) -> dict[str, float]:
        kept = {k for k, p in self.scored_triplets if p > self.relation_threshold}
        gold = set(self.gold_triplets)
        scores = {
            "span_f1": _f1(self.span_tp, self.span_pred, self.span_gold),
            "el_accuracy": self.el_correct / max(self.el_total, 1),
            "triplet_f1": _f1(len(kept & gold), len(kept), len(gold)),
        }
        if gold or self.scored_triplets:
            scores["triplet_f1_tuned"] = tune_threshold(gold, self.scored_triplets).f1
        return scores


def _rows(spans: torch.Tensor) -> set[tuple[int, ...]]:
    return {tuple(r) for r in spans.tolist()}


def _triplets(spans: torch.Tensor, triplets: torch.Tensor) -> list[tuple[int, ...]]:
    """(row, subject start, subject end, object start, object end, relation slot) tuples, in triplet order."""
    rows = spans.tolist()
    return [(*rows[i], *rows[j][1:], k) for i, j, k in triplets.tolist()]


def _f1(tp: int, predicted: int, gold: int) -> float:
    return 2 * tp / max(predicted + gold, 1)


@torch.no_grad()
def score_reader(model: RelikReaderModel, batches: Iterable[ReaderBatch]) -> dict[str, float]:
    """Evaluate on labelled batches (eval mode, the model's device)."""
    was_training = model.training
    model.eval()
    counts = ReaderCounts(model.config.relation_threshold)
    for batch in batches:
        batch = batch.to(model.device)
        unlabelled = {k: v for k, v in batch.tensors.items() if k not in LABELS}
        counts.add(model(**unlabelled, relation_threshold=RELATION_FLOOR), model(**batch.tensors), batch)
    model.train(was_training)
    return counts.scores()


@dataclass(frozen=True)
class SpanThresholdChoice:
    """The (start, end) thresholds with the best dev span F1, and the F1 of the thresholds before."""

    start_threshold: float
    end_threshold: float
    span_f1: float
    previous_span_f1: float

    def to_json(self) -> dict[str, float]:
        return dataclasses.asdict(self)


@dataclass
class _Candidates:
    """Every span above the grid floor: its row, p_start, p_end, score and whether it is gold."""

    rows: list[int] = dataclasses.field(default_factory=list)
    p_start: list[float] = dataclasses.field(default_factory=list)
    p_end: list[float] = dataclasses.field(default_factory=list)
    gold: list[bool] = dataclasses.field(default_factory=list)
    num_gold: int = 0
    num_rows: int = 0

    def add(self, output: RelikReaderOutput, batch: ReaderBatch) -> None:
        p_start = output.start_logits.softmax(-1)[..., 1]
        gold = _rows(batch.tensors["spans"])
        for (b, s, e), score in zip(output.spans.tolist(), output.span_scores.tolist()):
            start = float(p_start[b, s])
            self.rows.append(self.num_rows + b)
            self.p_start.append(start)
            self.p_end.append(score / start)
            self.gold.append((b, s, e) in gold)
        self.num_gold += len(gold)
        self.num_rows += int(batch.tensors["input_ids"].shape[0])

    def span_f1(self, start_threshold: float, end_threshold: float, max_per_row: int) -> float:
        """Span F1 of the spans inference would keep with these thresholds (best `max_per_row` per row)."""
        p_start, p_end = torch.tensor(self.p_start), torch.tensor(self.p_end)
        kept = torch.nonzero((p_start > start_threshold) & (p_end > end_threshold)).squeeze(-1)
        order = kept[torch.argsort(p_start[kept] * p_end[kept], descending=True, stable=True)]
        per_row: dict[int, int] = {}
        tp = predicted = 0
        for i in order.tolist():
            row = self.rows[i]
            if per_row.get(row, 0) < max_per_row:
                per_row[row] = per_row.get(row, 0) + 1
                predicted += 1
                tp += int(self.gold[i])
        return _f1(tp, predicted, self.num_gold)


@torch.no_grad()
def tune_span_thresholds(
    model: RelikReaderModel, batches: Iterable[ReaderBatch], grid: Sequence[float] = SPAN_THRESHOLD_GRID
) -> SpanThresholdChoice:
    """Best (start, end) pair of `grid` for dev span F1; the model's own pair wins ties. Config left as found."""
    if not grid:
        raise ValueError("the threshold grid is empty")
    config = model.config
    before = (config.start_threshold, config.end_threshold, config.max_predicted_spans)
    was_training = model.training
    model.eval()
    candidates = _Candidates()
    try:
        config.start_threshold = config.end_threshold = min(min(grid), before[0], before[1])
        config.max_predicted_spans = 1 << 30
        for batch in batches:
            batch = batch.to(model.device)
            candidates.add(model(**{k: v for k, v in batch.tensors.items() if k not in LABELS}), batch)
    finally:
        config.start_threshold, config.end_threshold, config.max_predicted_spans = before
        model.train(was_training)
    previous = candidates.span_f1(before[0], before[1], before[2])
    best = SpanThresholdChoice(before[0], before[1], previous, previous)
    for start in grid:
        for end in grid:
            f1 = candidates.span_f1(start, end, before[2])
            if f1 > best.span_f1 + 1e-12:
                best = SpanThresholdChoice(float(start), float(end), f1, previous)
    return best
