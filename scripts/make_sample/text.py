"""Tokenised sentences with mention spans, rendered from templates like `{S} was born in {O} .`."""
from __future__ import annotations

import re
from dataclasses import dataclass

_SLOT = re.compile(r"^\{(\w+)\}$")
_WORD = re.compile(r"\w+(?:[.'’&-]\w+)*\.?|'s|[^\w\s]")
_ABBREVIATIONS = frozenset({"Jr", "Dr", "Mr", "Mrs", "St", "Inc", "Calif", "Mass", "Sr", "Co", "Corp"})


@dataclass(frozen=True)
class Mention:
    """Token span `[start, end)` of one mention with its KB title (or None for NME) and NER type."""

    start: int
    end: int
    title: str | None
    ner: str


@dataclass(frozen=True)
class Filler:
    """What a template slot is filled with: a surface form plus the title it refers to (None = NME)."""

    surface: str
    title: str | None
    ner: str


def surface_tokens(surface: str) -> list[str]:
    """CoNLL-style tokens of a name: split on spaces, commas and possessive 's."""
    tokens: list[str] = []
    for word in surface.split():
        if word.endswith(",") and len(word) > 1:
            tokens.extend([word[:-1], ","])
        elif word.lower().endswith("'s") and len(word) > 2:
            tokens.extend([word[:-2], "'s"])
        else:
            tokens.append(word)
    return tokens


def render(template: str, fillers: dict[str, Filler], upper: bool = False) -> tuple[list[str], list[Mention]]:
    """Fill a space-separated template; returns tokens and the mentions of the filled slots."""
    tokens: list[str] = []
    mentions: list[Mention] = []
    for piece in template.split():
        slot = _SLOT.match(piece)
        if slot is None:
            tokens.append(piece.upper() if upper else piece)
            continue
        filler = fillers[slot.group(1)]
        words = surface_tokens(filler.surface.upper() if upper else filler.surface)
        mentions.append(Mention(len(tokens), len(tokens) + len(words), filler.title, filler.ner))
        tokens.extend(words)
    return tokens, mentions


def char_offsets(tokens: list[str]) -> list[tuple[int, int]]:
    """Character spans of tokens joined by single spaces."""
    spans = []
    cursor = 0
    for token in tokens:
        spans.append((cursor, cursor + len(token)))
        cursor += len(token) + 1
    return spans


def word_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the words and punctuation marks of natural text (abbreviations keep their dot)."""
    spans: list[tuple[int, int]] = []
    for match in _WORD.finditer(text):
        start, end = match.span()
        word = match.group()
        if word.endswith(".") and len(word) > 1 and "." not in word[:-1] and word[:-1] not in _ABBREVIATIONS:
            spans.extend([(start, end - 1), (end - 1, end)])
        else:
            spans.append((start, end))
    return spans
