"""Merge KB passages from several sources with bare entity titles into one deduplicated entity KB."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from relik_ml.types import Passage


def normalize_title(title: str) -> str:
    """Wikipedia's canonical form: underscores as spaces, whitespace collapsed, first letter upper-case."""
    title = " ".join(title.replace("_", " ").split())
    return title[:1].upper() + title[1:]


def union_passages(primary: Sequence[Passage], extra_titles: Iterable[str]) -> list[Passage]:
    """Primary passages deduplicated by id (the longest text wins), then a title-only passage per new title.

    Primary ids keep the order of their first occurrence; new titles follow in sorted order, so the
    result does not depend on the iteration order of `extra_titles`. Titles are used as given.
    """
    merged: dict[str, Passage] = {}
    for passage in primary:
        kept = merged.get(passage.id)
        if kept is None or len(passage.text) > len(kept.text):
            merged[passage.id] = passage
    for title in sorted(set(extra_titles) - merged.keys()):
        merged[title] = Passage(title, title, "")
    return list(merged.values())
