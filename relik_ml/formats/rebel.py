"""REBEL JSONL: `{docid, text, entities: [{uri, boundaries, surfaceform}], triples: [{subject, predicate, object}]}`.

Entity `uri` is a Wikidata QID or, for dates and quantities, a literal value (kept as an `NME` span
of type "literal"; an empty `uri`, found in the released data, gives the same span); predicate `uri`
is a non-empty PID. Some boundaries of the released data are shifted against the cleaned text: with
`realign` a span that does not read its `surfaceform` moves to the nearest occurrence of it (counted
in `stats["rebel_spans_realigned"]`; not found: `stats["rebel_spans_dropped"]`, and its triples
too); without `realign` it is an error.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from relik_ml.formats._common import (
    Where, check_span, claim_id, get, get_name, get_pair, is_qid, iter_records, log, note,
)
from relik_ml.types import NME, Document, Span, Triplet


def read_rebel(path: str | Path, *, realign: bool = True, stats: Counter | None = None) -> list[Document]:
    """One Document per line, id = `docid`."""
    path = Path(path)
    docs, seen, counts = [], {}, Counter()
    for number, obj in iter_records(path):
        where = Where(path, number)
        doc_id = get_name(obj, "docid", where)
        claim_id(seen, doc_id, where.at("docid"))
        docs.append(_document(obj, doc_id, where, realign, counts))
    if counts["rebel_spans_realigned"] or counts["rebel_spans_dropped"]:
        log.warning("%s: %d entity spans realigned, %d dropped", path,
                    counts["rebel_spans_realigned"], counts["rebel_spans_dropped"])
    for key, value in counts.items():
        note(stats, key, value)
    return docs


def _document(obj: Any, doc_id: str, where: Where, realign: bool, counts: Counter) -> Document:
    text = get(obj, "text", str, where)
    spans: dict[tuple[int, int, str], Span | None] = {}
    for i, entity in enumerate(get(obj, "entities", list, where)):
        _entity(entity, text, where.at("entities").at(i), realign, spans, counts)
    triplets = []
    for i, triple in enumerate(get(obj, "triples", list, where, [])):
        at = where.at("triples").at(i)
        subject = _entity(get(triple, "subject", dict, at), text, at.at("subject"), realign, spans, counts)
        object_ = _entity(get(triple, "object", dict, at), text, at.at("object"), realign, spans, counts)
        relation = get_name(get(triple, "predicate", dict, at), "uri", at.at("predicate"))
        if subject is not None and object_ is not None:
            triplets.append(Triplet(subject, relation, object_))
    kept = sorted({s for s in spans.values() if s is not None}, key=lambda s: (s.start, s.end, s.label))
    return Document(doc_id, text, tuple(kept), tuple(triplets))


def _entity(entity: Any, text: str, where: Where, realign: bool,
            spans: dict[tuple[int, int, str], Span | None], counts: Counter) -> Span | None:
    """The span of an entity annotation, memoised by (boundaries, uri) so triples share it."""
    start, end = get_pair(entity, "boundaries", where)
    uri = get(entity, "uri", str, where)
    key = (start, end, uri)
    if key not in spans:
        surface = get(entity, "surfaceform", str, where)
        start = _aligned_start(text, start, end, surface, where, realign, counts)
        spans[key] = None if start is None else _span(start, start + len(surface), uri)
    return spans[key]


def _aligned_start(text: str, start: int, end: int, surface: str, where: Where, realign: bool,
                   counts: Counter) -> int | None:
    if text[start:end] == surface and 0 <= start < end:
        return start
    if not realign:
        check_span(text, start, end, where.at("boundaries"), surface)
    if not surface:
        raise where.at("surfaceform").error("empty surface form")
    found = [i for i in range(len(text)) if text.startswith(surface, i)]
    if not found:
        counts["rebel_spans_dropped"] += 1
        return None
    counts["rebel_spans_realigned"] += 1
    return min(found, key=lambda i: abs(i - start))


def _span(start: int, end: int, uri: str) -> Span:
    return Span(start, end, uri) if is_qid(uri) else Span(start, end, NME, uri, "literal")
