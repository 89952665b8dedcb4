"""CoNLL04 in the unified JSON list: `{tokens, entities: [[s, e, type]], relations: [[hs, he, ts, te, type]]}`.

Token offsets, end exclusive. Text is the tokens joined by single spaces; entity spans are `NME`
with the entity type in `Span.type`; triplets name the relation type.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from relik_ml.formats._common import Where, check_name, check_type, get, iter_json_list
from relik_ml.types import Document, Span, Triplet


def read_conll04(path: str | Path) -> list[Document]:
    """One Document per sentence, ids `<file stem>-<index>`."""
    path = Path(path)
    return [_document(obj, f"{path.stem}-{i}", Where(path, line)) for i, (line, obj) in enumerate(iter_json_list(path))]


def _document(obj: Any, doc_id: str, where: Where) -> Document:
    tokens = get(obj, "tokens", list, where)
    starts, pos = [], 0
    for i, token in enumerate(tokens):
        starts.append(pos)
        pos += len(check_type(token, str, where.at("tokens").at(i))) + 1
    text = " ".join(tokens)
    spans = {}
    for i, entity in enumerate(get(obj, "entities", list, where)):
        start, end, kind = _token_span(entity, 3, len(tokens), where.at("entities").at(i))
        spans[(start, end)] = Span(starts[start], starts[end - 1] + len(tokens[end - 1]), type=kind)
    triplets = tuple(_triplet(rel, spans, len(tokens), where.at("relations").at(i))
                     for i, rel in enumerate(get(obj, "relations", list, where, [])))
    return Document(doc_id, text, tuple(sorted(spans.values(), key=lambda s: (s.start, s.end))), triplets)


def _token_span(item: Any, size: int, n_tokens: int, where: Where) -> tuple[int, int, str]:
    check_type(item, list, where)
    if len(item) != size:
        raise where.error(f"expected {size} values, got {len(item)}")
    start, end = (check_type(item[k], int, where.at(k)) for k in (0, 1))
    if not 0 <= start < end <= n_tokens:
        raise where.error(f"token span [{start}, {end}) out of range for {n_tokens} tokens")
    return start, end, check_type(item[-1], str, where.at(size - 1))


def _triplet(rel: Any, spans: dict[tuple[int, int], Span], n_tokens: int, where: Where) -> Triplet:
    head_start, head_end, kind = _token_span(rel, 5, n_tokens, where)
    check_name(kind, where.at(4))
    tail_start, tail_end = (check_type(rel[k], int, where.at(k)) for k in (2, 3))
    for key, name in (((head_start, head_end), "head"), ((tail_start, tail_end), "tail")):
        if key not in spans:
            raise where.error(f"{name} token span [{key[0]}, {key[1]}) is not an entity of the sentence")
    return Triplet(spans[(head_start, head_end)], kind, spans[(tail_start, tail_end)])
