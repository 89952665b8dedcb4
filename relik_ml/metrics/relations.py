"""Pure RE / cIE metrics (ReLiK Table 2) and the triplet keys the relation threshold is tuned on.

- RE strict micro-F1: subject offsets, object offsets and relation type all equal
  (`micro.re_strict`).
- cIE micro-F1: RE strict plus both arguments' KB ids (`micro.cie`).
- EL on the entities in triplets: gold = the linked (non-NME) arguments of the gold triplets,
  predicted = the linked arguments of the predicted triplets; offsets and KB id must match.
- Triplet keys: strict keys of gold and scored predicted triplets, the input of
  `thresholds.tune_threshold`.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from relik_ml.metrics.micro import Counts, aligned_pairs, cie, match, re_strict, triplet_key
from relik_ml.types import NME, Document, Prediction, Triplet


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


def triplet_keys(doc_id: str, triplets: Iterable[Triplet]) -> list[tuple]:
    """Strict keys (doc, subject offsets, relation, object offsets) of gold triplets."""
    return [triplet_key(doc_id, t, linked=False) for t in triplets]


def scored_triplet_keys(prediction: Prediction) -> list[tuple[tuple, float]]:
    """Strict keys of a prediction's triplets with their scores."""
    keys = triplet_keys(prediction.id, [t for t, _ in prediction.triplets])
    return [(key, score) for key, (_, score) in zip(keys, prediction.triplets)]


def _argument_keys(doc_id: str, triplet: Triplet) -> list[tuple]:
    return [(doc_id, s.start, s.end, s.label) for s in (triplet.subject, triplet.object) if s.label != NME]
