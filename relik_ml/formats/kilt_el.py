"""KILT entity-linking records: `input` with one `[START_ENT] mention [END_ENT]`, gold title in `output`."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from relik_ml.formats._common import Where, claim_id, get, get_name, iter_records
from relik_ml.types import Document, Span

START, END = "[START_ENT]", "[END_ENT]"


def read_kilt_el(path: str | Path) -> list[Document]:
    """One Document per record: the input without markers and one span labelled with the gold title."""
    path = Path(path)
    docs, seen = [], {}
    for number, obj in iter_records(path):
        where = Where(path, number)
        doc_id = get_name(obj, "id", where)
        claim_id(seen, doc_id, where.at("id"))
        text, start, end = _strip_markers(get(obj, "input", str, where), where.at("input"))
        mention = get(get(obj, "meta", dict, where, {}), "mention", str, where.at("meta"), None)
        if mention is not None and mention.strip() != text[start:end]:
            raise where.at("meta").at("mention").error(f"{mention!r} differs from the marked {text[start:end]!r}")
        title = _gold_title(get(obj, "output", list, where), where.at("output"))
        docs.append(Document(doc_id, text, (Span(start, end, title, title),)))
    return docs


def _strip_markers(marked: str, where: Where) -> tuple[str, int, int]:
    """Remove the markers with the inner spaces they add; return the text and the mention offsets."""
    if marked.count(START) != 1 or marked.count(END) != 1 or marked.index(START) > marked.index(END):
        raise where.error(f"expected exactly one {START} ... {END} pair")
    before, rest = marked.split(START)
    inner, after = rest.split(END)
    mention = inner.strip()
    if not mention:
        raise where.error("empty mention between the markers")
    return f"{before}{mention}{after}", len(before), len(before) + len(mention)


def _gold_title(outputs: list[Any], where: Where) -> str:
    """The first provenance title, else the first answer."""
    for i, output in enumerate(outputs):
        for j, provenance in enumerate(get(output, "provenance", list, where.at(i), [])):
            return get_name(provenance, "title", where.at(i).at("provenance").at(j))
    if outputs:
        return get_name(outputs[0], "answer", where.at(0))
    raise where.error("no gold answer")
