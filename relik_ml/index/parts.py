"""Row blocks too large to concatenate (e.g. memory-mapped shard `.npy` files) read in bounded chunks."""
from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from relik_ml.errors import InputError

Part = tuple[np.ndarray, Sequence[str]]  # vectors (n, d), possibly memory-mapped, and their n string ids


def check_parts(parts: Sequence[Part]) -> tuple[int, int]:
    """Total rows and the shared dimension of `parts`; mismatched shapes raise `InputError`."""
    if not parts:
        raise InputError("no embedding parts", field="embeddings")
    dims = {vectors.shape[1] if vectors.ndim == 2 else -1 for vectors, _ in parts}
    if len(dims) != 1 or -1 in dims:
        raise InputError(f"parts must be 2-D with one dimension, got shapes {[v.shape for v, _ in parts]}", field="embeddings")
    for number, (vectors, ids) in enumerate(parts):
        if len(ids) != len(vectors):
            raise InputError(f"part {number}: {len(ids)} ids for {len(vectors)} vectors", field="ids")
    return sum(len(vectors) for vectors, _ in parts), dims.pop()


def chunks(parts: Sequence[Part], chunk_rows: int) -> Iterator[tuple[np.ndarray, list[str]]]:
    """At most `chunk_rows` rows at a time (in part order) with their ids, as writable contiguous
    float32 arrays in RAM (read-only or memory-mapped rows are copied, in-memory ones are not)."""
    for vectors, ids in parts:
        for start in range(0, len(vectors), chunk_rows):
            block = vectors[start : start + chunk_rows]
            if isinstance(block, np.memmap) or not block.flags.writeable:
                block = np.array(block, dtype=np.float32)
            yield np.ascontiguousarray(block, dtype=np.float32), list(ids[start : start + chunk_rows])


def gather(parts: Sequence[Part], positions: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Rows at sorted global `positions` (counted across parts): float32 (m, d) and their ids."""
    rows, ids, offset = [], [], 0
    for vectors, part_ids in parts:
        local = positions[(positions >= offset) & (positions < offset + len(vectors))] - offset
        rows.append(np.asarray(vectors[local], dtype=np.float32))
        ids.extend(part_ids[i] for i in local.tolist())
        offset += len(vectors)
    return np.ascontiguousarray(np.concatenate(rows)), ids


def ids_at(parts: Sequence[Part], positions: np.ndarray, pad: str) -> list[list[str]]:
    """String ids at a (q, k) matrix of global positions; -1 becomes `pad`."""
    starts = np.cumsum([0] + [len(vectors) for vectors, _ in parts])  # (parts + 1,)
    part_of = np.searchsorted(starts, positions, side="right") - 1  # (q, k)
    return [
        [parts[part][1][position - starts[part]] if position >= 0 else pad for part, position in zip(part_row, row)]
        for part_row, row in zip(part_of.tolist(), positions.tolist())
    ]


def seeded_positions(total: int, count: int, seed: int) -> np.ndarray:
    """`min(count, total)` sorted distinct positions in [0, total), drawn with `seed`."""
    if count >= total:
        return np.arange(total)
    return np.sort(np.random.default_rng(seed).choice(total, count, replace=False))
