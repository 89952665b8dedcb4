"""KILT knowledge source JSONL: one Wikipedia page per line,
`{wikipedia_id, wikipedia_title, text: [title line, paragraphs...], anchors: [...]}`.

Entity passages (id and title = the page title) and BLINK-style pretraining documents whose spans
are the page's anchors labelled with their target titles.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from relik_ml.formats._common import Where, check_span, check_type, claim_id, get, get_name, iter_records, note
from relik_ml.types import Document, Passage, Span

TEXT_MODES = ("opening", "title")
_SKIPPED_PREFIXES = ("Section::::", "BULLET::::")


def read_kilt_passages(path: str | Path, *, text_mode: str = "opening", max_words: int = 64) -> list[Passage]:
    """Passages whose text is the first `max_words` words of the opening paragraphs, or the title."""
    if text_mode not in TEXT_MODES:
        raise ValueError(f"text_mode must be one of {TEXT_MODES}, got {text_mode!r}")
    path = Path(path)
    passages, seen = [], {}
    for number, obj in iter_records(path):
        where = Where(path, number)
        title, paragraphs = _page(obj, where, seen)
        text = title if text_mode == "title" else _opening(paragraphs[1:], max_words)
        passages.append(Passage(title, title, text))
    return passages


def read_kilt_anchor_documents(path: str | Path, *, stats: Counter | None = None) -> list[Document]:
    """One Document per page: the paragraphs (newline-ended) with anchors as spans; unresolved anchors
    (no `wikipedia_title`) are skipped and counted in `stats["kilt_anchors_unresolved"]`."""
    path = Path(path)
    docs, seen = [], {}
    for number, obj in iter_records(path):
        where = Where(path, number)
        title, paragraphs = _page(obj, where, seen)
        offsets, pos = [], 0
        for paragraph in paragraphs:
            offsets.append(pos)
            pos += len(paragraph) + 1
        text = "\n".join(paragraphs) + "\n"
        spans = []
        for i, anchor in enumerate(get(obj, "anchors", list, where, [])):
            span = _anchor(anchor, paragraphs, offsets, where.at("anchors").at(i))
            if span is None:
                note(stats, "kilt_anchors_unresolved")
            else:
                spans.append(span)
        docs.append(Document(title, text, tuple(sorted(spans, key=lambda s: (s.start, s.end)))))
    return docs


def _page(obj: dict[str, Any], where: Where, seen: dict[str, Where]) -> tuple[str, list[str]]:
    """The title and the paragraphs (trailing newlines removed) of a page record."""
    get_name(obj, "wikipedia_id", where)
    title = get_name(obj, "wikipedia_title", where)
    claim_id(seen, title, where.at("wikipedia_title"))
    paragraphs = get(obj, "text", list, where)
    if not paragraphs:
        raise where.at("text").error("empty page (no title line)")
    return title, [check_type(p, str, where.at("text").at(i)).rstrip("\n") for i, p in enumerate(paragraphs)]


def _opening(paragraphs: list[str], max_words: int) -> str:
    words: list[str] = []
    for paragraph in paragraphs:
        if len(words) >= max_words:
            break
        if not paragraph.startswith(_SKIPPED_PREFIXES):
            words.extend(paragraph.split())
    return " ".join(words[:max_words])


def _anchor(anchor: Any, paragraphs: list[str], offsets: list[int], where: Where) -> Span | None:
    index = get(anchor, "paragraph_id", int, where)
    if not 0 <= index < len(paragraphs):
        raise where.at("paragraph_id").error(f"no paragraph {index} (page has {len(paragraphs)})")
    start, end = get(anchor, "start", int, where), get(anchor, "end", int, where)
    check_span(paragraphs[index], start, end, where.at("start"), get(anchor, "text", str, where))
    target = get(anchor, "wikipedia_title", str, where, "")
    if not target.strip():
        return None
    return Span(offsets[index] + start, offsets[index] + end, target, target)
