"""Pure RE / cIE metrics (ReLiK Table 2) and the dev-only tuning of the relation threshold.

- RE strict micro-F1: subject offsets, object offsets and relation type all equal
  (`metrics.re_strict`).
- cIE micro-F1: RE strict plus both arguments' KB ids (`metrics.cie`).
- EL on the entities in triplets: gold = the linked (non-NME) arguments of the gold triplets,
  predicted = the linked arguments of the predicted triplets; offsets and KB id must match.
- Threshold tuning: given predictions scored with a low floor, the threshold on p_rel that
  maximises strict F1 on a dev split (ties: the lowest threshold); never run on a test split.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from relik_ml.evaluation.metrics import Counts, aligned_pairs, triplet_key, cie, match, re_strict
from relik_ml.types import NME, Document, Prediction, Triplet

DEFAULT_GRID = tuple(round(0.05 * i, 2) for i in range(1, 20))  # 0.05 … 0.95
RELATION_FLOOR = 0.01  # p_rel floor of a dev pass scored over the grid (below its lowest threshold)


def triplet_entity_el(gold: Sequence[Document], predicted: Sequence[Prediction]) -> Counts:
    """EL micro P/R/F1 restricted to the (non-NME) arguments of gold and predicted triplets."""
    pairs = aligned_pairs(gold, predicted)
    gold_keys = [key for d, _ in pairs for t in d.triplets for key in _argument_keys(d.id, t)]
    predicted_keys = [key for d, p in pairs for t, _ in p.triplets for key in _argument_keys(d.id, t)]
    return match(gold_keys, predicted_keys)


def relation_scores(gold: Sequence[Document], predicted: Sequence[Prediction], task: str) -> dict[str, Any]:
    """The report metrics of an RE (`re_strict`) or cIE (`re_strict`, `cie`, `triplet_el`) model."""
    if task not in ("re", "cie"):
        raise ValueError(f"task must be 're' or 'cie', got {task!r}")
    scores = {"re_strict": re_strict(gold, predicted).to_json()}
    if task == "cie":
        scores["cie"] = cie(gold, predicted).to_json()
        scores["triplet_el"] = triplet_entity_el(gold, predicted).to_json()
    return scores


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
    gold: Iterable[Hashable], scored: Iterable[tuple[Hashable, float]], grid: Sequence[float] = DEFAULT_GRID
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


def triplet_keys(doc_id: str, triplets: Iterable[Triplet]) -> list[tuple]:
    """Strict keys (doc, subject offsets, relation, object offsets) of gold triplets."""
    return [triplet_key(doc_id, t, linked=False) for t in triplets]


def scored_triplet_keys(prediction: Prediction) -> list[tuple[tuple, float]]:
    """Strict keys of a prediction's triplets with their scores."""
    keys = triplet_keys(prediction.id, [t for t, _ in prediction.triplets])
    return [(key, score) for key, (_, score) in zip(keys, prediction.triplets)]


def _argument_keys(doc_id: str, triplet: Triplet) -> list[tuple]:
    return [(doc_id, s.start, s.end, s.label) for s in (triplet.subject, triplet.object) if s.label != NME]
