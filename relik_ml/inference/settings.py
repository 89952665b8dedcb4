"""`relik.json`: how a self-contained model directory windows, retrieves and batches."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from relik_ml.arguments import check_positive_int
from relik_ml.errors import InputError
from relik_ml.windows import TOKENIZERS, WindowConfig

TASKS = ("el", "re", "cie")


@dataclass(frozen=True)
class RelikSettings:
    """Inference settings stored in `relik.json` (call-time arguments override some of them)."""

    task: str = "el"  # "el", "re" or "cie": which reader heads the directory is meant for
    window_size: int = 32  # words per window (ReLiK: W=32); must match training
    stride: int = 16  # words between window starts (ReLiK: S=16)
    topic: bool = True  # give the retriever the document's first word as topic (BLINK style)
    tokenizer: str = "whitespace-punct"  # word splitter of the windows (a key of windows.TOKENIZERS)
    top_k: int = 20  # entity candidates retrieved per window (capped by the reader's max_candidates)
    relation_top_k: int = 24  # relation candidates per window (RE / cIE)
    batch_size: int = 32  # windows per retriever batch; reader token budget = batch_size x max_input_tokens
    kb: str = "passages.jsonl"  # entity passages (titles and candidate text), relative to the directory
    relations: str | None = None  # relation passages file (RE / cIE), relative to the directory
    overlapping_spans: bool = True  # False: of overlapping spans only the best-scoring one is kept (AIDA-style data)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise InputError(f"must be one of {TASKS}, got {self.task!r}", field="task")
        for name in ("window_size", "stride", "top_k", "relation_top_k", "batch_size"):
            check_positive_int(getattr(self, name), field=name)
        if self.stride > self.window_size:
            raise InputError(f"must be <= window_size ({self.window_size}), got {self.stride}", field="stride")
        if self.tokenizer not in TOKENIZERS:
            raise InputError(f"unknown word tokenizer {self.tokenizer!r}", field="tokenizer")

    @property
    def window_config(self) -> WindowConfig:
        return WindowConfig(self.window_size, self.stride, self.topic, self.tokenizer)

    def overridden(self, **values: Any) -> RelikSettings:
        """A copy with the given non-None values replaced (validated again)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_json(cls, obj: Any, path: str | Path | None = None) -> RelikSettings:
        """Build from `relik.json`; unknown fields and bad values raise `InputError` naming the file."""
        if not isinstance(obj, dict):
            raise InputError(f"expected a JSON object, got {type(obj).__name__}", path=path)
        known = {f.name for f in fields(cls)}
        for key in obj:
            if key not in known:
                raise InputError(f"unknown setting; known: {sorted(known)}", path=path, field=key)
        try:
            return cls(**obj)
        except InputError as exc:
            raise InputError(exc.message, path=path, field=exc.field) from None
        except TypeError as exc:
            raise InputError(f"bad value ({exc})", path=path) from None
