"""Load a local backbone directory as (tokenizer, encoder) and tell whether it is an E5 model."""
from __future__ import annotations

import re
from pathlib import Path

from transformers import AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from relik_ml.backbones.info import read_backbone_info
from relik_ml.errors import InputError
from relik_ml.io import read_json

_E5_NAME = re.compile(r"(?:^|[^a-z0-9])m?e5(?:[^a-z0-9]|$)")  # "multilingual-e5-small", "me5-small", "e5-base-v2"


def load_encoder(path: str | Path) -> tuple[PreTrainedTokenizerBase, PreTrainedModel]:
    """AutoTokenizer + AutoModel from local files only; remote code is never run."""
    path = Path(path)
    if not (path / "config.json").is_file():
        raise InputError("not a Hugging Face model directory (no config.json)", path=path)
    info = read_backbone_info(path)
    extra = {} if info is None or info.pooler else {"add_pooling_layer": False}
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True, trust_remote_code=False)
    model = AutoModel.from_pretrained(path, local_files_only=True, trust_remote_code=False, **extra)
    return tokenizer, model


def is_e5(path: str | Path) -> bool:
    """True when inputs need E5's "query: " / "passage: " prefixes (sidecar first, then names)."""
    path = Path(path)
    info = read_backbone_info(path)
    if info is not None:
        return info.e5
    names = [part.lower() for part in path.resolve().parts[-3:]]
    config = path / "config.json"
    if config.is_file():
        names.append(str(read_json(config).get("_name_or_path", "")).lower())
    return any(_E5_NAME.search(name) for name in names)
