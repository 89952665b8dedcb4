"""Load a local backbone directory as (tokenizer, encoder) and tell whether it is an E5 model."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

from safetensors import safe_open
from transformers import AutoConfig, AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase
from transformers.models.auto.modeling_auto import MODEL_MAPPING

from relik_ml.backbones.info import read_backbone_info
from relik_ml.errors import InputError
from relik_ml.io import read_json

WEIGHTS = "model.safetensors"
_E5_NAME = re.compile(r"(?:^|[^a-z0-9])m?e5(?:[^a-z0-9]|$)")  # "multilingual-e5-small", "me5-small", "e5-base-v2"


def load_encoder(path: str | Path) -> tuple[PreTrainedTokenizerBase, PreTrainedModel]:
    """AutoTokenizer + AutoModel from local files only; remote code is never run."""
    path = Path(path)
    if not (path / "config.json").is_file():
        raise InputError("not a Hugging Face model directory (no config.json)", path=path)
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True, trust_remote_code=False)
    model = AutoModel.from_pretrained(path, local_files_only=True, trust_remote_code=False, **_pooler_kwargs(path))
    return tokenizer, model


def _pooler_kwargs(path: Path) -> dict[str, bool]:
    """`add_pooling_layer=False` when the weights carry no pooler, so none is made up at random."""
    weights = path / WEIGHTS
    if not weights.is_file():
        return {}
    with safe_open(str(weights), "pt") as handle:
        if any(name.startswith("pooler.") or ".pooler." in name for name in handle.keys()):
            return {}
    config = AutoConfig.from_pretrained(path, local_files_only=True, trust_remote_code=False)
    model_class = MODEL_MAPPING[type(config)] if type(config) in MODEL_MAPPING else None
    takes_flag = model_class is not None and "add_pooling_layer" in inspect.signature(model_class.__init__).parameters
    return {"add_pooling_layer": False} if takes_flag else {}


def is_e5(path: str | Path) -> bool:
    """True when inputs need E5's "query: " / "passage: " prefixes (sidecar first, then names)."""
    path = Path(path).resolve()
    info = read_backbone_info(path)
    if info is not None:
        return info.e5
    names = [path.name.lower()]
    if path.parent.name == "snapshots":  # hub cache layout: models--org--name/snapshots/<revision>
        names.append(path.parent.parent.name.lower())
    config = path / "config.json"
    if config.is_file():
        names.append(str(read_json(config).get("_name_or_path", "")).lower())
    return any(_E5_NAME.search(name) for name in names)
