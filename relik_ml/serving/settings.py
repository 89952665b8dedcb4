"""`ServeSettings`: how `relik-ml serve` listens, batches, limits requests and watches the model."""
from __future__ import annotations

from dataclasses import dataclass

from relik_ml.arguments import check_positive_int
from relik_ml.errors import InputError


@dataclass(frozen=True)
class ServeSettings:
    """Settings of the HTTP service (`relik-ml serve` flags of the same names)."""

    host: str = "127.0.0.1"  # loopback only unless told otherwise (0.0.0.0 exposes the service)
    port: int = 8000
    max_batch: int = 32  # texts read in one model call; 1 disables micro-batching
    max_wait_ms: float = 5.0  # how long the first request of a batch waits for others to join it
    max_text_chars: int = 100_000  # characters per text (a longer one is a 422 naming the text)
    max_texts: int = 256  # texts per request (a longer list is a 422 on "texts")
    max_body_bytes: int = 8 * 1024 * 1024  # request body size (a larger body is a 413)
    timeout_s: float = 60.0  # per request, queueing included (a request not answered by then is a 504)
    reload_poll_s: float = 2.0  # how often the model directory is checked for a replacement; 0: never
    threads: int | None = None  # torch / FAISS CPU threads of the model (None: torch's default)

    def __post_init__(self) -> None:
        for name in ("port", "max_batch", "max_text_chars", "max_texts", "max_body_bytes"):
            check_positive_int(getattr(self, name), field=name)
        if self.threads is not None:
            check_positive_int(self.threads, field="threads")
        if self.port > 65535:
            raise InputError(f"expected a port from 1 to 65535, got {self.port}", field="port")
        for name, lowest in (("max_wait_ms", 0.0), ("reload_poll_s", 0.0), ("timeout_s", 1e-3)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= lowest:
                raise InputError(f"expected a number >= {lowest:g}, got {value!r:.60}", field=name)
