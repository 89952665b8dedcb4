"""FAISS plumbing: build and train from a factory string, removal strategy, search knobs, GPU copy.

Removal: IVF indexes keep their own int64 ids and remove in place; every other index is wrapped
in `IndexIDMap2`. Flat-code indexes (Flat, PQ, SQ) then remove in place; graph indexes (HNSW)
cannot, so removed ids become tombstones excluded at search time by an `IDSelector` (the graph
still routes through them) until `compact` rebuilds the graph from the live vectors.
"""
from __future__ import annotations

import logging
import re

import faiss
import numpy as np

from relik_ml.errors import InputError
from relik_ml.index.config import IndexConfig

log = logging.getLogger(__name__)

_FAISS_ERROR_PREFIX = re.compile(r"\.(?:cpp|h):\d+: (?:Error: '.*?' failed: )?")
FAISS_METRICS = {"ip": faiss.METRIC_INNER_PRODUCT, "l2": faiss.METRIC_L2}


def new_index(config: IndexConfig, dim: int, train: np.ndarray) -> faiss.Index:
    """An empty index from `config.factory`, trained on a seeded sample of `train` when needed."""
    try:
        index = faiss.index_factory(dim, config.factory, FAISS_METRICS[config.metric])
    except RuntimeError as exc:
        raise InputError(f"invalid FAISS factory string {config.factory!r}: {_faiss_message(exc)}", field="factory") from None
    if not index.is_trained:
        _train(index, config, train)
    if faiss.try_extract_index_ivf(index) is None:
        index = faiss.IndexIDMap2(index)
    set_search_knobs(index, config)
    return index


def _train(index: faiss.Index, config: IndexConfig, train: np.ndarray) -> None:
    rng = np.random.default_rng(config.seed)
    if len(train) > config.train_size:
        train = train[np.sort(rng.choice(len(train), config.train_size, replace=False))]
    try:
        index.train(train)
    except RuntimeError as exc:
        raise InputError(f"training {config.factory!r} on {len(train)} vectors failed: {_faiss_message(exc)}", field="factory") from None


def set_search_knobs(index: faiss.Index, config: IndexConfig) -> None:
    """Apply `nprobe` (IVF) and `ef_search` (HNSW) where the index has them."""
    space = faiss.ParameterSpace()
    if faiss.try_extract_index_ivf(index) is not None:
        space.set_index_parameter(index, "nprobe", config.nprobe)
    if isinstance(_core(index), faiss.IndexHNSW):
        space.set_index_parameter(index, "efSearch", config.ef_search)


def removes_in_place(index: faiss.Index) -> bool:
    """Whether `remove_ids` works on this index (else removals become tombstones)."""
    return faiss.try_extract_index_ivf(index) is not None or isinstance(_core(index), faiss.IndexFlatCodes)


def excluding(index: faiss.Index, config: IndexConfig, removed: set[int]) -> faiss.SearchParameters | None:
    """Search parameters that skip the tombstoned int ids (None when there are none)."""
    if not removed:
        return None
    selector = faiss.IDSelectorNot(faiss.IDSelectorBatch(np.fromiter(removed, dtype=np.int64)))
    if isinstance(_core(index), faiss.IndexHNSW):
        params = faiss.SearchParametersHNSW(sel=selector, efSearch=config.ef_search)
    else:
        params = faiss.SearchParameters(sel=selector)
    return params


def live_vectors(index: faiss.Index, removed: set[int]) -> tuple[np.ndarray, np.ndarray]:
    """Vectors (n, d) and int ids (n,) of an `IndexIDMap2` minus the tombstones."""
    int_ids = faiss.vector_to_array(index.id_map)
    keep = ~np.isin(int_ids, np.fromiter(removed, dtype=np.int64))
    vectors = index.index.reconstruct_n(0, index.ntotal)  # (ntotal, d)
    return np.ascontiguousarray(vectors[keep]), int_ids[keep]


def stored_ids(index: faiss.Index) -> np.ndarray | None:
    """The int ids an `IndexIDMap2` holds (None for IVF, whose ids live in the inverted lists)."""
    return faiss.vector_to_array(index.id_map) if isinstance(index, faiss.IndexIDMap) else None


def gpu_available() -> bool:
    return hasattr(faiss, "StandardGpuResources") and faiss.get_num_gpus() > 0


def to_gpu(index: faiss.Index, config: IndexConfig) -> faiss.Index:
    """A GPU copy of `index` for searching; the CPU index when the type has no GPU version."""
    try:
        gpu = faiss.index_cpu_to_gpu(faiss.StandardGpuResources(), 0, index)
    except RuntimeError as exc:
        log.warning("searching %s on CPU: no GPU version (%s)", config.factory, _faiss_message(exc))
        return index
    if faiss.try_extract_index_ivf(index) is not None:
        faiss.GpuParameterSpace().set_index_parameter(gpu, "nprobe", config.nprobe)
    return gpu


def read_index(path: str) -> faiss.Index:
    try:
        return faiss.read_index(path)
    except RuntimeError as exc:
        raise InputError(f"not a readable FAISS index: {_faiss_message(exc)}", path=path) from None


def _core(index: faiss.Index) -> faiss.Index:
    """The innermost index under an id map."""
    return faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap) else index


def _faiss_message(exc: Exception) -> str:
    """The human part of a FAISS C++ error (drops the function signature and failed assertion)."""
    return _FAISS_ERROR_PREFIX.split(str(exc).strip())[-1][:300]
