"""Overlapping word windows over documents, with gold spans and triplets projected into them.

A document is split into words (char offsets kept), then into windows of `window_size` words
starting every `stride` words; the last window is moved back so that it ends on the last word,
so no word is ever dropped (ReLiK / BLINK: W=32, S=16). `Window.text` is the exact slice
`doc.text[start:end]`, from the first word's start to the last word's end. A document with no
words yields no windows; one with at most `window_size` words yields exactly one.

A run of more than `max_run_chars` (100) characters without a space (a base64 blob, a hash, a
long URL, one character repeated) is not read: no word is taken from it and no window crosses it,
so the text on each side is windowed as if it stood alone. A reader cannot see such a run (BERT's
WordPiece reads any word of more than 100 characters as one [UNK] token), and inside a window it
would either become part of a predicted span ("Paris xxxx…x Hilton" read as one mention) or push
the words around it into other windows and change their links. Characters of scripts written
without spaces (CJK, kana, Thai, Lao, Khmer, Myanmar, Tibetan, Hangul) never count towards a run.

Words ("whitespace-punct"): runs of letters/digits that may be joined by `. , : / '` (numbers
such as 1,234.5 or 10:30, abbreviations such as U.S.), an optional leading apostrophe (clitics
's, n't stay whole), and every other punctuation mark (hyphens included) as a word of its own.
This follows the spaCy-style tokenisation ReLiK ran over the text: on AIDA, whose CoNLL tokens
keep scores and dates such as 2-1 and 1996-08-22 whole, splitting hyphens adds ~7% words.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, fields
from functools import lru_cache

from relik_ml.types import Document, Span, Triplet, Window

TOKENIZERS = {
    "whitespace-punct": r"'?\w+(?:[.,:/']\w+)*(?:(?<=\.[^\W\d_])\.)?|[^\w\s]",
    "whitespace": r"\S+",
}
# Scripts written without spaces: their characters never count towards an unreadable run.
UNSPACED_SCRIPTS = (
    "\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f"
)


@dataclass(frozen=True)
class WindowConfig:
    """How documents are cut into windows."""

    window_size: int = 32  # words per window (ReLiK: W=32)
    stride: int = 16  # words between consecutive window starts (ReLiK: S=16)
    topic: bool = True  # put the document's first word in `Window.topic` (ReLiK/BLINK style)
    tokenizer: str = "whitespace-punct"  # a key of TOKENIZERS: what counts as one word
    max_run_chars: int = 100  # a longer run of characters without a space is not read (module doc)

    def __post_init__(self) -> None:
        if self.window_size < 1 or not 1 <= self.stride <= self.window_size:
            raise ValueError(f"need 1 <= stride <= window_size, got {self.stride=} {self.window_size=}")
        if self.max_run_chars < 1:
            raise ValueError(f"need max_run_chars >= 1, got {self.max_run_chars}")
        if self.tokenizer not in TOKENIZERS:
            raise ValueError(f"unknown tokenizer {self.tokenizer!r}; known: {sorted(TOKENIZERS)}")


@dataclass(frozen=True)
class WindowStats:
    """Counts from windowing; `a + b` and `sum(...)` add them up over documents."""

    documents: int = 0  # documents windowed
    windows: int = 0  # windows produced
    spans_kept: int = 0  # (window, span) pairs with the span fully inside the window
    spans_cut: int = 0  # (window, span) pairs with the span crossing a window edge (dropped there)
    spans_lost: int = 0  # gold spans fully inside no window (should be 0)
    triplets_kept: int = 0  # (window, triplet) pairs with both arguments inside the window
    triplets_cut: int = 0  # (window, triplet) pairs with one argument inside, the other not
    triplets_lost: int = 0  # gold triplets kept by no window (arguments too far apart)

    def __add__(self, other: WindowStats) -> WindowStats:
        return WindowStats(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def __radd__(self, other: int | WindowStats) -> WindowStats:
        return self if other == 0 else self + other


@lru_cache(maxsize=None)
def _pattern(tokenizer: str) -> re.Pattern[str]:
    return re.compile(TOKENIZERS[tokenizer])


def word_offsets(text: str, tokenizer: str = "whitespace-punct") -> list[tuple[int, int]]:
    """Char offsets `(start, end)` of each word of `text`."""
    return [m.span() for m in _pattern(tokenizer).finditer(text)]


@lru_cache(maxsize=None)
def _unreadable_pattern(max_run_chars: int) -> re.Pattern[str]:
    run = f"[^\\s{UNSPACED_SCRIPTS}]"
    return re.compile(f"(?<!{run}){run}{{{max_run_chars + 1},}}")


def unreadable_runs(text: str, max_run_chars: int = 100) -> list[tuple[int, int]]:
    """Char offsets of the runs of more than `max_run_chars` characters without a space (module doc)."""
    return [m.span() for m in _unreadable_pattern(max_run_chars).finditer(text)]


def readable_words(text: str, config: WindowConfig = WindowConfig()) -> list[list[tuple[int, int]]]:
    """Word offsets of `text` in groups that no unreadable run separates; the runs' characters are in no word."""
    runs = unreadable_runs(text, config.max_run_chars)
    words = word_offsets(text, config.tokenizer)
    if not runs:
        return [words] if words else []
    starts, ends = [a for a, _ in runs], [b for _, b in runs]
    groups: list[list[tuple[int, int]]] = [[]]
    for start, end in words:
        for piece_start, piece_end in _outside(start, end, runs, starts, ends):
            group = groups[-1]
            if group and bisect_left(starts, group[-1][1]) < bisect_left(starts, piece_start):
                groups.append(group := [])  # a run lies between the previous word and this one
            group.append((piece_start, piece_end))
    return [group for group in groups if group]


