"""What a stage returns, and the fixed file names inside artifact directories."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PASSAGES_FILE = "passages.jsonl"
DOCUMENTS_FILE = "documents.jsonl"
WINDOWS_FILE = "windows.jsonl"
MENTIONS_FILE = "mention_contexts.jsonl"
PREVIEW_ROWS = 5


@dataclass(frozen=True)
class Summary:
    """What a stage wrote: the artifact directory, counts, a few preview rows and extra facts."""

    artifact: str
    path: Path
    counts: dict[str, Any]
    preview: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def preview(records: Sequence[Any]) -> list[dict[str, Any]]:
    return [r.to_json() for r in records[:PREVIEW_ROWS]]
