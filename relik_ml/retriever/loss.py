"""Multi-label NCE (EntQA §2.1, ReLiK Eq. 1) over a batch of windows and a shared passage batch."""
from __future__ import annotations

import torch


def multilabel_nce(query_emb: torch.Tensor, passage_emb: torch.Tensor, positive_mask: torch.Tensor) -> torch.Tensor:
    """Mean over windows of the summed per-gold NCE loss; each gold competes with negatives only.

    For window q and gold p+ the term is `-log(e^s(q,p+) / (e^s(q,p+) + sum_{p-} e^s(q,p-)))`
    where p- ranges over the batch passages that are not gold for q: the other golds of q are
    left out of the denominator, while golds of other windows and mined passages are negatives.
    Windows without any gold passage contribute nothing; a batch without golds gives 0.
    """
    if positive_mask.shape != (query_emb.shape[0], passage_emb.shape[0]):
        raise ValueError(f"positive_mask {tuple(positive_mask.shape)} != (B, P)")
    positive_mask = positive_mask.bool()
    scores = query_emb @ passage_emb.T  # (B, P)
    negatives = scores.masked_fill(positive_mask, float("-inf"))  # (B, P), golds removed
    negative_lse = torch.logsumexp(negatives, dim=1, keepdim=True)  # (B, 1), -inf when no negatives
    per_pair = torch.logaddexp(scores, negative_lse) - scores  # (B, P), -log softmax vs negatives
    per_window = per_pair.masked_fill(~positive_mask, 0.0).sum(dim=1)  # (B,)
    has_gold = positive_mask.any(dim=1)  # (B,)
    return per_window[has_gold].sum() / has_gold.sum().clamp(min=1)
