"""Helpers shared by the format readers: positions for errors, typed field access, span checks, and the
hostile-input rules every reader follows:

- files: a path that is not a regular file (missing, a directory) is an `InputError`; a file named by
  the data (a Mewsli-9 docid) must stay inside its dataset folder (`confined`): no absolute name, no
  `..`, no symlink that resolves outside.
- ids, titles and languages are non-empty strings (`get_name`); a number or null is refused, never
  turned into "5" or "None".
- text is valid Unicode: a JSON record holding a lone surrogate ("\\ud800") anywhere, in a key or a
  value, is refused with the file, the line and the field path of that string (`check_strings`).
- an empty file gives no records (each reader's result is then empty); the registry in
  `relik_ml.formats` refuses a read that yields no record at all.
"""
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

from relik_ml.arguments import file_problem
from relik_ml.errors import InputError
from relik_ml.io import iter_jsonl, open_text

log = logging.getLogger("relik_ml.formats")

_KIND_NAMES = {str: "a string", int: "an integer", list: "a list", dict: "an object", bool: "a boolean"}
_MISSING = object()
_QID = re.compile(r"Q[1-9][0-9]*")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NATURAL = re.compile(r"[0-9]{1,18}")  # ASCII digits only ("²".isdigit() is True); at most 18 digits


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


def get_name(obj: Any, name: str, where: Where, default: Any = _MISSING) -> str:
    """An id, title or language at `obj[name]`: a string with something besides whitespace."""
    return check_name(get(obj, name, str, where, default), where.at(name))


def check_name(value: str, where: Where) -> str:
    if not value.strip():
        raise where.error("empty (an id, title or language must be a non-empty string)")
    return value


def check_unicode(value: str, where: Where) -> str:
    """Return `value` unless it holds a lone surrogate (text no encoder or tokenizer can take)."""
    match = _SURROGATE.search(value)
    if match:
        raise where.error(f"lone surrogate U+{ord(match.group()):04X} at character {match.start()} (not valid Unicode)")
    return value


def check_strings(obj: Any, where: Where) -> Any:
    """Return a parsed JSON value after checking every string in it, keys included, with `check_unicode`."""
    stack = [(obj, where)]
    while stack:
        value, at = stack.pop()
        if isinstance(value, str):
            check_unicode(value, at)
        elif isinstance(value, dict):
            for key, item in value.items():
                field = at.at(key.encode("utf-8", "backslashreplace").decode("utf-8"))
                check_unicode(key, field)
                stack.append((item, field))
        elif isinstance(value, list):
            stack.extend((item, at.at(i)) for i, item in enumerate(value))
    return obj


def parse_natural(value: str | None, where: Where) -> int:
    """A non-negative integer written in ASCII digits (surrounding whitespace allowed)."""
    if value is None or not _NATURAL.fullmatch(value.strip()):
        raise where.error(f"expected a non-negative integer, got {value!r:.60}")
    return int(value)


def confined(root: Path, name: str, where: Where) -> Path:
    """`root / name` (as given, not resolved), refused unless it stays inside `root` once resolved.

    `name` comes from the data (a document id naming its text file): an empty name, an absolute
    one, a `..` part, a NUL byte or a symlink that resolves outside `root` is an `InputError`.
    """
    parts = Path(name).parts
    if not name.strip() or "\x00" in name or Path(name).is_absolute() or ".." in parts:
        raise where.error(f"{name!r:.80} does not name a file inside the dataset folder {root}")
    base = root.resolve()
    target = (root / name).resolve()
    if not target.is_relative_to(base):
        raise where.error(f"{name!r:.80} resolves to {target}, outside the dataset folder {base}")
    return root / name


def require_file(path: Path) -> Path:
    """`path` if it is a regular file (or a symlink to one), else an `InputError` saying what it is."""
    if (problem := file_problem(path)) is not None:
        raise InputError(problem, path=path)
    return path


def iter_records(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """`relik_ml.io.iter_jsonl` for format readers: a regular file only, every string valid Unicode."""
    path = require_file(Path(path))
    try:
        for number, obj in iter_jsonl(path):
            yield number, check_strings(obj, Where(path, number))
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror or exc})", path=path) from None


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
    """Read a whole UTF-8 file (optionally compressed); bad bytes name their line.

    Strict UTF-8 never yields a lone surrogate (their encoded bytes are refused as invalid)."""
    path = require_file(Path(path))
    try:
        handle = open_text(path)
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror or exc})", path=path) from None
    with handle:
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
        except RecursionError:
            raise InputError("JSON nested too deeply", path=path, line=line) from None
        yield line, check_strings(item, Where(path, line))
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
