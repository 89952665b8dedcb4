"""Readers for external data formats, into the internal Document / Passage / MentionContext records.

Each registry entry takes a list of paths plus reader options. Per-file readers are applied to each
path in turn and the results concatenated; ids must stay unique across the files. "aida" takes the
annotation TSV first, then the CoNLL-2003 token files in document order.

An empty file gives no records, but a read whose files give no record at all is an `InputError`
(scoring or counting zero documents would report a silently wrong 0.0). An unknown format name is an
`InputError` on the field "format". The rules every reader follows on hostile input are listed in
`relik_ml.formats._common`.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from relik_ml.errors import InputError
from relik_ml.formats.aida import read_aida
from relik_ml.formats.conll04 import read_conll04
from relik_ml.formats.damuel import read_damuel_passages
from relik_ml.formats.damuel_links import read_damuel_documents, read_damuel_mentions
from relik_ml.formats.elevant import read_elevant
from relik_ml.formats.kilt import read_kilt_anchor_documents, read_kilt_passages
from relik_ml.formats.kilt_el import read_kilt_el
from relik_ml.formats.mewsli import read_mewsli
from relik_ml.formats.nel import read_nel, read_nel_kb
from relik_ml.formats.nif import read_nif
from relik_ml.formats.nyt import read_nyt
from relik_ml.formats.rebel import read_rebel
from relik_ml.formats.wikidata import read_wikidata_properties
from relik_ml.types import Document, MentionContext, Passage

Reader = Callable[..., list[Any]]


def _per_file(reader: Reader, key: Callable[[Any], str]) -> Reader:
    """Apply a one-file reader to every path; an id seen in an earlier file is an error."""

    def read(paths: Sequence[Path], **options: Any) -> list[Any]:
        records, owner = [], {}
        for path in paths:
            for record in reader(path, **options):
                if key(record) in owner:
                    raise InputError(f"duplicate id {key(record)!r} (also in {owner[key(record)]})", path=path)
                owner[key(record)] = path
                records.append(record)
        return records

    return read


def _doc_key(doc: Document) -> str:
    return doc.id


def _passage_key(passage: Passage) -> str:
    return f"{passage.language}:{passage.id}"


def _aida(paths: Sequence[Path], **options: Any) -> list[Document]:
    if len(paths) < 2:
        raise InputError("aida needs the annotation TSV followed by the CoNLL-2003 files", field="paths")
    return read_aida(paths[0], *paths[1:], **options)


DOCUMENT_FORMATS: dict[str, Reader] = {
    "aida": _aida,
    "elevant": _per_file(read_elevant, _doc_key),
    "elevant-titles": _per_file(partial(read_elevant, labels="title"), _doc_key),
    "nif": _per_file(read_nif, _doc_key),
    "kilt-el": _per_file(read_kilt_el, _doc_key),
    "conll04": _per_file(read_conll04, _doc_key),
    "nyt": _per_file(read_nyt, _doc_key),
    "rebel": _per_file(read_rebel, _doc_key),
    "mewsli": _per_file(read_mewsli, _doc_key),
    "nel": _per_file(read_nel, _doc_key),
    "kilt-anchors": _per_file(read_kilt_anchor_documents, _doc_key),
    "damuel-links": _per_file(read_damuel_documents, _doc_key),
}

PASSAGE_FORMATS: dict[str, Reader] = {
    "kilt": _per_file(read_kilt_passages, _passage_key),
    "wikidata": _per_file(read_wikidata_properties, _passage_key),
    "damuel": _per_file(read_damuel_passages, _passage_key),
    "nel-kb": _per_file(read_nel_kb, _passage_key),
}


def read_documents(fmt: str, paths: str | Path | Sequence[str | Path], **options: Any) -> list[Document]:
    """Documents of format `fmt` (a key of `DOCUMENT_FORMATS`) from one or more paths."""
    reader = _lookup(DOCUMENT_FORMATS, fmt, "document")
    return _not_empty(reader(_paths(paths), **options), paths, "documents")


def read_passages(fmt: str, paths: str | Path | Sequence[str | Path], **options: Any) -> list[Passage]:
    """Passages of format `fmt` (a key of `PASSAGE_FORMATS`) from one or more paths."""
    reader = _lookup(PASSAGE_FORMATS, fmt, "passage")
    return _not_empty(reader(_paths(paths), **options), paths, "passages")


def read_mention_contexts(paths: str | Path | Sequence[str | Path], **options: Any) -> list[MentionContext]:
    """DaMuEL link mention contexts from one or more parts."""
    contexts = _per_file(read_damuel_mentions, lambda m: m.id)(_paths(paths), **options)
    return _not_empty(contexts, paths, "mention contexts")


def _lookup(registry: dict[str, Reader], fmt: str, kind: str) -> Reader:
    if fmt not in registry:
        raise InputError(f"unknown {kind} format {fmt!r}; known: {', '.join(sorted(registry))}", field="format")
    return registry[fmt]


def _paths(paths: str | Path | Sequence[str | Path]) -> list[Path]:
    found = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    if not found:
        raise InputError("no input file given", field="paths")
    return found


def _not_empty(records: list[Any], paths: str | Path | Sequence[str | Path], kind: str) -> list[Any]:
    if not records:
        names = _paths(paths)
        raise InputError(f"no {kind} read (empty input{'s' if len(names) > 1 else ''})",
                         path=", ".join(str(p) for p in names))
    return records


__all__ = ["DOCUMENT_FORMATS", "PASSAGE_FORMATS", "read_documents", "read_mention_contexts", "read_passages"]
