"""Summarise a resolved backbone as JSON-ready facts (the pipeline's pointer file per backbone)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from safetensors import safe_open

from relik_ml.backbones.encoder import WEIGHTS, is_e5
from relik_ml.backbones.registry import resolve_backbone
from relik_ml.io import file_sha256, read_json


def describe_backbone(name_or_path: str, cache_dir: Path | None = None) -> dict[str, Any]:
    """Resolve `name_or_path`, then report its directory, architecture, size, weight hash and E5-ness."""
    path = resolve_backbone(name_or_path, cache_dir)
    config = read_json(path / "config.json")
    weights = path / WEIGHTS
    return {
        "name": name_or_path,
        "path": str(path),
        "model_type": config.get("model_type"),
        "hidden_size": config.get("hidden_size"),
        "layers": config.get("num_hidden_layers"),
        "max_positions": config.get("max_position_embeddings"),
        "vocab_size": config.get("vocab_size"),
        "parameters": parameter_count(weights) if weights.is_file() else None,
        "weights_bytes": weights.stat().st_size if weights.is_file() else None,
        "weights_sha256": file_sha256(weights) if weights.is_file() else None,
        "e5": is_e5(path),
    }


def parameter_count(weights: Path) -> int:
    """Number of floating-point weights in a safetensors file (index buffers excluded)."""
    total = 0
    with safe_open(str(weights), "pt") as handle:
        for name in handle.keys():
            tensor = handle.get_slice(name)
            if tensor.get_dtype() in ("F16", "BF16", "F32", "F64"):
                total += math.prod(tensor.get_shape())
    return total
