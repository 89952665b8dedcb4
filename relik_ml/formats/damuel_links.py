"""DaMuEL links as training data: mention contexts for the bi-encoder and pretraining documents.

Links without a QID are skipped; `wiki_links_only` keeps only real hyperlinks (`origin == "wiki"`),
dropping DaMuEL's automatically detected ones. Identical (start, end, QID) links are kept once.
"""
from __future__ import annotations

from pathlib import Path

from relik_ml.formats.damuel import DamuelEntry, DamuelLink, iter_damuel
from relik_ml.types import Document, MentionContext, Span


def read_damuel_mentions(
    path: str | Path, *, context_chars: int = 256, wiki_links_only: bool = True
) -> list[MentionContext]:
    """One MentionContext per link: about `context_chars` characters each side, cut at whitespace."""
    contexts = []
    for entry in iter_damuel(path):
        for i, link in enumerate(_links(entry, wiki_links_only)):
            left, right = _window(entry.text, link, context_chars)
            contexts.append(MentionContext(
                f"{entry.language}:{entry.qid}:{i}", entry.text[left:right],
                link.start - left, link.end - left, link.qid, entry.language,
            ))
    return contexts


def read_damuel_documents(path: str | Path, *, wiki_links_only: bool = True) -> list[Document]:
    """One Document per page (id = `<lang>:<QID>`), spans = links labelled with their QIDs."""
    return [
        Document(
            f"{entry.language}:{entry.qid}", entry.text,
            tuple(Span(link.start, link.end, link.qid, link.title) for link in _links(entry, wiki_links_only)),
            language=entry.language,
        )
        for entry in iter_damuel(path)
        if entry.text
    ]


def _links(entry: DamuelEntry, wiki_links_only: bool) -> list[DamuelLink]:
    unique = {}
    for link in entry.links:
        if link.qid and (link.origin == "wiki" or not wiki_links_only):
            unique.setdefault((link.start, link.end, link.qid), link)
    return [unique[key] for key in sorted(unique)]


def _window(text: str, link: DamuelLink, context_chars: int) -> tuple[int, int]:
    """Bounds of a window around the link, moved inwards to whitespace so no word is cut."""
    left, right = max(0, link.start - context_chars), min(len(text), link.end + context_chars)
    if left > 0:
        space = text.find(" ", left, link.start)
        left = space + 1 if space >= 0 else link.start
    if right < len(text):
        space = text.rfind(" ", link.end, right)
        right = space if space >= 0 else link.end
    return left, right
