"""DaMuEL parts (JSON lines, often `.xz`): one Wikidata entity per line, `{qid, lang, label?, description?,
wiki?: {title, text, tokens: [{start, end}], links: [{start, end, origin, title, qid?, end_offset?}]}}`.

Link `start`/`end` are token indices into `wiki.tokens`, end exclusive (the last linked token is
`end - 1`); token `start`/`end` are character offsets into `wiki.text`. An optional `end_offset`
cuts the last token to the linked prefix (the index of its last linked character: "humedales"
with `end_offset` 6 links "humedal"). Passages follow the multilingual thesis:
`[M] label [M] description`, or the page opening when there is no description. An entity with
neither a label nor a page title keeps the bare body as text and takes its QID as passage title.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relik_ml.formats._common import Where, check_span, claim_id, get, get_name, is_qid, iter_records
from relik_ml.types import Passage

TEXT_MODES = ("description", "opening")


@dataclass(frozen=True)
class DamuelLink:
    """A link with character offsets into the page text; `qid` is "" when unresolved."""

    start: int
    end: int
    qid: str
    title: str
    origin: str


@dataclass(frozen=True)
class DamuelEntry:
    """One DaMuEL entity with its (optional) Wikipedia page."""

    qid: str
    language: str
    label: str
    description: str
    title: str = ""
    text: str = ""
    links: tuple[DamuelLink, ...] = ()


def iter_damuel(path: str | Path) -> list[DamuelEntry]:
    """Parse every entity of a part, checking link token indices against the page."""
    path = Path(path)
    entries, seen = [], {}
    for number, obj in iter_records(path):
        where = Where(path, number)
        entry = _entry(obj, where)
        claim_id(seen, f"{entry.language}:{entry.qid}", where.at("qid"))
        entries.append(entry)
    return entries


def read_damuel_passages(
    path: str | Path, *, text_mode: str = "description", max_words: int = 64, marker: str = "[M]"
) -> list[Passage]:
    """One Passage per entity (id = QID): `marker label marker body`; body = description or page opening
    (`text_mode` picks which comes first; the other is the fallback)."""
    if text_mode not in TEXT_MODES:
        raise ValueError(f"text_mode must be one of {TEXT_MODES}, got {text_mode!r}")
    return [_passage(entry, text_mode, max_words, marker) for entry in iter_damuel(path)]


def _passage(entry: DamuelEntry, text_mode: str, max_words: int, marker: str) -> Passage:
    opening = " ".join(entry.text.split()[:max_words])
    first, second = (entry.description, opening) if text_mode == "description" else (opening, entry.description)
    body = first or second
    title = entry.label or entry.title
    text = f"{marker} {title} {marker} {body}".strip() if title else body
    return Passage(entry.qid, title or entry.qid, text, entry.language)


def _entry(obj: dict[str, Any], where: Where) -> DamuelEntry:
    qid = get(obj, "qid", str, where)
    if not is_qid(qid):
        raise where.at("qid").error(f"not a Wikidata QID: {qid!r}")
    fields = dict(
        qid=qid,
        language=get_name(obj, "lang", where),
        label=get(obj, "label", str, where, ""),
        description=get(obj, "description", str, where, ""),
    )
    wiki = get(obj, "wiki", dict, where, None)
    if wiki is None:
        return DamuelEntry(**fields)
    at = where.at("wiki")
    text = get(wiki, "text", str, at)
    tokens = [_token(t, text, at.at("tokens").at(i)) for i, t in enumerate(get(wiki, "tokens", list, at))]
    raw_links = get(wiki, "links", list, at)
    links = tuple(_link(link, text, tokens, at.at("links").at(i)) for i, link in enumerate(raw_links))
    return DamuelEntry(**fields, title=get(wiki, "title", str, at, ""), text=text, links=links)


def _token(token: Any, text: str, where: Where) -> tuple[int, int]:
    start, end = get(token, "start", int, where), get(token, "end", int, where)
    check_span(text, start, end, where)
    return start, end


def _link(link: Any, text: str, tokens: list[tuple[int, int]], where: Where) -> DamuelLink:
    first, stop = get(link, "start", int, where), get(link, "end", int, where)
    if not 0 <= first < stop <= len(tokens):
        raise where.at("end").error(f"token range [{first}, {stop}) out of range for {len(tokens)} tokens")
    start, end = tokens[first][0], tokens[stop - 1][1]
    cut = get(link, "end_offset", int, where, None)
    if cut is not None:
        end = _cut_end(tokens[stop - 1], cut, where.at("end_offset"))
    qid = get(link, "qid", str, where, "")
    if qid and not is_qid(qid):
        raise where.at("qid").error(f"not a Wikidata QID: {qid!r}")
    return DamuelLink(start, end, qid, get(link, "title", str, where, ""), get(link, "origin", str, where))


def _cut_end(token: tuple[int, int], cut: int, where: Where) -> int:
    if not 0 <= cut < token[1] - token[0]:
        raise where.error(f"{cut} is not a character index of the last token (length {token[1] - token[0]})")
    return token[0] + cut + 1


