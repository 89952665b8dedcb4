"""`RelikRetrieverConfig`: every hyper-parameter of the ReLiK retriever, explicit and documented.

The retriever is one Transformer encoder shared by windows (queries) and passages, mean-pooled over
the attention mask and compared by dot product (ReLiK §3.1; defaults: Table 3). The config is the
`config.json` of a saved retriever (`RelikRetrieverModel.save_pretrained`) and the `model:` section
of a retriever stage in `params.yaml` (`from_settings`).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from huggingface_hub.dataclasses import strict
from transformers import AutoConfig, PretrainedConfig

from relik_ml.settings import config_from_settings

E5_QUERY_PREFIX = "query: "
E5_PASSAGE_PREFIX = "passage: "


@strict(accept_kwargs=True)
class RelikRetrieverConfig(PretrainedConfig):
    """Configuration of `RelikRetrieverModel` (shared encoder + mean pooling) and of its input texts."""

    model_type = "relik-retriever"

    # The encoder the retriever starts from: a backbone name (`backbones.KNOWN_BACKBONES`), a local HF
    # encoder directory or a trained retriever directory (ReLiK: E5). Read by `Retriever.from_backbone`.
    backbone: str = "minilm-l6"
    # Encoder config as a dict (`AutoConfig.for_model(**encoder)`, e.g. `BertConfig().to_dict()`);
    # filled in by `RelikRetrieverModel.from_encoder` when built from a backbone.
    encoder: dict[str, Any] | None = None
    # Tokens kept of the window (+ topic) side (ReLiK Table 3: 64).
    max_query_tokens: int = 64
    # Tokens kept of the passage side (ReLiK Table 3: 64).
    max_passage_tokens: int = 64
    # Encode `window.topic` (the first word of the document) as the second text of a pair.
    use_topic_pair: bool = True
    # Prepended to windows; None = the backbone's convention ("query: " for E5 backbones, else "").
    query_prefix: str | None = None
    # Prepended to passages; None = the backbone's convention ("passage: " for E5 backbones, else "").
    passage_prefix: str | None = None
    # Passage text = title + separator + text (the title alone when the text is empty).
    title_separator: str = ". "

    def __post_init__(self, **kwargs: Any) -> None:
        super().__post_init__(**kwargs)
        for name in ("max_query_tokens", "max_passage_tokens"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], field: str = "model") -> RelikRetrieverConfig:
        """A config from user settings (a params `model:` section); unknown keys are an `InputError` on
        `field` (the constructor itself keeps them as extra attributes, as HF configs do)."""
        return config_from_settings(cls, settings, field, "retriever")

    @property
    def is_resolved(self) -> bool:
        """True when both prefixes are set (a retriever can only be built from a resolved config)."""
        return self.query_prefix is not None and self.passage_prefix is not None

    def resolved(self, is_e5: bool) -> RelikRetrieverConfig:
        """A copy whose `None` prefixes are replaced by the backbone's convention."""
        query = self.query_prefix if self.query_prefix is not None else (E5_QUERY_PREFIX if is_e5 else "")
        passage = self.passage_prefix if self.passage_prefix is not None else (E5_PASSAGE_PREFIX if is_e5 else "")
        return dataclasses.replace(self, query_prefix=query, passage_prefix=passage)

    def to_json(self) -> dict[str, Any]:
        """The retriever's own settings (the encoder config left out), e.g. for a run's logged config."""
        return {name: getattr(self, name) for name in self.__annotations__ if name != "encoder"}


AutoConfig.register(RelikRetrieverConfig.model_type, RelikRetrieverConfig, exist_ok=True)
