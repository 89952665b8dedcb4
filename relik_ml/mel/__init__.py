"""Multilingual dense entity linking (the thesis, seed 004): one bi-encoder for contexts and entities.

contexts (mention-centred, marked, token-bounded) | kb (entities by QID, language preference) →
encoder (`MelBiEncoder`: shared encoder, mean pooling, cosine; save / load) → negatives (Alg. 3) +
loss (in-batch sampled softmax over scaled cosines) → train (rounds) → evaluate (ranked lists, R@K).
Baselines as ranked lists: rankers (alias table, string similarity) and embedding_alias (OLPEAT).
dbp15k_task: cross-lingual name linking on DBP15K.
"""
from __future__ import annotations

from relik_ml.mel.config import BiEncoderConfig, ContextConfig, MarkerConfig, TrainConfig
from relik_ml.mel.contexts import ContextCutter, MarkedContext, damuel_contexts, mewsli_contexts, read_mention_contexts
from relik_ml.mel.dbp15k_task import NameLinkingTask, NameMention, SplitConfig, name_linking_task, read_leads
from relik_ml.mel.embedding_alias import EmbeddingAlias, EmbeddingAliasConfig
from relik_ml.mel.encoder import MelBiEncoder
from relik_ml.mel.evaluate import rank_by_embeddings, recall_at_k
from relik_ml.mel.kb import EntityKB, KBConfig, MelEntity, entity_text, kb_from_damuel
from relik_ml.mel.negatives import MinedNegatives, mine_hard_negatives, random_negatives
from relik_ml.mel.rankers import alias_table_rankings, build_alias_table, multilingual_key, string_similarity_rankings
from relik_ml.mel.train import TrainSummary, train_bi_encoder

__all__ = [
    "BiEncoderConfig",
    "ContextConfig",
    "ContextCutter",
    "EmbeddingAlias",
    "EmbeddingAliasConfig",
    "EntityKB",
    "KBConfig",
    "MarkedContext",
    "MarkerConfig",
    "MelBiEncoder",
    "MelEntity",
    "MinedNegatives",
    "NameLinkingTask",
    "NameMention",
    "SplitConfig",
    "TrainConfig",
    "TrainSummary",
    "alias_table_rankings",
    "build_alias_table",
    "damuel_contexts",
    "entity_text",
    "kb_from_damuel",
    "mewsli_contexts",
    "mine_hard_negatives",
    "multilingual_key",
    "name_linking_task",
    "random_negatives",
    "rank_by_embeddings",
    "read_leads",
    "read_mention_contexts",
    "recall_at_k",
    "string_similarity_rankings",
    "train_bi_encoder",
]
