"""Named wall-clock phases of a benchmark run, printed as they end."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class Clock:
    """Named wall-clock phases in seconds."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def run(self, name: str, fn: Callable[[], Any]) -> Any:
        started = time.monotonic()
        result = fn()
        self.seconds[name] = round(time.monotonic() - started, 1)
        print(f"[{time.strftime('%H:%M:%S')}] {name}: {self.seconds[name]}s", flush=True)
        return result
