"""Mewsli-9: `<lang>/mentions.tsv` (docid, position, length, mention, qid, lang, ...) + `<lang>/text/<docid>`.

`position`/`length` are character offsets into the plain-text article. Accepts one language folder
or a root holding several. Every file read stays inside the folder given: a docid names a file inside
`<lang>/text/` (an absolute docid, one with a `..` part or a symlink resolving outside `text/` is an
`InputError` at its row), and a `mentions.tsv`, `text/` or `<lang>/` folder that is a symlink
resolving outside the folder given is refused.
A `mentions.tsv` with a header and no rows gives no documents.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from relik_ml.formats._common import Where, check_name, check_span, confined, is_qid, parse_natural, read_text
from relik_ml.errors import InputError
from relik_ml.types import NME, Document, Span

_COLUMNS = ("docid", "position", "length", "mention", "qid")


def read_mewsli(path: str | Path) -> list[Document]:
    """Documents of one language folder, or of every `<lang>/` folder under a root."""
    path = Path(path)
    if (path / "mentions.tsv").is_file():
        return _read_language(path, path)
    folders = sorted(p for p in path.iterdir() if (p / "mentions.tsv").is_file()) if path.is_dir() else []
    if not folders:
        raise InputError("no mentions.tsv here nor in any <lang>/ subfolder", path=path)
    return [doc for folder in folders for doc in _read_language(folder, path)]


def _read_language(folder: Path, root: Path) -> list[Document]:
    table = confined(root, str((folder / "mentions.tsv").relative_to(root)), Where(folder / "mentions.tsv"))
    reader = csv.DictReader(io.StringIO(read_text(table)), delimiter="\t", quoting=csv.QUOTE_NONE)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(f"not a valid TSV row ({exc})", path=table, line=reader.line_num + 1) from None
    missing = [c for c in _COLUMNS if rows and c not in rows[0]]
    if missing:
        raise InputError("missing column in the header", path=table, line=1, field=missing[0])
    text_folder = confined(folder, "text", Where(table))
    spans: dict[str, list[Span]] = {}
    languages: dict[str, str] = {}
    texts: dict[str, str] = {}
    for number, row in enumerate(rows, start=2):
        where = Where(table, number)
        empty = next((c for c in _COLUMNS if row.get(c) is None), None)
        if empty:
            raise where.at(empty).error("missing value")
        doc_id = check_name(row["docid"], where.at("docid"))
        if doc_id not in texts:
            texts[doc_id] = read_text(confined(text_folder, doc_id, where.at("docid")))
        start = parse_natural(row["position"], where.at("position"))
        length = parse_natural(row["length"], where.at("length"))
        check_span(texts[doc_id], start, start + length, where.at("position"), row["mention"])
        label = row["qid"] if is_qid(row["qid"]) else NME
        spans.setdefault(doc_id, []).append(Span(start, start + length, label))
        languages[doc_id] = (row.get("lang") or "").strip() or folder.name
    return [Document(d, texts[d], tuple(sorted(spans[d], key=lambda s: (s.start, s.end))), language=languages[d])
            for d in texts]

