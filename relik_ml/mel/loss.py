"""In-batch sampled softmax over scaled cosines (thesis §4.2.1, Fig. 4.4).

Every context of a batch is scored against every entity column of the batch (its own positive and
negatives and those of the other contexts); the cosines are multiplied by the logit multiplier
before the softmax, and the loss is the cross-entropy against the gold column.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch


def batch_columns(gold: Sequence[str], negatives: Sequence[Sequence[str]]) -> list[str]:
    """The batch's entity columns: each context's gold then its negatives, every entity once (first seen)."""
    columns: dict[str, None] = {}
    for entity, extra in zip(gold, negatives, strict=True):
        columns.setdefault(entity)
        for negative in extra:
            columns.setdefault(negative)
    return list(columns)


def scaled_softmax_loss(
    contexts: torch.Tensor, entities: torch.Tensor, gold_columns: torch.Tensor, multiplier: float
) -> torch.Tensor:
    """Mean cross-entropy of `softmax(multiplier * cos)` rows: contexts (b, d) and entities (m, d) unit
    vectors, gold_columns (b,) the column of each context's entity."""
    logits = multiplier * contexts @ entities.T  # (b, m), cosines in [-1, 1] scaled
    return torch.nn.functional.cross_entropy(logits, gold_columns)
