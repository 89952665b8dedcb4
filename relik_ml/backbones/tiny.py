"""A deterministic, randomly initialised small BERT with MiniLM's real vocabulary, for tests."""
from __future__ import annotations

import shutil
from pathlib import Path

import torch
from transformers import BertConfig, BertModel

from relik_ml.backbones.info import BackboneInfo, write_backbone_info
from relik_ml.backbones.registry import resolve_backbone
from relik_ml.io import atomic_directory, read_json, write_json, write_manifest

TOKENIZER_FILES = ("tokenizer.json", "special_tokens_map.json", "vocab.txt")
TOKENIZER_CONFIG = "tokenizer_config.json"


def tiny_backbone(
    directory: Path,
    *,
    hidden_size: int = 32,
    num_layers: int = 2,
    num_heads: int = 2,
    max_positions: int = 512,
    seed: int = 0,
) -> Path:
    """Write a random `BertModel` (seeded, global RNG untouched) plus MiniLM's tokenizer to `directory`."""
    minilm = resolve_backbone("minilm-l6")
    config = BertConfig(
        vocab_size=BertConfig.from_pretrained(minilm).vocab_size,
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        intermediate_size=4 * hidden_size,
        max_position_embeddings=max_positions,
        architectures=["BertModel"],
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = BertModel(config)
    with atomic_directory(directory, artifact="backbone") as tmp:
        model.save_pretrained(tmp)
        for name in TOKENIZER_FILES:
            shutil.copyfile(minilm / name, tmp / name)
        tokenizer_config = read_json(minilm / TOKENIZER_CONFIG)
        write_json(tmp / TOKENIZER_CONFIG, {**tokenizer_config, "model_max_length": max_positions})
        write_backbone_info(tmp, BackboneInfo(name="tiny"))
        write_manifest(tmp, artifact="backbone", config={"name": "tiny", "hidden_size": hidden_size,
                                                         "num_layers": num_layers, "num_heads": num_heads,
                                                         "max_positions": max_positions, "seed": seed})
    return Path(directory)
