"""`RelikRetrieverModel`: the ReLiK retriever's network, one shared encoder and mean pooling.

Windows (queries) and passages go through the same encoder; an input's embedding is the mean of its
last hidden states over the attention mask, and a passage's score for a window is the dot product
of their embeddings (ReLiK §3.1). Text formatting, tokenisation and batched encoding are
`encoder.Retriever`'s job.
"""
from __future__ import annotations

import inspect

import torch
from transformers import AutoConfig, AutoModel, PreTrainedModel
from transformers.models.auto.modeling_auto import MODEL_MAPPING

from relik_ml.retriever.configuration import RelikRetrieverConfig


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average token states over the attention mask: (n, t, d), (n, t) -> (n, d)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (n, t, 1)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


def _encoder_from_config(encoder: dict) -> PreTrainedModel:
    """An encoder with random weights from its config dict, without the pooler that mean pooling never reads."""
    encoder = dict(encoder)
    config = AutoConfig.for_model(encoder.pop("model_type", "bert"), **encoder)
    model_class = MODEL_MAPPING[type(config)] if type(config) in MODEL_MAPPING else None
    takes_flag = model_class is not None and "add_pooling_layer" in inspect.signature(model_class.__init__).parameters
    return AutoModel.from_config(config, **({"add_pooling_layer": False} if takes_flag else {}))


class RelikRetrieverModel(PreTrainedModel):
    """ReLiK retriever: encoder (AutoModel from `config.encoder`) + mean pooling."""

    config_class = RelikRetrieverConfig
    base_model_prefix = "encoder"

    def __init__(self, config: RelikRetrieverConfig) -> None:
        super().__init__(config)
        if config.encoder is None:
            raise ValueError("config.encoder is not set: build the model with `RelikRetrieverModel.from_encoder`")
        self.encoder = _encoder_from_config(config.encoder)
        self.post_init()

    def _init_weights(self, module: torch.nn.Module) -> None:
        """No own weights: the encoder's come from its backbone or from the saved retriever."""

    @classmethod
    def from_encoder(cls, encoder: PreTrainedModel, config: RelikRetrieverConfig) -> RelikRetrieverModel:
        """A retriever on a loaded (pretrained) encoder; `config.encoder` is set from it."""
        config.encoder = encoder.config.to_dict()
        with torch.random.fork_rng(devices=[]):  # the throw-away random init must not move the training seed's RNG
            model = cls(config)
        missing, unexpected = model.encoder.load_state_dict(encoder.state_dict(), strict=False)
        if missing or any(not name.startswith("pooler.") for name in unexpected):
            raise ValueError(f"encoder weights do not fit its config: missing {missing}, unexpected {unexpected}")
        return model.to(encoder.dtype).eval()

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Embed tokenised inputs: input_ids (n, t) -> embeddings (n, d)."""
        extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
        output = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **extra)
        return mean_pool(output.last_hidden_state, attention_mask)  # (n, t, d) -> (n, d)


AutoModel.register(RelikRetrieverConfig, RelikRetrieverModel, exist_ok=True)
