"""The internal KB passage file (`passages.jsonl`, `relations.jsonl` of a model directory):
`{id, title, text, language?}` per line, `language` defaulting to "en" when missing or null.

`id`, `title` and `language` are non-empty strings, `text` a string (empty for a title-only passage);
a number or null in any of them is refused, never turned into "5" or "None". Every string is valid
Unicode (see `relik_ml.formats._common`).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from relik_ml.formats._common import Where, get, get_name, iter_records
from relik_ml.types import Passage


def iter_kb_passages(path: str | Path) -> Iterator[tuple[int, Passage]]:
    """`(line_number, passage)` for each record; a malformed record is an `InputError` at its line."""
    path = Path(path)
    for number, obj in iter_records(path):
        where = Where(path, number)
        yield number, Passage(
            id=get_name(obj, "id", where),
            title=get_name(obj, "title", where),
            text=get(obj, "text", str, where),
            language=get_name(obj, "language", where, "en"),
        )
