"""Refresh a `PassageIndex` in place against a newer KB: embed only new and changed passages.

No model lives here: the caller passes `embed(ids) -> float32 (n, d)`. What the index holds is
described by one content hash per indexed id, taken from the passages it was built from or from
the `content_hashes.json` sidecar that `save_with_hashes` writes into the index directory.
For an exact (`Flat`) index the refreshed index holds the same vectors under the same string ids
as a full rebuild over the newer KB, so their search results are identical.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from relik_ml.errors import InputError
from relik_ml.index.passage_index import PassageIndex
from relik_ml.io import atomic_directory, read_json

CONTENT_HASHES_FILE = "content_hashes.json"

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class KbDiff:
    """How a newer KB differs from what an index holds (ids in the newer KB's order)."""

    new: tuple[str, ...]  # in the newer KB, not indexed
    changed: tuple[str, ...]  # indexed, but the newer KB's content hash differs
    removed: tuple[str, ...]  # indexed, missing from the newer KB (only when pruning)
    unchanged: int  # indexed with the same content hash

    @property
    def to_embed(self) -> tuple[str, ...]:
        return self.new + self.changed


@dataclass(frozen=True)
class RefreshCounts:
    """What one refresh did; `size` is the number of indexed ids afterwards."""

    added: int
    updated: int
    removed: int
    unchanged: int
    embedded: int
    size: int

    def to_json(self) -> dict[str, int]:
        return asdict(self)


def diff_kb(held: Mapping[str, str], newer: Mapping[str, str], *, prune: bool = True) -> KbDiff:
    """Compare content hashes by id. `prune=False` keeps indexed ids the newer KB lacks (a partial dump)."""
    new = tuple(i for i in newer if i not in held)
    changed = tuple(i for i in newer if i in held and held[i] != newer[i])
    removed = tuple(i for i in held if i not in newer) if prune else ()
    return KbDiff(new, changed, removed, unchanged=len(newer) - len(new) - len(changed))


def refresh_index(
    index: PassageIndex, held: Mapping[str, str], newer: Mapping[str, str], embed: Embed, *, prune: bool = True
) -> RefreshCounts:
    """Remove, upsert and add in place so `index` reflects `newer`; only new and changed ids are embedded.

    `held` must hold a content hash for exactly the ids in `index`.
    """
    check_held(index, held)
    diff = diff_kb(held, newer, prune=prune)
    if diff.removed:
        index.remove(diff.removed)
    ids = list(diff.to_embed)
    if ids:
        vectors = np.ascontiguousarray(embed(ids), dtype=np.float32)
        if vectors.shape != (len(ids), index.dim):
            raise InputError(f"embed returned shape {vectors.shape}, expected {(len(ids), index.dim)}", field="embed")
        index.upsert(vectors, ids)
    return RefreshCounts(
        added=len(diff.new), updated=len(diff.changed), removed=len(diff.removed), unchanged=diff.unchanged,
        embedded=len(ids), size=len(index),
    )


def refreshed_hashes(held: Mapping[str, str], newer: Mapping[str, str], *, prune: bool = True) -> dict[str, str]:
    """The content hashes an index holds after `refresh_index(index, held, newer, ..., prune=prune)`."""
    if prune:
        return dict(newer)
    return {**held, **newer}


def check_held(index: PassageIndex, held: Mapping[str, str]) -> None:
    """Raise `InputError` unless `held` describes exactly the ids of `index`."""
    missing = [i for i in index.ids if i not in held]
    held_ids = list(held)
    extra = [i for i, known in zip(held_ids, index.contains_many(held_ids)) if not known]
    if missing or extra:
        raise InputError(
            f"content hashes do not match the index: {len(missing)} indexed ids without a hash (e.g. {missing[:3]}), "
            f"{len(extra)} hashes of ids not indexed (e.g. {extra[:3]})", field="content_hashes",
        )


def read_content_hashes(directory: str | Path) -> dict[str, str] | None:
    """The `content_hashes.json` sidecar of an index directory, or None when there is none."""
    path = Path(directory) / CONTENT_HASHES_FILE
    if not path.exists():
        return None
    obj = read_json(path)
    if not isinstance(obj, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in obj.items()):
        raise InputError("expected a JSON object of id -> content hash strings", path=path)
    return obj


def save_with_hashes(index: PassageIndex, hashes: Mapping[str, str], directory: str | Path) -> None:
    """Save the index and its `content_hashes.json` sidecar together, atomically."""
    check_held(index, hashes)
    with atomic_directory(directory) as tmp:
        index.save(tmp)
        (tmp / CONTENT_HASHES_FILE).write_text(json.dumps(dict(hashes), ensure_ascii=False), encoding="utf-8")
