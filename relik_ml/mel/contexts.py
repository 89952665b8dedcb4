"""Mention-centred contexts (thesis §5.1.2): the mention between markers, cut to a token budget around it.

The context keeps as many tokens before and after the mention as the budget allows, half on each
side; when one side reaches the start or end of the text, the other side gets what is left. Only a
window of characters around the mention is tokenised (`CHARS_PER_TOKEN` per budgeted token on each
side), so a long document costs no more than a short one. Sources: any `Document` with labelled
spans (DaMuEL links, Mewsli-9 mentions) and JSON lines of `MentionContext` records.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from transformers import PreTrainedTokenizerBase

from relik_ml.errors import InputError
from relik_ml.formats._common import Where, check_span, get, get_name, iter_records
from relik_ml.formats.damuel_links import read_damuel_documents
from relik_ml.formats.mewsli import read_mewsli
from relik_ml.mel.config import ContextConfig
from relik_ml.types import NME, Document, MentionContext

CHARS_PER_TOKEN = 16  # characters tokenised per budgeted token on each side (a token is rarely longer)


@dataclass(frozen=True)
class MarkedContext:
    """A context ready to encode: the cut text with the marked mention, and the gold entity id."""

    id: str
    text: str  # "... before [M] mention [M] after ..."
    mention: str  # the mention as written
    label: str  # gold entity id (a QID, or a KB key)
    language: str = "en"


class ContextCutter:
    """Cuts mention-centred contexts with one tokenizer (a fast one: token offsets are needed)."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, config: ContextConfig = ContextConfig()) -> None:
        if not tokenizer.is_fast:
            raise ValueError("ContextCutter needs a fast tokenizer (token character offsets)")
        self.tokenizer = tokenizer
        self.config = config

    def cut(self, text: str, start: int, end: int, where: Where | None = None) -> str:
        """The marked context of `text[start:end]`; a span outside the text is an `InputError` at `where`."""
        where = where or Where(Path("<text>"), None, "span")
        check_span(text, start, end, where)
        marked = self.config.markers.mark(" ".join(text[start:end].split()))
        budget = self.config.max_tokens - self.count(marked)
        reach = max(budget, 0) * CHARS_PER_TOKEN
        left_text, right_text = text[max(0, start - reach) : start], text[end : end + reach]
        left, right = self._offsets(left_text), self._offsets(right_text)
        keep_left, keep_right = _split_budget(budget, len(left), len(right))
        while True:
            before = left_text[left[len(left) - keep_left][0] :] if keep_left else ""
            after = right_text[: right[keep_right - 1][1]] if keep_right else ""
            context = " ".join(part for part in (before.strip(), marked, after.strip()) if part)
            if self.count(context) <= self.config.max_tokens or not (keep_left or keep_right):
                return context
            if keep_left >= keep_right:  # joint tokenisation can differ at the seams: drop a token, retry
                keep_left -= 1
            else:
                keep_right -= 1

    def count(self, text: str) -> int:
        """Tokens of `text` without special tokens."""
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _offsets(self, text: str) -> list[tuple[int, int]]:
        if not text.strip():
            return []
        encoded = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return [(a, b) for a, b in encoded["offset_mapping"] if b > a]

    def from_documents(self, documents: Iterable[Document], source: Path | None = None) -> Iterator[MarkedContext]:
        """One context per labelled span (NME spans skipped), ids `<doc id>:<span number>`."""
        for document in documents:
            for number, span in enumerate(document.spans):
                if span.label == NME:
                    continue
                where = Where(source or Path(document.id), None, f"{document.id}.spans[{number}]")
                yield MarkedContext(f"{document.id}:{number}", self.cut(document.text, span.start, span.end, where),
                                    document.text[span.start : span.end], span.label, document.language)

    def from_mention_contexts(
        self, contexts: Iterable[tuple[Where, MentionContext]], known: Collection[str] | None = None
    ) -> Iterator[MarkedContext]:
        """Contexts of located `MentionContext` records (as `read_mention_contexts` yields them); a gold
        id outside `known` (the KB's ids, when given) is an `InputError` at the record's line."""
        for where, record in contexts:
            if known is not None and record.label not in known:
                raise where.at("label").error(f"entity {record.label!r} is not in the KB")
            yield MarkedContext(record.id, self.cut(record.text, record.start, record.end, where.at("start")),
                                record.text[record.start : record.end], record.label, record.language)

    def name(self, identifier: str, name: str, label: str, language: str) -> MarkedContext:
        """A mention with no surrounding text (a bare entity name, as in DBP15K name linking)."""
        return MarkedContext(identifier, self.cut(name, 0, len(name)), name, label, language)


def damuel_contexts(cutter: ContextCutter, path: str | Path, *, wiki_links_only: bool = True) -> list[MarkedContext]:
    """Contexts of a DaMuEL part's links (`relik_ml.formats.damuel_links`), gold = the link's QID."""
    return list(cutter.from_documents(read_damuel_documents(path, wiki_links_only=wiki_links_only), Path(path)))


def mewsli_contexts(cutter: ContextCutter, path: str | Path) -> list[MarkedContext]:
    """Contexts of Mewsli-9 mentions (one language folder or a root), gold = the mention's QID."""
    return list(cutter.from_documents(read_mewsli(path), Path(path)))


def read_mention_contexts(path: str | Path) -> Iterator[tuple[Where, MentionContext]]:
    """`{id, text, start, end, label, language?}` JSON lines, each with its place for later errors."""
    path = Path(path)
    for number, obj in iter_records(path):
        where = Where(path, number)
        text = get(obj, "text", str, where)
        start, end = get(obj, "start", int, where), get(obj, "end", int, where)
        check_span(text, start, end, where.at("end" if 0 <= start < len(text) else "start"))
        yield where, MentionContext(get_name(obj, "id", where), text, start, end, get_name(obj, "label", where),
                                    get_name(obj, "language", where, "en"))


def check_labels(contexts: Iterable[MarkedContext], known: Collection[str]) -> None:
    """An `InputError` on the field `label`, naming the context, for the first gold id not in `known`."""
    for context in contexts:
        if context.label not in known:
            raise InputError(f"context {context.id!r}: entity {context.label!r} is not in the KB", field="label")


def _split_budget(budget: int, left: int, right: int) -> tuple[int, int]:
    """Tokens kept before and after the mention: half each, the unused part of one side to the other."""
    if budget <= 0:
        return 0, 0
    keep_left = min(left, budget // 2)
    keep_right = min(right, budget - keep_left)
    return min(left, budget - keep_right), keep_right
