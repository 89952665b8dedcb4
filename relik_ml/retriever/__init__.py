"""The ReLiK retriever: a shared bi-encoder trained with multi-label NCE and mined hard negatives.

configuration (RelikRetrieverConfig) → modeling (RelikRetrieverModel) → encoder (Retriever: texts,
tokenizer, batched encoding, save / load) → module (Lightning) → train (train_retriever).
"""
from __future__ import annotations

from relik_ml.retriever.bm25 import BM25
from relik_ml.retriever.config import RetrieverConfig, RetrieverTrainConfig
from relik_ml.retriever.configuration import RelikRetrieverConfig
from relik_ml.retriever.encoder import Retriever
from relik_ml.retriever.evaluate import evaluate_retrieval, recall_at_k, recall_with_kb
from relik_ml.retriever.loss import multilabel_nce
from relik_ml.retriever.modeling import RelikRetrieverModel
from relik_ml.retriever.train import RetrieverTrainSummary, train_retriever

__all__ = [
    "BM25",
    "RelikRetrieverConfig",
    "RelikRetrieverModel",
    "Retriever",
    "RetrieverConfig",
    "RetrieverTrainConfig",
    "RetrieverTrainSummary",
    "evaluate_retrieval",
    "multilabel_nce",
    "recall_at_k",
    "recall_with_kb",
    "train_retriever",
]
