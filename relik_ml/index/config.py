"""The typed configuration of a passage index: a FAISS factory string plus search knobs.

`factory: auto` picks by KB size when the index is built: exact `Flat` below `auto_threshold`
vectors, else `LARGE_KB_FACTORY` searched with `LARGE_KB_KNOBS`, chosen by `benchmarks/index_wiki.py`
on real zero-shot MiniLM passage embeddings and AIDA testa window queries (figures in
benchmarks/results/index_wiki.json). The built index stores the resolved config, so a saved index
always names its concrete factory.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from relik_ml.errors import InputError

METRICS = ("ip", "l2")
AUTO = "auto"
# An HNSW graph (24 links a node, 48 on the base layer) over 8-bit scalar-quantised vectors: ~600 bytes
# a vector, about 3.8 GB with the string ids for 5.9M x 384 (Flat: 9.1 GB). Recall@100 0.991 on 20k
# real passages (0.98 from ef 512); IVF partitions fail on these unnormalised dot products: the top 100
# spreads over the lists (IVF512 recall@100 0.73 probing an eighth of them, 0.96 probing half).
LARGE_KB_FACTORY = "HNSW24,SQ8"
LARGE_KB_KNOBS = {"ef_search": 1024}


@dataclass(frozen=True)
class IndexConfig:
    """How to build and search a `PassageIndex`; stored (resolved) in its `manifest.json`."""

    factory: str = "Flat"  # FAISS factory string ("Flat", "HNSW32", "IVF1024,PQ32", ...) or "auto" (see module doc)
    metric: str = "ip"  # "ip" (dot product, higher is better) or "l2" (scores are -squared distance)
    use_gpu: bool = False  # search on a GPU copy when faiss has GPU support and a device exists
    nprobe: int = 16  # IVF lists probed at search time
    ef_search: int = 128  # HNSW search depth
    k_factor: int = 4  # Refine(...) indexes: the first pass returns k * k_factor candidates, re-scored by the refine codes
    train_size: int = 100_000  # most vectors used to train IVF/PQ (seeded sample)
    auto_threshold: int = 1_000_000  # factory "auto": from this many vectors on, LARGE_KB_FACTORY replaces Flat
    recall_check_queries: int = 200  # indexed vectors used as queries to measure recall at build (0 = skip)
    recall_k: int = 100  # depth of the build-time recall check (recall@k vs exact)
    compact_fraction: float = 0.2  # HNSW / Refine: rebuild once removed vectors exceed this fraction
    seed: int = 0  # seed of the training and recall-check samples

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise InputError(f"must be one of {METRICS}, got {self.metric!r}", field="metric")
        if not self.factory.strip():
            raise InputError("empty FAISS factory string", field="factory")
        for name in ("nprobe", "ef_search", "k_factor", "train_size", "auto_threshold", "recall_k"):
            if getattr(self, name) < 1:
                raise InputError(f"must be >= 1, got {getattr(self, name)}", field=name)
        if self.recall_check_queries < 0:
            raise InputError("must be >= 0", field="recall_check_queries")
        if not 0.0 < self.compact_fraction <= 1.0:
            raise InputError("must be in (0, 1]", field="compact_fraction")

    def resolved(self, size: int) -> IndexConfig:
        """The concrete config for an index of `size` vectors (only `factory: auto` changes)."""
        if self.factory != AUTO:
            return self
        if size < self.auto_threshold:
            return replace(self, factory="Flat")
        return replace(self, factory=LARGE_KB_FACTORY, **LARGE_KB_KNOBS)
