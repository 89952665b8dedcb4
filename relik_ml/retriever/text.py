"""The texts the retriever encodes: a window (+ its document topic) and a passage."""
from __future__ import annotations

from relik_ml.retriever.configuration import RelikRetrieverConfig
from relik_ml.types import Passage, Window


def window_text(window: Window, config: RelikRetrieverConfig) -> tuple[str, str | None]:
    """The query as `(text, pair)`: prefixed window text and its topic (None when unused)."""
    pair = window.topic if config.use_topic_pair and window.topic else None
    return f"{config.query_prefix or ''}{window.text}", pair


def passage_text(passage: Passage, config: RelikRetrieverConfig) -> str:
    """The passage as `prefix + title + separator + text` (title alone when text is empty)."""
    body = f"{passage.title}{config.title_separator}{passage.text}" if passage.text else passage.title
    return f"{config.passage_prefix or ''}{body}"
