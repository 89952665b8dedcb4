"""`Retriever`: a `RelikRetrieverModel` with its tokenizer, from window and passage records to embeddings.

A saved retriever is one HF directory: `config.json` (`RelikRetrieverConfig`), `model.safetensors`
and the tokenizer files, written by `save_pretrained` and read by `from_pretrained` (local files
only, no remote code).
"""
from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from relik_ml import progress
from relik_ml.backbones import is_e5, load_encoder, resolve_backbone
from relik_ml.errors import InputError
from relik_ml.io import read_json
from relik_ml.retriever.configuration import RelikRetrieverConfig
from relik_ml.retriever.modeling import RelikRetrieverModel
from relik_ml.retriever.text import passage_text, window_text
from relik_ml.types import Passage, Window

CONFIG_FILE = "config.json"
Item = TypeVar("Item")


def is_retriever_dir(path: str | Path) -> bool:
    """True when `path` holds a saved retriever (its `config.json` is a `RelikRetrieverConfig`)."""
    config = Path(path) / CONFIG_FILE
    return config.is_file() and read_json(config).get("model_type") == RelikRetrieverConfig.model_type


def _check_saved_config(directory: Path) -> None:
    """A saved config with a key the retriever does not know is an `InputError` naming the key."""
    path = directory / CONFIG_FILE
    if not is_retriever_dir(directory):
        raise InputError(f"not a retriever directory (no {CONFIG_FILE} of model_type "
                         f"'{RelikRetrieverConfig.model_type}')", path=directory)
    known = {f.name for f in dataclasses.fields(RelikRetrieverConfig)} | {"model_type"}
    for key in read_json(path):
        if key not in known:
            raise InputError("unknown retriever config field", path=path, field=key)


class Retriever(nn.Module):
    """Bi-encoder whose single encoder embeds both windows (queries) and passages."""

    def __init__(self, model: RelikRetrieverModel, tokenizer: PreTrainedTokenizerBase) -> None:
        super().__init__()
        if not model.config.is_resolved:
            raise ValueError("Retriever needs a resolved config: call config.resolved(is_e5) first")
        self.model = model
        self.tokenizer = tokenizer

    @property
    def config(self) -> RelikRetrieverConfig:
        return self.model.config

    @property
    def encoder(self) -> nn.Module:
        return self.model.encoder

    @classmethod
    def from_backbone(cls, config: RelikRetrieverConfig) -> Retriever:
        """Start from `config.backbone`: a pretrained encoder, or a trained retriever directory whose
        prefixes fill the unset ones of `config` (local files only)."""
        path = resolve_backbone(config.backbone)
        config = dataclasses.replace(config, encoder=None)
        if is_retriever_dir(path):
            trained = cls.from_pretrained(path)
            query, passage = config.query_prefix, config.passage_prefix
            config = dataclasses.replace(
                config,
                query_prefix=trained.config.query_prefix if query is None else query,
                passage_prefix=trained.config.passage_prefix if passage is None else passage,
            )
            return cls(RelikRetrieverModel.from_encoder(trained.encoder, config), trained.tokenizer)
        tokenizer, encoder = load_encoder(path)
        return cls(RelikRetrieverModel.from_encoder(encoder, config.resolved(is_e5(path))), tokenizer)

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> Retriever:
        """Load a retriever written by `save_pretrained` (safetensors, no remote code)."""
        directory = Path(directory)
        _check_saved_config(directory)
        model = RelikRetrieverModel.from_pretrained(directory, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True, trust_remote_code=False)
        return cls(model, tokenizer)

    def save_pretrained(self, directory: str | Path) -> None:
        """Write the model (config.json + model.safetensors) and its tokenizer."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(directory, safe_serialization=True)
        self.tokenizer.save_pretrained(directory)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @property
    def dim(self) -> int:
        return int(self.encoder.config.hidden_size)

    def forward(self, inputs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Embed tokenised inputs: input_ids (n, t) -> embeddings (n, d)."""
        return self.model(**inputs)

    def window_inputs(self, windows: Sequence[Window]) -> dict[str, torch.Tensor]:
        """Tokenise windows (with their topic as second text when configured), padded to the longest."""
        texts = [window_text(w, self.config) for w in windows]
        firsts = [text for text, _ in texts]
        pairs = [pair or "" for _, pair in texts] if any(pair for _, pair in texts) else None
        return self._tokenize(firsts, pairs, self.config.max_query_tokens)

    def passage_inputs(self, passages: Sequence[Passage]) -> dict[str, torch.Tensor]:
        """Tokenise passages (`title + separator + text`), padded to the longest."""
        texts = [passage_text(p, self.config) for p in passages]
        return self._tokenize(texts, None, self.config.max_passage_tokens)

    def _tokenize(self, texts: list[str], pairs: list[str] | None, max_length: int) -> dict[str, torch.Tensor]:
        encoded = self.tokenizer(
            texts, pairs, padding=True, truncation=True, max_length=max_length, return_tensors="pt"
        )
        return dict(encoded)

    def encode_windows(
        self, windows: Sequence[Window], batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        """Embed windows in length-sorted batches: float32 (n, d) in the input order."""
        size = [len(w.text) + len(w.topic) for w in windows]
        return self._encode(windows, self.window_inputs, size, batch_size, show_progress)

    def encode_passages(
        self, passages: Sequence[Passage], batch_size: int = 128, show_progress: bool = False
    ) -> np.ndarray:
        """Embed passages in length-sorted batches: float32 (n, d) in the input order."""
        size = [len(p.title) + len(p.text) for p in passages]
        return self._encode(passages, self.passage_inputs, size, batch_size, show_progress)

    def _encode(
        self,
        items: Sequence[Item],
        tokenize: Callable[[Sequence[Item]], dict[str, torch.Tensor]],
        size: Sequence[int],
        batch_size: int,
        show_progress: bool,
    ) -> np.ndarray:
        """Encode longest-first (character length), so each batch pads to similar lengths."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        order = sorted(range(len(items)), key=lambda i: size[i], reverse=True)
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        starts = range(0, len(order), batch_size)
        with self._inference():
            for start in tqdm(starts, desc="encoding", unit="batch", disable=not show_progress):
                batch = order[start : start + batch_size]
                inputs = {k: v.to(self.device) for k, v in tokenize([items[i] for i in batch]).items()}
                out[batch] = self(inputs).float().cpu().numpy()  # (b, d) back to input positions
                progress.report(start + len(batch), len(order), "texts")
        return out

    @contextlib.contextmanager
    def _inference(self) -> Iterator[None]:
        """Eval mode, no gradients and fp16 autocast on CUDA; the previous mode is restored."""
        was_training = self.training
        self.eval()
        device_type = self.device.type
        try:
            with torch.inference_mode(), torch.autocast(device_type, torch.float16, enabled=device_type == "cuda"):
                yield
        finally:
            self.train(was_training)
