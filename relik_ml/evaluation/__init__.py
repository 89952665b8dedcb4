"""Evaluation: pure metrics (`metrics`), model / retriever runs on gold documents (`evaluate`),
report directories (`report`). Only the pure metrics are re-exported, so importing them stays light.
"""
from __future__ import annotations

from relik_ml.evaluation.metrics import Counts, cie, ed_accuracy, inkb_el, match, mention_detection, re_strict

__all__ = ["Counts", "cie", "ed_accuracy", "inkb_el", "match", "mention_detection", "re_strict"]
