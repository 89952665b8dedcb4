"""`relik_backbone.json`: what a backbone directory needs that HF's own files do not say."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from relik_ml.errors import InputError
from relik_ml.io import read_json, write_json

BACKBONE_INFO = "relik_backbone.json"


@dataclass(frozen=True)
class BackboneInfo:
    """Sidecar facts about a backbone directory."""

    name: str  # short name ("me5-small", "tiny", ...)
    e5: bool = False  # inputs take E5's "query: " / "passage: " prefixes


def write_backbone_info(directory: Path, info: BackboneInfo) -> None:
    """Write the sidecar into `directory`."""
    write_json(Path(directory) / BACKBONE_INFO, info)


def read_backbone_info(directory: Path) -> BackboneInfo | None:
    """Read the sidecar of `directory`, or None when it has none."""
    path = Path(directory) / BACKBONE_INFO
    if not path.is_file():
        return None
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise InputError("expected an object with a string 'name'", path=path, field="name")
    if not isinstance(data.get("e5", False), bool):
        raise InputError("expected true or false", path=path, field="e5")
    return BackboneInfo(name=data["name"], e5=data.get("e5", False))
