"""Pure micro-averaged metrics over gold `Document`s and predicted `Prediction`s (matched by id).

- InKB EL (GERBIL, strong matching): a predicted link counts when its offsets AND KB id equal a
  gold mention's. Gold mentions labelled NME are not in the gold set; a predicted NME is an
  abstention (no prediction); a KB link predicted on an NME gold span is a false positive (as in
  ReLiK's evaluation, §6 error analysis).
- Mention detection: offsets only, every mention on both sides (NME included).
- ED: InKB matching when the gold in-KB mentions were given; accuracy = correct / gold.
- RE strict: subject offsets, object offsets and relation all equal.
- cIE: RE strict plus both arguments' KB ids.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from relik_ml.types import NME, Document, Prediction, Triplet


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives of one metric."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1,
                "tp": self.tp, "fp": self.fp, "fn": self.fn}


def match(gold: Iterable[Hashable], predicted: Iterable[Hashable]) -> Counts:
    """Counts of two sets of keys (duplicates collapse)."""
    gold, predicted = set(gold), set(predicted)
    hits = len(gold & predicted)
    return Counts(hits, len(predicted) - hits, len(gold) - hits)


def inkb_el(gold: Sequence[Document], predicted: Sequence[Prediction]) -> Counts:
    """InKB micro P/R/F1 with strong matching (see module docstring for NME handling)."""
    pairs = aligned_pairs(gold, predicted)
    gold_keys = [(d.id, s.start, s.end, s.label) for d, _ in pairs for s in d.spans if s.label != NME]
    predicted_keys = [(d.id, s.start, s.end, s.label) for d, p in pairs for s, _ in p.spans if s.label != NME]
    return match(gold_keys, predicted_keys)


def mention_detection(gold: Sequence[Document], predicted: Sequence[Prediction]) -> Counts:
    """Span-only micro P/R/F1: every gold and predicted mention, links ignored."""
    pairs = aligned_pairs(gold, predicted)
    gold_keys = [(d.id, s.start, s.end) for d, _ in pairs for s in d.spans]
    predicted_keys = [(d.id, s.start, s.end) for d, p in pairs for s, _ in p.spans]
    return match(gold_keys, predicted_keys)


def ed_accuracy(gold: Sequence[Document], predicted: Sequence[Prediction]) -> dict[str, Any]:
    """Disambiguation of given gold mentions: InKB counts plus accuracy over the in-KB gold mentions."""
    counts = inkb_el(gold, predicted)
    total = counts.tp + counts.fn
    return {"accuracy": counts.tp / total if total else 0.0, "mentions": total, **counts.to_json()}


def re_strict(gold: Sequence[Document], predicted: Sequence[Prediction]) -> Counts:
    """Triplet micro P/R/F1: both argument boundaries and the relation must match."""
    pairs = aligned_pairs(gold, predicted)
    gold_keys = [triplet_key(d.id, t, linked=False) for d, _ in pairs for t in d.triplets]
    predicted_keys = [triplet_key(d.id, t, linked=False) for d, p in pairs for t, _ in p.triplets]
    return match(gold_keys, predicted_keys)


def cie(gold: Sequence[Document], predicted: Sequence[Prediction]) -> Counts:
    """Closed IE micro P/R/F1: strict triplets whose two arguments are also linked correctly."""
    pairs = aligned_pairs(gold, predicted)
    gold_keys = [triplet_key(d.id, t, linked=True) for d, _ in pairs for t in d.triplets]
    predicted_keys = [triplet_key(d.id, t, linked=True) for d, p in pairs for t, _ in p.triplets]
    return match(gold_keys, predicted_keys)


def triplet_key(doc_id: str, triplet: Triplet, *, linked: bool) -> tuple:
    """(doc, subject offsets, relation, object offsets), plus both entity labels when `linked`."""
    subject, obj = triplet.subject, triplet.object
    key = (doc_id, subject.start, subject.end, triplet.relation, obj.start, obj.end)
    return (*key, subject.label, obj.label) if linked else key


def aligned_pairs(gold: Sequence[Document], predicted: Sequence[Prediction]) -> list[tuple[Document, Prediction]]:
    """Pair documents and predictions by id; both sides must hold the same ids."""
    by_id = {p.id: p for p in predicted}
    if len(by_id) != len(predicted) or set(by_id) != {d.id for d in gold} or len(gold) != len(by_id):
        raise ValueError("gold documents and predictions must have the same unique ids")
    return [(d, by_id[d.id]) for d in gold]
