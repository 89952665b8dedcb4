"""FAISS plumbing: build and train from a factory string, removal strategy, search knobs, GPU copy.

Removal: IVF indexes keep their own int64 ids and remove in place; every other index is wrapped
in `IndexIDMap2`. Flat-code indexes (Flat, PQ, SQ) then remove in place; graph indexes (HNSW) and
two-stage `Refine(...)` indexes (a compressed first pass whose candidates are re-scored by finer
codes, both addressed by position) cannot, so removed ids become tombstones excluded at search time
by an `IDSelector` (a graph still routes through them) until `compacted` re-adds the live vectors.
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
    if faiss.try_extract_index_ivf(index) is None or _refine(index) is not None:
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
    """Apply `nprobe` (IVF), `ef_search` (HNSW) and `k_factor` (Refine) where the index has them."""
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.nprobe = config.nprobe
    refine = _refine(index)
    if refine is not None:
        refine.k_factor = config.k_factor
    graph = _first_pass(index)
    if isinstance(graph, faiss.IndexHNSW):
        graph.hnsw.efSearch = config.ef_search


def removes_in_place(index: faiss.Index) -> bool:
    """Whether `remove_ids` works on this index (else removals become tombstones)."""
    if _refine(index) is not None:
        return False
    return faiss.try_extract_index_ivf(index) is not None or isinstance(_core(index), faiss.IndexFlatCodes)


def excluding(index: faiss.Index, config: IndexConfig, removed: set[int]) -> faiss.SearchParameters | None:
    """Search parameters that skip the tombstoned int ids (None when there are none).

    A Refine index's first pass is addressed by position under the id map, so its selector names
    the tombstones' positions and travels in the base index's parameters.
    """
    if not removed:
        return None
    tombstones = np.fromiter(removed, dtype=np.int64)
    refine = _refine(index)
    if refine is None:
        return _params_with(_core(index), faiss.IDSelectorNot(faiss.IDSelectorBatch(tombstones)), config)
    positions = np.flatnonzero(np.isin(stored_ids(index), tombstones)).astype(np.int64)
    base_params = _params_with(_first_pass(index), faiss.IDSelectorNot(faiss.IDSelectorBatch(positions)), config)
    return faiss.IndexRefineSearchParameters(k_factor=config.k_factor, base_index_params=base_params)


def _params_with(index: faiss.Index, selector: faiss.IDSelector, config: IndexConfig) -> faiss.SearchParameters:
    if isinstance(index, faiss.IndexHNSW):
        return faiss.SearchParametersHNSW(sel=selector, efSearch=config.ef_search)
    if faiss.try_extract_index_ivf(index) is not None:
        return faiss.SearchParametersIVF(sel=selector, nprobe=config.nprobe)
    return faiss.SearchParameters(sel=selector)


def compacted(index: faiss.Index, removed: set[int], chunk_rows: int = 65_536) -> faiss.Index:
    """A copy of a tombstoned `IndexIDMap2` holding only its live vectors, under the same int ids.

    The copy keeps the trained structure (no retraining) and is filled chunk by chunk with vectors
    reconstructed from the stored codes (a Refine index's refine codes, re-quantised losslessly for SQ8).
    """
    int_ids = stored_ids(index)
    keep = np.flatnonzero(~np.isin(int_ids, np.fromiter(removed, dtype=np.int64)))
    core = _core(index)
    empty = faiss.clone_index(core)
    empty.reset()
    fresh = faiss.IndexIDMap2(empty)
    for start in range(0, len(keep), chunk_rows):
        positions = keep[start : start + chunk_rows]
        fresh.add_with_ids(core.reconstruct_batch(positions), int_ids[positions])  # (chunk, d)
    return fresh


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
    """The index under an id map."""
    return faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap) else index


def _refine(index: faiss.Index) -> faiss.IndexRefine | None:
    """The two-stage `Refine(...)` index under an id map, if it is one."""
    core = _core(index)
    return core if isinstance(core, faiss.IndexRefine) else None


def _first_pass(index: faiss.Index) -> faiss.Index:
    """The index searched first: a Refine index's base, else the core."""
    refine = _refine(index)
    return faiss.downcast_index(refine.base_index) if refine is not None else _core(index)


def _faiss_message(exc: Exception) -> str:
    """The human part of a FAISS C++ error (drops the function signature and failed assertion)."""
    return _FAISS_ERROR_PREFIX.split(str(exc).strip())[-1][:300]
