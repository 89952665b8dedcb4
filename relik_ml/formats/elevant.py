"""ELEVANT benchmark JSONL: `{id, text, labels: [{span: [start, end], entity_id, name, parent, ...}]}`.

A label is a Wikidata QID; any other `entity_id` ("Unknown", "<NIL>", "<NO_MAPPING>") is `NME`.
Labels with a `parent` are nested inside another label (e.g. "Blake" in "Frank Blake") and are
dropped unless `keep_nested`. With `labels="title"` a linked span is labelled by its `name` (the
Wikipedia title, normalised as in `relik_ml.kb_union`) instead, so the set can be scored against a
title-keyed KB (format "elevant-titles").
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from relik_ml.formats._common import Where, check_name, check_span, claim_id, get, get_pair, is_qid, iter_records
from relik_ml.kb_union import normalize_title
from relik_ml.types import NME, Document, Span


LabelKind = Literal["qid", "title"]


def read_elevant(
    path: str | Path, *, keep_nested: bool = False, renumber: bool = False, labels: LabelKind = "qid"
) -> list[Document]:
    """One Document per line; `renumber` replaces the `id` field by the 0-based record index."""
    path = Path(path)
    docs, seen = [], {}
    for index, (number, obj) in enumerate(iter_records(path)):
        where = Where(path, number)
        doc_id = str(index) if renumber else _doc_id(obj, where)
        claim_id(seen, doc_id, where.at("id"))
        text = get(obj, "text", str, where)
        records = get(obj, "labels", list, where)
        spans = [_span(label, text, where.at("labels").at(i), labels) for i, label in enumerate(records)]
        kept = [span for span, label in zip(spans, records) if keep_nested or label.get("parent") is None]
        docs.append(Document(doc_id, text, tuple(sorted(kept, key=lambda s: (s.start, s.end)))))
    return docs


def _doc_id(obj: dict[str, Any], where: Where) -> str:
    value = get(obj, "id", object, where)
    if not isinstance(value, (int, str)) or isinstance(value, bool):
        raise where.at("id").error(f"expected an integer or a string, got {type(value).__name__}")
    return str(value) if isinstance(value, int) else check_name(value, where.at("id"))


def _span(label: Any, text: str, where: Where, kind: LabelKind) -> Span:
    start, end = get_pair(label, "span", where)
    check_span(text, start, end, where.at("span"))
    entity = get(label, "entity_id", str, where)
    if not is_qid(entity):
        return Span(start, end, NME, "", get(label, "type", str, where, ""))
    name = get(label, "name", str, where, "")
    if kind == "title":
        if not name.strip():
            raise where.at("name").error(f"linked label {entity} has no name to key a title KB by")
        entity = normalize_title(name)
    return Span(start, end, entity, name, get(label, "type", str, where, ""))
