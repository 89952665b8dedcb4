"""`MelBiEncoder`: one Transformer encoder for mention contexts and entity descriptions (thesis §4.1.1).

An input's embedding is the mean of its last hidden states over the attention mask, L2-normalised,
so a dot product is the cosine the thesis scales into logits. A saved encoder is one atomic artifact
directory: the HF encoder (`config.json`, `model.safetensors`), its tokenizer files, `mel_encoder.json`
(the `BiEncoderConfig`, prefixes resolved) and `manifest.json`; loading runs no remote code.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from relik_ml.backbones import is_e5, load_encoder, resolve_backbone
from relik_ml.errors import InputError
from relik_ml.io import atomic_directory, read_json, write_json, write_manifest
from relik_ml.mel.config import BiEncoderConfig, ContextConfig, MarkerConfig
from relik_ml.mel.contexts import ContextCutter
from relik_ml.retriever.configuration import E5_PASSAGE_PREFIX, E5_QUERY_PREFIX
from relik_ml.retriever.modeling import mean_pool

CONFIG_FILE = "mel_encoder.json"
ARTIFACT = "mel_bi_encoder"
Side = Literal["context", "entity"]


class MelBiEncoder(nn.Module):
    """Shared encoder + mean pooling + L2 normalisation, with the tokenizer and the input conventions."""

    def __init__(self, encoder: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, config: BiEncoderConfig) -> None:
        super().__init__()
        if config.context_prefix is None or config.entity_prefix is None:
            raise ValueError("MelBiEncoder needs resolved prefixes: build it with from_backbone or load")
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.config = config
        self.apply_trainable()

    @classmethod
    def from_backbone(cls, config: BiEncoderConfig = BiEncoderConfig()) -> MelBiEncoder:
        """Start from a pretrained backbone; `None` prefixes become its convention (E5: "query: "/"passage: ")."""
        path = resolve_backbone(config.backbone)
        tokenizer, encoder = load_encoder(path)
        e5 = is_e5(path)
        config = dataclasses.replace(
            config,
            context_prefix=config.context_prefix if config.context_prefix is not None else (E5_QUERY_PREFIX if e5 else ""),
            entity_prefix=config.entity_prefix if config.entity_prefix is not None else (E5_PASSAGE_PREFIX if e5 else ""),
        )
        return cls(encoder, tokenizer, config)

    @classmethod
    def load(cls, directory: str | Path) -> MelBiEncoder:
        """Read an encoder written by `save` (local files only, safetensors, no remote code)."""
        directory = Path(directory)
        tokenizer, encoder = load_encoder(directory)
        return cls(encoder, tokenizer, read_config(directory / CONFIG_FILE))

    def save(self, directory: str | Path, extra: Mapping[str, Any] | None = None) -> Path:
        """Write the encoder atomically (a crash leaves the previous one, or nothing)."""
        with atomic_directory(directory, artifact=ARTIFACT) as tmp:
            self.encoder.save_pretrained(tmp, safe_serialization=True)
            self.tokenizer.save_pretrained(tmp)
            write_json(tmp / CONFIG_FILE, dataclasses.asdict(self.config))
            write_manifest(tmp, artifact=ARTIFACT, config=self.config, extra=dict(extra or {}))
        return Path(directory)

    def apply_trainable(self) -> None:
        """Freeze what the config leaves untrained: the word embeddings and the layers below the top ones."""
        limit = self.config.trainable_layers
        for parameter in self.encoder.parameters():
            parameter.requires_grad = limit is None
        if limit is not None:
            layers = _layers(self.encoder)
            for layer in layers[max(0, len(layers) - limit) :]:
                for parameter in layer.parameters():
                    parameter.requires_grad = True
        self.encoder.get_input_embeddings().weight.requires_grad = self.config.train_embeddings

    def cutter(self) -> ContextCutter:
        """A context cutter whose budget fits `max_context_tokens` once the prefix and specials are added."""
        reserved = self.tokenizer.num_special_tokens_to_add() + _count(self.tokenizer, self.config.context_prefix)
        budget = max(1, self.config.max_context_tokens - reserved)
        return ContextCutter(self.tokenizer, ContextConfig(max_tokens=budget, markers=self.config.markers))

    @property
    def device(self) -> torch.device:
        return next(self.encoder.parameters()).device

    @property
    def dim(self) -> int:
        return int(self.encoder.config.hidden_size)

    def tokenize(self, texts: Sequence[str], side: Side) -> dict[str, torch.Tensor]:
        """Prefixed, truncated to the side's token limit, padded to the longest."""
        prefix = self.config.context_prefix if side == "context" else self.config.entity_prefix
        limit = self.config.max_context_tokens if side == "context" else self.config.max_entity_tokens
        encoded = self.tokenizer([f"{prefix}{t}" for t in texts], padding=True, truncation=True, max_length=limit,
                                 return_tensors="pt")
        return {k: v.to(self.device) for k, v in encoded.items()}

    def forward(self, inputs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Tokenised inputs (n, t) -> unit-length embeddings (n, d)."""
        output = self.encoder(**inputs)
        return nn.functional.normalize(mean_pool(output.last_hidden_state, inputs["attention_mask"]), dim=-1)

    def embed(self, texts: Sequence[str], side: Side, batch_size: int = 128) -> np.ndarray:
        """float32 (n, d) unit vectors in input order; batches grouped by length so little is padded."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        was_training = self.training
        self.eval()
        try:
            with torch.inference_mode():
                for start in range(0, len(order), batch_size):
                    rows = order[start : start + batch_size]
                    out[rows] = self(self.tokenize([texts[i] for i in rows], side)).float().cpu().numpy()
        finally:
            self.train(was_training)
        return out


def read_config(path: Path) -> BiEncoderConfig:
    """`mel_encoder.json` -> `BiEncoderConfig`; an unknown or mistyped key is an `InputError` naming it."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise InputError("expected a JSON object", path=path)
    known = {f.name for f in dataclasses.fields(BiEncoderConfig)}
    for key in data:
        if key not in known:
            raise InputError("unknown bi-encoder config field", path=path, field=key)
    markers = data.get("markers", {})
    if not isinstance(markers, dict) or set(markers) - {"open", "close"}:
        raise InputError("expected {open, close}", path=path, field="markers")
    try:
        return BiEncoderConfig(**{**data, "markers": MarkerConfig(**markers)})
    except (TypeError, ValueError) as exc:
        raise InputError(str(exc), path=path) from None


def _layers(encoder: PreTrainedModel) -> list[nn.Module]:
    """The encoder's Transformer layers, bottom first (BERT-style `encoder.layer`)."""
    stack = getattr(getattr(encoder, "encoder", None), "layer", None)
    if stack is None:
        raise ValueError(f"{type(encoder).__name__} has no encoder.layer stack to freeze")
    return list(stack)


def _count(tokenizer: PreTrainedTokenizerBase, text: str | None) -> int:
    return len(tokenizer(text, add_special_tokens=False)["input_ids"]) if text else 0
