"""One shard of the passage embeddings: streamed, length-sorted, written atomically, resumable.

A shard is a function of (shard id, inputs) -> files, so any engine can run the shards anywhere:
`passages.jsonl` is streamed (memory grows with the shard, not the KB), the shard's passages are
picked by a stable sha1 of their id, embedded longest-first in chunks whose rows go straight into
a memory-mapped `embeddings.npy`, and the directory appears only when complete (a temporary
sibling renamed into place). A shard whose manifest records the same config, shard and input
hashes is reused as is; temporaries left by a killed run (its process gone) are removed first.
"""
from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from relik_ml.errors import InputError
from relik_ml.io import (
    MANIFEST,
    atomic_directory,
    iter_jsonl,
    read_json,
    remove_stale_temporaries,
    tree_sha256,
    write_manifest,
)
from relik_ml.pipeline.summary import PASSAGES_FILE
from relik_ml.types import Passage

EMBEDDINGS_FILE = "embeddings.npy"
IDS_FILE = "ids.txt"
ARTIFACT = "passage_embeddings"
CHUNK_ROWS = 8192  # passages embedded between two writes into the memory-mapped output

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddingConfig:
    shards: int = 1  # passage shards (partitions): the work spreads over processes or machines
    batch_size: int = 128  # passages per forward pass (length-sorted batches)


def shard_of(passage_id: str, shards: int) -> int:
    """Stable shard of a passage id (sha1, never `hash()`)."""
    return int(hashlib.sha1(passage_id.encode("utf-8")).hexdigest()[:8], 16) % shards


def iter_shard_passages(passages_dir: Path, shard: int, shards: int) -> Iterator[Passage]:
    """Stream `passages.jsonl`, yielding only the passages of `shard` (of `shards`)."""
    path = passages_dir / PASSAGES_FILE
    for line, obj in iter_jsonl(path):
        passage_id = obj.get("id")
        if not isinstance(passage_id, str) or not passage_id:
            raise InputError("passage without a string 'id'", path=path, line=line, field="id")
        if shard_of(passage_id, shards) == shard:
            try:
                yield Passage.from_json(obj)
            except KeyError as exc:
                raise InputError("passage field missing", path=path, line=line, field=str(exc.args[0])) from None


def input_hashes(retriever_dir: Path, passages_dir: Path) -> dict[str, str]:
    """Content hashes of the two inputs (what a finished shard is compared against)."""
    return {"retriever": tree_sha256(retriever_dir), "passages": tree_sha256(passages_dir)}


def finished_shard(out: Path, config: dict[str, Any], shard: int, inputs: dict[str, str]) -> dict[str, Any] | None:
    """The manifest of `out` when it is a complete shard built from this config and these inputs, else None."""
    manifest_path = out / MANIFEST
    if not manifest_path.exists():
        return None
    manifest = read_json(manifest_path)
    same = (manifest.get("artifact") == ARTIFACT and manifest.get("config") == config
            and manifest.get("counts", {}).get("shard") == shard and manifest.get("inputs") == inputs)
    if not same or not (out / EMBEDDINGS_FILE).exists() or not (out / IDS_FILE).exists():
        return None
    rows = np.load(out / EMBEDDINGS_FILE, mmap_mode="r", allow_pickle=False).shape[0]
    return manifest if rows == manifest["counts"].get("passages") else None


def build_shard(
    retriever_dir: Path, passages_dir: Path, shard: int, config: EmbeddingConfig, out: Path
) -> tuple[dict[str, Any], bool]:
    """Embed shard `shard` of `config.shards` into `out` unless already finished: (manifest, reused)."""
    if not 0 <= shard < config.shards:
        raise ValueError(f"shard {shard} out of range for {config.shards} shards")
    config_json = asdict(config)
    inputs = input_hashes(retriever_dir, passages_dir)
    for path in remove_stale_temporaries(out):  # also when the shard is reused: killed after its swap
        log.info("shard %d: removed the leftover %s of an interrupted run", shard, path)
    manifest = finished_shard(out, config_json, shard, inputs)
    if manifest is not None:
        log.info("shard %d: complete for these inputs, reused (%s)", shard, out)
        return manifest, True
    return _embed_shard(retriever_dir, passages_dir, shard, config, inputs, out), False


def _embed_shard(
    retriever_dir: Path, passages_dir: Path, shard: int, config: EmbeddingConfig, inputs: dict[str, str], out: Path
) -> dict[str, Any]:
    from relik_ml.retriever.encoder import Retriever

    started = time.perf_counter()
    passages = list(iter_shard_passages(passages_dir, shard, config.shards))
    read_seconds = time.perf_counter() - started
    model = Retriever.from_pretrained(retriever_dir)
    with atomic_directory(out, artifact=ARTIFACT, inputs=[retriever_dir, passages_dir]) as tmp:
        _write_embeddings(tmp / EMBEDDINGS_FILE, model, passages, config.batch_size, shard)
        (tmp / IDS_FILE).write_text("".join(f"{p.id}\n" for p in passages), encoding="utf-8")
        seconds = time.perf_counter() - started
        counts = {"passages": len(passages), "dim": model.dim, "shard": shard}
        built_by = {"host": socket.gethostname(), "pid": os.getpid(), "torch_threads": _torch_threads()}
        # the input hashes taken before embedding (not re-hashed now) are what a re-run compares against
        extra = {"inputs": inputs, "built_by": built_by, "seconds": round(seconds, 2),
                 "read_seconds": round(read_seconds, 2)}
        manifest = write_manifest(tmp, artifact=ARTIFACT, config=config, counts=counts, extra=extra)
    return manifest


def _write_embeddings(path: Path, model: Any, passages: list[Passage], batch_size: int, shard: int) -> None:
    """Embed longest-first, CHUNK_ROWS at a time, into a memory-mapped (n, d) float32 `.npy` in file order."""
    if not passages:
        np.save(path, np.zeros((0, model.dim), dtype=np.float32))
        return
    order = sorted(range(len(passages)), key=lambda i: len(passages[i].title) + len(passages[i].text), reverse=True)
    rows = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(len(passages), model.dim))
    for start in range(0, len(order), CHUNK_ROWS):
        chunk = order[start : start + CHUNK_ROWS]  # similar lengths: each batch pads little
        rows[chunk] = model.encode_passages([passages[i] for i in chunk], batch_size)  # (c, d)
        log.info("shard %d: %d/%d passages", shard, start + len(chunk), len(order))
    rows.flush()
    del rows


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def load_shard(directory: Path, mmap: bool = False) -> tuple[np.ndarray, list[str]]:
    """One finished shard: (n, d) float32 embeddings (memory-mapped read-only with `mmap`) and their ids;
    a directory without a manifest is refused."""
    manifest_path = directory / MANIFEST
    if not manifest_path.exists():
        raise InputError("not a finished embeddings shard (no manifest.json)", path=directory)
    embeddings = np.load(directory / EMBEDDINGS_FILE, allow_pickle=False, mmap_mode="r" if mmap else None)
    ids = (directory / IDS_FILE).read_text(encoding="utf-8").splitlines()
    if len(ids) != len(embeddings):
        raise InputError(f"{len(ids)} ids for {len(embeddings)} embedding rows", path=directory / IDS_FILE)
    return embeddings, ids
