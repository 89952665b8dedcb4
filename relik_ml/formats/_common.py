"""Helpers shared by the format readers: positions for errors, typed field access, span checks."""
from __future__ import annotations

import json
import logging
import lzma
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from relik_ml.errors import InputError
from relik_ml.io import open_text

log = logging.getLogger("relik_ml.formats")

_KIND_NAMES = {str: "a string", int: "an integer", list: "a list", dict: "an object", bool: "a boolean"}
_MISSING = object()
_QID = re.compile(r"Q[1-9][0-9]*")


@dataclass(frozen=True)
class Where:
    """A place in an input file: the path, the line (when known) and the field path inside the record."""

    path: Path
    line: int | None = None
    field: str = ""

    def at(self, name: str | int) -> Where:
        """The place of a child: a key (`str`) or a list index (`int`)."""
        if isinstance(name, int):
            return Where(self.path, self.line, f"{self.field}[{name}]")
        return Where(self.path, self.line, f"{self.field}.{name}" if self.field else name)

    def error(self, message: str) -> InputError:
        return InputError(message, path=self.path, line=self.line, field=self.field or None)


def check_type(value: Any, kind: type, where: Where) -> Any:
    """Return `value` if it is a `kind` (bools are not integers), else raise."""
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise where.error(f"expected {_KIND_NAMES[kind]}, got {type(value).__name__}")
    return value


def get(obj: Any, name: str, kind: type, where: Where, default: Any = _MISSING) -> Any:
    """Typed access to `obj[name]`; a missing or null value raises unless a default is given."""
    check_type(obj, dict, where)
    if obj.get(name) is None:
        if default is not _MISSING:
            return default
        raise where.at(name).error("missing")
    return check_type(obj[name], kind, where.at(name))


def get_pair(obj: Any, name: str, where: Where) -> tuple[int, int]:
    """An `[start, end]` integer pair at `obj[name]`."""
    pair = get(obj, name, list, where)
    if len(pair) != 2:
        raise where.at(name).error(f"expected [start, end], got {len(pair)} values")
    return check_type(pair[0], int, where.at(name).at(0)), check_type(pair[1], int, where.at(name).at(1))


def check_span(text: str, start: int, end: int, where: Where, surface: str | None = None) -> None:
    """Raise unless `0 <= start < end <= len(text)` and, when given, `text[start:end] == surface`."""
    if not 0 <= start < end <= len(text):
        raise where.error(f"span [{start}, {end}) out of range for a text of {len(text)} characters")
    if surface is not None and text[start:end] != surface:
        raise where.error(f"span [{start}, {end}) reads {text[start:end]!r}, expected {surface!r}")


def claim_id(seen: dict[str, Where], item_id: str, where: Where) -> None:
    """Record `item_id`; raise if an earlier record already used it."""
    if item_id in seen:
        first = seen[item_id]
        at = f"line {first.line}" if first.line is not None else str(first.path)
        raise where.error(f"duplicate id {item_id!r} (first seen at {at})")
    seen[item_id] = where


def read_text(path: str | Path) -> str:
    """Read a whole UTF-8 file (optionally compressed); bad bytes name their line."""
    path = Path(path)
    with open_text(path) as handle:
        try:
            data = handle.read()
        except (EOFError, OSError, lzma.LZMAError) as exc:
            raise InputError(f"truncated or corrupt compressed file ({exc})", path=path) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"not valid UTF-8 (byte {exc.start})", path=path, line=line) from None


def iter_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """Yield `(line_number, line)` without the line terminator."""
    for number, line in enumerate(read_text(path).split("\n"), start=1):
        yield number, line.rstrip("\r")


def iter_json_list(path: str | Path) -> Iterator[tuple[int, Any]]:
    """Yield `(line_number, item)` for each item of a top-level JSON list, parsed one at a time."""
    path = Path(path)
    text = read_text(path)
    decoder = json.JSONDecoder()
    pos = _skip_space(text, 0)
    line, counted = 1, 0
    if not text.startswith("[", pos):
        raise InputError("expected a JSON list of records", path=path, line=text.count("\n", 0, pos) + 1)
    pos = _skip_space(text, pos + 1)
    while not text.startswith("]", pos):
        line, counted = line + text.count("\n", counted, pos), pos
        try:
            item, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON ({exc.msg})", path=path, line=exc.lineno) from None
        yield line, item
        pos = _skip_space(text, end)
        if text.startswith(",", pos):
            pos = _skip_space(text, pos + 1)
        elif not text.startswith("]", pos):
            raise InputError("invalid JSON (expected ',' or ']')", path=path, line=text.count("\n", 0, pos) + 1)


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def is_qid(value: str) -> bool:
    return bool(_QID.fullmatch(value))


def title_from_url(url: str, marker: str) -> str:
    """The page title after `marker` (e.g. `/wiki/`) in a URL, percent-decoded, spaces for underscores."""
    return unquote(url.split(marker, 1)[1]).replace("_", " ")


def fold(text: str) -> str:
    """Strip diacritics character by character, so offsets in the result equal offsets in `text`."""
    return "".join(_fold_char(ch) for ch in text)


def _fold_char(ch: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return base if len(base) == 1 else ch


def find_word(text: str, surface: str) -> int:
    """First whole-word occurrence of `surface` in `text` (then ignoring diacritics), or -1."""
    for haystack, needle in ((text, surface), (fold(text), fold(surface))):
        match = re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack)
        if match:
            return match.start()
    return -1


def natural_key(value: str) -> list[Any]:
    """Sort key that orders embedded numbers numerically (`doc-2` before `doc-10`)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", value)]


def note(stats: Counter | None, key: str, count: int = 1) -> None:
    """Add to an optional caller-supplied counter of skipped or repaired items."""
    if stats is not None and count:
        stats[key] += count
