"""The ReLiK retriever: one shared Transformer encoder, mean pooling, dot-product similarity."""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from relik_ml.backbones import is_e5, load_encoder, resolve_backbone
from relik_ml.errors import InputError
from relik_ml.io import read_json, write_json
from relik_ml.retriever.config import RetrieverConfig
from relik_ml.retriever.text import passage_text, window_text
from relik_ml.types import Passage, Window

CONFIG_FILE = "retriever_config.json"
Item = TypeVar("Item")


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average token states over the attention mask: (n, t, d), (n, t) -> (n, d)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (n, t, 1)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


def _resolve_prefixes(config: RetrieverConfig, backbone: Path) -> RetrieverConfig:
    """Fill unset prefixes from a trained retriever's saved config, else from the backbone's E5-ness."""
    saved = backbone / CONFIG_FILE
    if not saved.exists():
        return config.resolved(is_e5(backbone))
    previous = RetrieverConfig.from_json(read_json(saved), path=saved)
    query = config.query_prefix if config.query_prefix is not None else previous.query_prefix
    passage = config.passage_prefix if config.passage_prefix is not None else previous.passage_prefix
    return replace(config, query_prefix=query, passage_prefix=passage)


class Retriever(nn.Module):
    """Bi-encoder whose single encoder embeds both windows (queries) and passages."""

    def __init__(self, encoder: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, config: RetrieverConfig) -> None:
        super().__init__()
        if config.query_prefix is None or config.passage_prefix is None:
            raise ValueError("Retriever needs a resolved config: call config.resolved(is_e5) first")
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.config = config

    @classmethod
    def from_backbone(cls, config: RetrieverConfig) -> Retriever:
        """Load `config.backbone`: a pretrained encoder or a trained retriever directory (local files only)."""
        path = resolve_backbone(config.backbone)
        tokenizer, encoder = load_encoder(path)
        return cls(encoder, tokenizer, _resolve_prefixes(config, path))

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> Retriever:
        """Load a retriever written by `save_pretrained` (safetensors, no remote code)."""
        directory = Path(directory)
        config_path = directory / CONFIG_FILE
        if not config_path.exists():
            raise InputError(f"not a retriever directory (no {CONFIG_FILE})", path=directory)
        config = RetrieverConfig.from_json(read_json(config_path), path=config_path)
        tokenizer, encoder = load_encoder(directory)
        return cls(encoder, tokenizer, config)

    def save_pretrained(self, directory: str | Path) -> None:
        """Write the HF encoder (safetensors), its tokenizer and `retriever_config.json`."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(directory)
        self.tokenizer.save_pretrained(directory)
        write_json(directory / CONFIG_FILE, self.config.to_json())

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @property
    def dim(self) -> int:
        return int(self.encoder.config.hidden_size)

    def forward(self, inputs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Embed tokenised inputs: input_ids (n, t) -> embeddings (n, d)."""
        hidden = self.encoder(**inputs).last_hidden_state  # (n, t, d)
        return mean_pool(hidden, inputs["attention_mask"])

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
