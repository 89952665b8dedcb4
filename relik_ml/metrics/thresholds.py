"""Decision thresholds of the reader heads: one grid per head, and the tuning of a single threshold.

Thresholds are tuned on a dev split only, never on a test split.
- Span heads: `SPAN_THRESHOLD_GRID`, searched as (start, end) pairs over one dev pass of the reader
  (`reader.scoring.tune_span_thresholds`).
- Relation head: `RELATION_THRESHOLD_GRID`; a dev pass keeps every triplet with p_rel >
  `RELATION_FLOOR`, then `tune_threshold` picks the threshold that maximises strict F1 (ties: the
  lowest threshold).
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

from relik_ml.metrics.micro import match

SPAN_THRESHOLD_GRID = tuple(round(0.05 * i, 2) for i in range(1, 19))  # 0.05 … 0.90, for p_start and p_end
RELATION_THRESHOLD_GRID = tuple(round(0.05 * i, 2) for i in range(1, 20))  # 0.05 … 0.95, for p_rel
RELATION_FLOOR = 0.01  # p_rel floor of a dev pass scored over the grid (below its lowest threshold)


@dataclass(frozen=True)
class ThresholdChoice:
    """The tuned threshold and the dev scores it gives (and the floor's, for comparison)."""

    threshold: float
    f1: float
    precision: float
    recall: float
    floor_f1: float  # F1 with every scored prediction kept

    def to_json(self) -> dict[str, float]:
        return {"threshold": self.threshold, "f1": self.f1, "precision": self.precision, "recall": self.recall,
                "floor_f1": self.floor_f1}


def tune_threshold(
    gold: Iterable[Hashable], scored: Iterable[tuple[Hashable, float]], grid: Sequence[float] = RELATION_THRESHOLD_GRID
) -> ThresholdChoice:
    """Best threshold of `grid` for predictions kept when score > threshold (strict-key F1)."""
    if not grid:
        raise ValueError("the threshold grid is empty")
    gold_keys = set(gold)
    best: dict[Hashable, float] = {}
    for key, score in scored:
        best[key] = max(score, best.get(key, float("-inf")))
    floor = match(gold_keys, best)
    choice: ThresholdChoice | None = None
    for threshold in sorted(grid):
        counts = match(gold_keys, [k for k, s in best.items() if s > threshold])
        if choice is None or counts.f1 > choice.f1:
            choice = ThresholdChoice(float(threshold), counts.f1, counts.precision, counts.recall, floor.f1)
    assert choice is not None
    return choice
