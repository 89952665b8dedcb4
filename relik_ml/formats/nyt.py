"""NYT in CasRel JSON: a list of `{text, triple_list: [[subject, freebase relation, object]]}`.

Triples give only surface forms; each is located at its first whole-word occurrence (then ignoring
diacritics, e.g. "Medellín" in "Medellin"). Triples with a surface that cannot be located are
skipped and counted in `stats["nyt_triples_unlocated"]`.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from relik_ml.formats._common import Where, check_name, check_type, find_word, get, iter_json_list, log, note
from relik_ml.types import Document, Span, Triplet


def read_nyt(path: str | Path, *, stats: Counter | None = None) -> list[Document]:
    """One Document per sentence (ids `<file stem>-<index>`); spans are `NME`, triplets name the relation."""
    path = Path(path)
    counts: Counter = Counter()
    docs = [_document(obj, f"{path.stem}-{i}", Where(path, line), counts)
            for i, (line, obj) in enumerate(iter_json_list(path))]
    if counts["nyt_triples_unlocated"]:
        log.warning("%s: %d triples with a surface not found in the text were skipped",
                    path, counts["nyt_triples_unlocated"])
    for key, value in counts.items():
        note(stats, key, value)
    return docs


def _document(obj: Any, doc_id: str, where: Where, counts: Counter) -> Document:
    text = get(obj, "text", str, where)
    spans: dict[str, Span] = {}
    triplets = []
    for i, triple in enumerate(get(obj, "triple_list", list, where)):
        subject, relation, object_ = _triple(triple, where.at("triple_list").at(i))
        located = [_locate(text, surface, spans) for surface in (subject, object_)]
        counts["nyt_triples"] += 1
        if None in located:
            counts["nyt_triples_unlocated"] += 1
            continue
        triplets.append(Triplet(located[0], relation, located[1]))
    return Document(doc_id, text, tuple(sorted(spans.values(), key=lambda s: (s.start, s.end))), tuple(triplets))


def _triple(triple: Any, where: Where) -> tuple[str, str, str]:
    check_type(triple, list, where)
    if len(triple) != 3:
        raise where.error(f"expected [subject, relation, object], got {len(triple)} values")
    subject, relation, object_ = (check_type(triple[k], str, where.at(k)) for k in range(3))
    if not subject.strip() or not object_.strip():
        raise where.error("empty subject or object surface")
    return subject, check_name(relation, where.at(1)), object_


def _locate(text: str, surface: str, spans: dict[str, Span]) -> Span | None:
    if surface not in spans:
        start = find_word(text, surface)
        if start < 0:
            return None
        spans[surface] = Span(start, start + len(surface))
    return spans[surface]