def _outside(
    start: int, end: int, runs: list[tuple[int, int]], starts: list[int], ends: list[int]
) -> list[tuple[int, int]]:
    """The parts of the word [start, end) that lie outside every run."""
    pieces = []
    for run_start, run_end in runs[bisect_right(ends, start) : bisect_left(starts, end)]:
        if run_start > start:
            pieces.append((start, run_start))
        start = max(start, run_end)
    if start < end:
        pieces.append((start, end))
    return pieces


def window_starts(num_words: int, window_size: int, stride: int) -> list[int]:
    """First-word indices of the windows; the last window ends on the last word."""
    if num_words == 0:
        return []
    starts = list(range(0, max(num_words - window_size, 0) + 1, stride))
    if starts[-1] + window_size < num_words:
        starts.append(num_words - window_size)
    return starts


def make_windows(doc: Document, config: WindowConfig = WindowConfig()) -> tuple[list[Window], WindowStats]:
    """Cut one document into windows; spans/triplets crossing a window edge are dropped and counted."""
    groups = readable_words(doc.text, config)
    topic = doc.text[slice(*groups[0][0])] if config.topic and groups else ""
    bounds = [
        (words[i][0], words[min(i + config.window_size, len(words)) - 1][1])
        for words in groups
        for i in window_starts(len(words), config.window_size, config.stride)
    ]
    windows = [_window(doc, f"{doc.id}#{i}", start, end, topic) for i, (start, end) in enumerate(bounds)]
    return windows, _stats(doc, bounds, windows)


def windows_for_documents(
    docs: Iterable[Document], config: WindowConfig = WindowConfig()
) -> tuple[list[Window], WindowStats]:
    """Window every document; the stats are summed over documents."""
    windows: list[Window] = []
    stats = WindowStats()
    for doc in docs:
        doc_windows, doc_stats = make_windows(doc, config)
        windows.extend(doc_windows)
        stats += doc_stats
    return windows, stats


def _window(doc: Document, window_id: str, start: int, end: int, topic: str) -> Window:
    return Window(
        id=window_id,
        doc_id=doc.id,
        text=doc.text[start:end],
        start=start,
        end=end,
        topic=topic,
        spans=tuple(s.shifted(-start) for s in doc.spans if _inside(s, start, end)),
        triplets=tuple(
            t.shifted(-start) for t in doc.triplets if _inside(t.subject, start, end) and _inside(t.object, start, end)
        ),
        language=doc.language,
    )


def _stats(doc: Document, bounds: list[tuple[int, int]], windows: list[Window]) -> WindowStats:
    kept = sum(len(w.spans) for w in windows)
    touching = sum(_overlapping(doc.spans, start, end) for start, end in bounds)
    kept_triplets = sum(len(w.triplets) for w in windows)
    with_one_arg = sum(_triplets_with_an_argument(doc.triplets, start, end) for start, end in bounds)
    return WindowStats(
        documents=1,
        windows=len(windows),
        spans_kept=kept,
        spans_cut=touching - kept,
        spans_lost=sum(not _inside_any(s, bounds) for s in doc.spans),
        triplets_kept=kept_triplets,
        triplets_cut=with_one_arg - kept_triplets,
        triplets_lost=sum(not _triplet_inside_any(t, bounds) for t in doc.triplets),
    )


def _overlapping(spans: tuple[Span, ...], start: int, end: int) -> int:
    return sum(s.start < end and s.end > start for s in spans)


def _triplets_with_an_argument(triplets: tuple[Triplet, ...], start: int, end: int) -> int:
    return sum(_inside(t.subject, start, end) or _inside(t.object, start, end) for t in triplets)


def _inside(span: Span, start: int, end: int) -> bool:
    return start <= span.start and span.end <= end


def _inside_any(span: Span, bounds: list[tuple[int, int]]) -> bool:
    return any(_inside(span, start, end) for start, end in bounds)


def _triplet_inside_any(triplet: Triplet, bounds: list[tuple[int, int]]) -> bool:
    return any(_inside(triplet.subject, start, end) and _inside(triplet.object, start, end) for start, end in bounds)
