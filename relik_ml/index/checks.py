"""Preconditions on the arrays and ids handed to the index."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from relik_ml.errors import InputError


def check_vectors(x: np.ndarray, field: str, dim: int | None = None) -> None:
    """Require a finite, C-contiguous float32 matrix (n, dim)."""
    if not isinstance(x, np.ndarray):
        raise InputError(f"expected a numpy array, got {type(x).__name__}", field=field)
    if x.ndim != 2:
        raise InputError(f"expected a 2-D array (n, dim), got shape {x.shape}", field=field)
    if x.dtype != np.float32:
        raise InputError(f"expected float32, got {x.dtype} (use .astype(np.float32))", field=field)
    if not x.flags.c_contiguous:
        raise InputError("expected a C-contiguous array (use np.ascontiguousarray)", field=field)
    if dim is not None and x.shape[1] != dim:
        raise InputError(f"dimension {x.shape[1]} does not match the index dimension {dim}", field=field)
    if not np.isfinite(x).all():
        bad = int(np.flatnonzero(~np.isfinite(x).all(axis=1))[0])
        raise InputError(f"row {bad} contains NaN or inf", field=field)


def check_ids(ids: Sequence[str], count: int) -> list[str]:
    """Require `count` distinct, non-empty string ids without tabs or newlines."""
    ids = list(ids)
    if len(ids) != count:
        raise InputError(f"{len(ids)} ids for {count} vectors", field="ids")
    for position, item in enumerate(ids):
        if not isinstance(item, str) or not item or any(c in item for c in "\t\n\r"):
            raise InputError(f"id at position {position} must be a non-empty string without tabs or newlines: {item!r}", field="ids")
    if len(set(ids)) != len(ids):
        raise InputError(f"duplicate ids, e.g. {_first_duplicate(ids)!r}", field="ids")
    return ids


def _first_duplicate(ids: list[str]) -> str:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            return item
        seen.add(item)
    raise AssertionError("no duplicate")
