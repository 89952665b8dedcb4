"""Pure metrics over records, no model code: micro P/R/F1 of EL, mention detection, ED, RE and cIE
(`micro`), the triplet metrics of RE / cIE reports (`relations`) and the dev-only threshold
tuning with one grid per reader head (`thresholds`). The reader and evaluation both import them.
"""
from __future__ import annotations

from relik_ml.metrics.micro import Counts, cie, ed_accuracy, inkb_el, match, mention_detection, re_strict

__all__ = ["Counts", "cie", "ed_accuracy", "inkb_el", "match", "mention_detection", "re_strict"]
