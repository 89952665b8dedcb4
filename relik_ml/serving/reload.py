"""The served model and its replacement without downtime.

A model directory is replaced atomically (`relik_ml.io.atomic_directory` exchanges a finished
temporary directory with it: promotion, `relik-ml index refresh`), so its identity is the directory's
inode together with the content hash of its `manifest.json`. `ModelWatcher.watch` polls that
identity; on a change it loads the new directory in a background thread while the old model keeps
serving, checks that the identity did not change again during the load (else it loads again), and
then swaps one reference. A batch takes the reference once, so batches in flight finish on the old
model. A directory that fails to load (bad files, gone) leaves the old model serving and is tried
again when the directory changes once more.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from relik_ml.inference import Relik
from relik_ml.io import MANIFEST

log = logging.getLogger(__name__)


def model_identity(directory: Path) -> str:
    """`DEV:INODE:SHA256(manifest.json)` of the directory; "" when it or its manifest is missing."""
    try:
        info = os.stat(directory)
        manifest = (directory / MANIFEST).read_bytes()
    except OSError:
        return ""
    return f"{info.st_dev}:{info.st_ino}:{hashlib.sha256(manifest).hexdigest()}"


@dataclass(frozen=True)
class LoadedModel:
    """A loaded model with the identity of the directory it was read from."""

    relik: Relik
    identity: str
    loaded_at: float  # time.time() when it began serving

    @property
    def relation_titles(self) -> dict[str, str] | None:
        """Relation id -> label for RE / cIE models (the triplets' `relation_title`), as `relik-ml annotate`."""
        relations = self.relik.relations
        return {pid: p.title for pid, p in relations.passages.items()} if relations is not None else None


class ModelWatcher:
    """Holds the current model of `directory` and replaces it when the directory is replaced."""

    def __init__(self, directory: str | Path, load: Callable[[Path], Relik], *, poll_s: float) -> None:
        self.directory = Path(directory)
        self.load = load
        self.poll_s = poll_s
        self.current: LoadedModel | None = None
        self.reloads = 0  # replacements since the first model
        self.failed_identity: str | None = None  # a directory that did not load: not retried until it changes
        self.last_error: str | None = None

    def load_now(self) -> LoadedModel:
        """Load the directory (in the calling thread) and make it current; errors propagate."""
        while True:
            before = model_identity(self.directory)
            relik = self.load(self.directory)
            if model_identity(self.directory) == before:  # not replaced during the load: a consistent model
                break
        return self._install(LoadedModel(relik, before, time.time()))

    def adopt(self, relik: Relik) -> LoadedModel:
        """Serve an already loaded model of the directory (the `serve` command loads it before listening)."""
        return self._install(LoadedModel(relik, model_identity(self.directory), time.time()))

    async def watch(self) -> None:
        """Poll the directory every `poll_s` seconds and reload it on a change (runs until cancelled)."""
        while True:
            await asyncio.sleep(self.poll_s)
            identity = model_identity(self.directory)
            if not identity or identity in (self.failed_identity, self.current and self.current.identity):
                continue
            try:
                loaded = await asyncio.to_thread(self.load_now)
            except Exception as exc:  # whatever a bad replacement raises, the old model keeps serving
                self.failed_identity, self.last_error = identity, str(exc)
                log.error("model directory %s changed but does not load, still serving the previous model: %s",
                          self.directory, exc)
                continue
            log.info("model directory %s replaced: now serving %s", self.directory, loaded.identity)

    def _install(self, loaded: LoadedModel) -> LoadedModel:
        if self.current is not None:
            self.reloads += 1
        self.current = loaded
        self.failed_identity = self.last_error = None
        return loaded
