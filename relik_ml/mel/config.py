"""Typed settings of the multilingual entity linker (thesis, seed 004): texts, encoder and training.

Defaults follow the thesis where it gives a value (Tables 6.8 and 6.9: 64-token contexts, logit
multiplier 50, k = 100, neg = 7, batch 32, Adam at 1e-5); what differs is said next to the field.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MarkerConfig:
    """How a mention or an entity label is marked in the text the encoder reads (thesis §5.1)."""

    # The thesis puts the same [M] token before and after the mention ("[M] Paris [M]"). It adds [M]
    # to the tokenizer; here it is plain text the tokenizer splits, so no untrained embedding row.
    open: str = "[M]"
    close: str = "[M]"

    def mark(self, text: str) -> str:
        """`[M] text [M]`."""
        return f"{self.open} {text} {self.close}"


@dataclass(frozen=True)
class ContextConfig:
    """A mention-centred context: the mention with markers, cut to a token budget around it."""

    max_tokens: int = 64  # tokens of the marked context, specials and prefix excluded (thesis Table 6.9)
    markers: MarkerConfig = MarkerConfig()

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")


@dataclass(frozen=True)
class BiEncoderConfig:
    """One encoder for contexts and entity descriptions (thesis §4.1.1), mean-pooled and L2-normalised."""

    backbone: str = "me5-small"  # a `relik_ml.backbones` name or a local HF directory (thesis: LEALLA)
    max_context_tokens: int = 64  # tokens kept of a context, prefix and specials included
    max_entity_tokens: int = 64  # tokens kept of "[M] label [M] description" (thesis §5.1.1)
    # Prepended to contexts / entity texts; None = the backbone's convention (E5: "query: " / "passage: ").
    context_prefix: str | None = None
    entity_prefix: str | None = None
    # Transformer layers trained, counted from the top; None = all. The word embeddings (96M of
    # me5-small's 118M parameters) are trained only when `train_embeddings`; freezing them and the
    # lower layers keeps CPU fine-tuning cheap (the thesis trains everything on a GPU).
    trainable_layers: int | None = None
    train_embeddings: bool = False
    markers: MarkerConfig = MarkerConfig()

    def __post_init__(self) -> None:
        for name in ("max_context_tokens", "max_entity_tokens"):
            if getattr(self, name) < 4:
                raise ValueError(f"{name} must be >= 4, got {getattr(self, name)}")
        if self.trainable_layers is not None and self.trainable_layers < 0:
            raise ValueError(f"trainable_layers must be >= 0 or None, got {self.trainable_layers}")


@dataclass(frozen=True)
class TrainConfig:
    """Fine-tuning with in-batch sampled softmax over scaled cosines and hard-negative rounds (thesis §4.2, Alg. 3)."""

    logit_multiplier: float = 50.0  # cosines are scaled by this before the softmax (thesis §6.5.4)
    batch_size: int = 32  # contexts per batch; each brings its positive and `negatives` negatives
    negatives: int = 7  # neg: negatives per context (thesis §6.5.3)
    # Rounds of hard-negative mining: each embeds the KB with the current model, takes every
    # context's negatives from its top-k (Alg. 3) and trains `steps_per_round` steps. 0 = one round
    # of the same length with uniformly random KB negatives (the in-batch ones stay).
    hard_negative_rounds: int = 1
    steps_per_round: int = 1000  # thesis: 2e4 in the first round, 1e5 after
    retrieval_k: int = 100  # Alg. 3's k: negatives are sampled from the top-k, k doubling when too few remain
    learning_rate: float = 1e-5  # Adam (thesis §5.2.2: lr 1e-5, betas 0.9 / 0.999)
    seed: int = 0
    embed_batch_size: int = 128  # texts per forward pass when embedding the KB or the contexts

    def __post_init__(self) -> None:
        for name in ("batch_size", "steps_per_round", "retrieval_k", "embed_batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("negatives", "hard_negative_rounds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.logit_multiplier <= 0:
            raise ValueError(f"logit_multiplier must be > 0, got {self.logit_multiplier}")

    @property
    def rounds(self) -> int:
        """Training rounds: one per hard-negative round, or one random-negative round."""
        return max(1, self.hard_negative_rounds)
