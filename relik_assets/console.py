"""What `make demo` shows: one line per asset, a progress bar on long steps, the rest in a log file."""
from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from tqdm import tqdm


@contextlib.contextmanager
def routed_to(log: Path) -> Iterator[TextIO]:
    """Send all output of the block (Python, C code, child processes; stdout and stderr) to `log`.

    Yields a stream on the original stdout for the lines meant for the user. The redirection is of
    the file descriptors, so library loggers, warnings and progress bars bound to sys.stderr follow it.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(1), "w", buffering=1)
    with open(log, "ab", buffering=0) as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            terminal.close()


def duration(seconds: float) -> str:
    """`9.4s`, `2m05s` or `1h02m`."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def asset_line(status: str, seconds: float, label: str) -> str:
    """`built     12.4s  el/retriever`: what happened, how long it took, which asset."""
    return f"{status:<7}{duration(seconds):>7}  {label}"


def shown(path: str | Path) -> str:
    """A path relative to the working directory when it lies below it."""
    path = Path(path).resolve()
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


class ProgressBar:
    """A `relik_ml.progress` listener drawing one bar for the asset being built, on a terminal only.

    A new bar starts when the unit or total changes (a retriever's training steps, then the
    passages it embeds); the bar is erased when closed, so only the asset lines stay on screen.
    """

    def __init__(self, label: str, terminal: TextIO, min_interval: float = 0.5) -> None:
        self.label = label
        self.terminal = terminal
        self.min_interval = min_interval  # seconds between redraws
        self.enabled = terminal.isatty()
        self.bar: tqdm | None = None

    def __call__(self, done: int, total: int, unit: str) -> None:
        if not self.enabled:
            return
        if self.bar is None or self.bar.unit != unit or self.bar.total != (total or None):
            self.close()
            self.bar = tqdm(total=total or None, desc=self.label, unit=unit, file=self.terminal,
                            leave=False, dynamic_ncols=True, mininterval=self.min_interval)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
