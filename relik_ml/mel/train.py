"""Fine-tuning the bi-encoder in rounds (thesis §5.2, Fig. 5.1): index, batch construction, training.

Each round takes the next `steps_per_round * batch_size` training contexts (a seeded shuffle, cycled),
gives each its negatives (hard ones by Alg. 3 against the KB embedded with the current model, or
random ones when `hard_negative_rounds` is 0), then trains one Adam step per batch on the in-batch
sampled softmax. The first round may reuse KB embeddings the caller already has from the starting
model (a zero-shot evaluation embeds the same KB with the same weights).
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from relik_ml.mel.config import TrainConfig
from relik_ml.mel.contexts import MarkedContext, check_labels
from relik_ml.mel.encoder import MelBiEncoder
from relik_ml.mel.kb import EntityKB
from relik_ml.mel.loss import batch_columns, scaled_softmax_loss
from relik_ml.mel.negatives import MinedNegatives, mine_hard_negatives, random_negatives


@dataclass
class RoundSummary:
    """What one round did."""

    round: int
    negatives: str  # "hard" or "random"
    steps: int
    contexts: int
    mean_loss_first_tenth: float
    mean_loss_last_tenth: float
    k_doubled: int  # contexts whose retrieval needed a larger k
    max_k: int
    mining_seconds: float
    training_seconds: float


@dataclass
class TrainSummary:
    """Every round's summary and the loss of every step."""

    rounds: list[RoundSummary] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)


def train_bi_encoder(
    encoder: MelBiEncoder,
    contexts: Sequence[MarkedContext],
    kb: EntityKB,
    config: TrainConfig = TrainConfig(),
    *,
    first_kb_embeddings: np.ndarray | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> TrainSummary:
    """Train `encoder` in place on contexts whose gold ids are KB entities (others are an `InputError`)."""
    if not contexts:
        raise ValueError("no training contexts")
    check_labels(contexts, kb.rows)
    rng = random.Random(config.seed)
    torch.manual_seed(config.seed)
    parameters = [p for p in encoder.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(parameters, lr=config.learning_rate, betas=(0.9, 0.999))
    entity_texts = dict(zip(kb.ids, kb.texts(encoder.config.markers)))
    per_round = config.steps_per_round * config.batch_size
    order = _cycle(len(contexts), per_round * config.rounds, rng)
    summary = TrainSummary()
    for number in range(config.rounds):
        chosen = [contexts[i] for i in order[number * per_round : (number + 1) * per_round]]
        started = time.perf_counter()
        kb_embeddings = first_kb_embeddings if number == 0 else None
        mined = _negatives(encoder, chosen, kb, config, rng, kb_embeddings)
        mined_at = time.perf_counter()
        losses = _train_round(encoder, optimizer, chosen, mined, entity_texts, config, summary, on_step)
        tenth = max(1, len(losses) // 10)
        summary.rounds.append(RoundSummary(
            round=number + 1,
            negatives="hard" if config.hard_negative_rounds else "random",
            steps=len(losses),
            contexts=len(chosen),
            mean_loss_first_tenth=float(np.mean(losses[:tenth])),
            mean_loss_last_tenth=float(np.mean(losses[-tenth:])),
            k_doubled=sum(m.doublings > 0 for m in mined),
            max_k=max(m.k for m in mined),
            mining_seconds=round(mined_at - started, 2),
            training_seconds=round(time.perf_counter() - mined_at, 2),
        ))
    return summary


def _negatives(
    encoder: MelBiEncoder,
    chosen: Sequence[MarkedContext],
    kb: EntityKB,
    config: TrainConfig,
    rng: random.Random,
    kb_embeddings: np.ndarray | None,
) -> list[MinedNegatives]:
    gold = [c.label for c in chosen]
    if not config.hard_negative_rounds:
        return random_negatives(gold, kb.ids, config.negatives, rng)
    if kb_embeddings is None:
        kb_embeddings = encoder.embed(kb.texts(encoder.config.markers), "entity", config.embed_batch_size)
    queries = encoder.embed([c.text for c in chosen], "context", config.embed_batch_size)
    return mine_hard_negatives(queries, gold, kb_embeddings, kb.ids, config.negatives, config.retrieval_k, rng)


def _train_round(
    encoder: MelBiEncoder,
    optimizer: torch.optim.Optimizer,
    chosen: Sequence[MarkedContext],
    mined: Sequence[MinedNegatives],
    entity_texts: dict[str, str],
    config: TrainConfig,
    summary: TrainSummary,
    on_step: Callable[[int, float], None] | None,
) -> list[float]:
    encoder.train()
    losses = []
    for start in range(0, len(chosen), config.batch_size):
        batch = chosen[start : start + config.batch_size]
        gold = [c.label for c in batch]
        columns = batch_columns(gold, [m.negatives for m in mined[start : start + config.batch_size]])
        position = {entity: j for j, entity in enumerate(columns)}
        context_emb = encoder(encoder.tokenize([c.text for c in batch], "context"))  # (b, d)
        entity_emb = encoder(encoder.tokenize([entity_texts[e] for e in columns], "entity"))  # (m, d)
        target = torch.tensor([position[g] for g in gold], device=context_emb.device)
        loss = scaled_softmax_loss(context_emb, entity_emb, target, config.logit_multiplier)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
        summary.losses.append(losses[-1])
        if on_step is not None:
            on_step(len(summary.losses), losses[-1])
    encoder.eval()
    return losses


def _cycle(size: int, needed: int, rng: random.Random) -> list[int]:
    """`needed` indices into `size` items: seeded shuffles of every item, one after the other."""
    order: list[int] = []
    while len(order) < needed:
        block = list(range(size))
        rng.shuffle(block)
        order.extend(block)
    return order[:needed]
