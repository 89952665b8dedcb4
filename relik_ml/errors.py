"""Errors raised on bad input: each names the file, the line and the field at fault."""
from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """Malformed input. `str()` reads `path:line: field: message` (parts omitted when unknown)."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        super().__init__(self._render())

    def _render(self) -> str:
        where = self.path or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        parts = [p for p in (where, f"field '{self.field}'" if self.field else "") if p]
        return ": ".join([*parts, self.message])
