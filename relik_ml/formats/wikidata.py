"""Wikidata properties JSON: `{"total": N, "properties": {"P6": {pid, label, description, datatype}}}`.

Relation passages: id = PID, title = label (the PID when the label is empty), text = description.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from relik_ml.errors import InputError
from relik_ml.formats._common import Where, check_name, check_strings, check_type, get, get_name, read_text
from relik_ml.types import Passage


def read_wikidata_properties(
    path: str | Path,
    *,
    drop_datatypes: Sequence[str] = ("external-id",),
    require_description: bool = False,
) -> list[Passage]:
    """Relation passages, without the `drop_datatypes` and, if asked, without those lacking a description."""
    path = Path(path)
    text = read_text(path)
    root = _parse(text, path)
    where = Where(path)
    check_strings(root, where)
    properties = get(root, "properties", dict, where)
    total = get(root, "total", int, where, len(properties))
    if total != len(properties):
        raise where.at("total").error(f"says {total} properties, the file has {len(properties)}")
    lines = _key_lines(text)
    passages = [_passage(pid, entry, Where(path, lines.get(pid), f"properties.{pid}"))
                for pid, entry in properties.items()]
    entries = properties.values()
    return [p for p, e in zip(passages, entries)
            if e["datatype"] not in drop_datatypes and (p.text or not require_description)]


def _key_lines(text: str) -> dict[str, int]:
    """The line of each property key, for error messages."""
    lines: dict[str, int] = {}
    line, counted = 1, 0
    for match in re.finditer(r'"(P[0-9]+)"\s*:\s*\{', text):
        line, counted = line + text.count("\n", counted, match.start()), match.start()
        lines.setdefault(match.group(1), line)
    return lines


def _parse(text: str, path: Path) -> Any:
    """Parse the JSON, refusing duplicate keys (a repeated PID would silently overwrite)."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON ({exc.msg} at column {exc.colno})", path=path, line=exc.lineno) from None
    except RecursionError:
        raise InputError("JSON nested too deeply", path=path) from None
    except _DuplicateKey as exc:
        keys = [m.start() for m in re.finditer(rf'"{re.escape(exc.key)}"\s*:', text)]
        line = text.count("\n", 0, keys[1]) + 1 if len(keys) > 1 else None
        raise InputError(f"duplicate key {exc.key!r}", path=path, line=line, field=exc.key) from None


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _DuplicateKey(key)
        obj[key] = value
    return obj


def _passage(pid: str, entry: Any, where: Where) -> Passage:
    check_name(pid, where)
    check_type(entry, dict, where)
    if get_name(entry, "pid", where, pid) != pid:
        raise where.at("pid").error(f"{entry['pid']!r} differs from its key {pid!r}")
    get(entry, "datatype", str, where)
    label = get(entry, "label", str, where)
    return Passage(pid, label or pid, get(entry, "description", str, where, ""))
