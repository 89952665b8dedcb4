"""The typed configuration of a passage index: a FAISS factory string plus search knobs."""
from __future__ import annotations

from dataclasses import dataclass

from relik_ml.errors import InputError

METRICS = ("ip", "l2")


@dataclass(frozen=True)
class IndexConfig:
    """How to build and search a `PassageIndex`; stored in its `manifest.json`."""

    factory: str = "Flat"  # FAISS factory string: "Flat", "HNSW32", "IVF1024,PQ32", ...
    metric: str = "ip"  # "ip" (dot product, higher is better) or "l2" (scores are -squared distance)
    use_gpu: bool = False  # search on a GPU copy when faiss has GPU support and a device exists
    nprobe: int = 16  # IVF lists probed at search time
    ef_search: int = 128  # HNSW search depth
    train_size: int = 100_000  # most vectors used to train IVF/PQ (seeded sample)
    recall_check_queries: int = 200  # indexed vectors used as queries to measure recall at build (0 = skip)
    recall_k: int = 100  # depth of the build-time recall check (recall@k vs exact)
    compact_fraction: float = 0.2  # HNSW: rebuild the graph once removed vectors exceed this fraction
    seed: int = 0  # seed of the training and recall-check samples

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise InputError(f"must be one of {METRICS}, got {self.metric!r}", field="metric")
        if not self.factory.strip():
            raise InputError("empty FAISS factory string", field="factory")
        for name in ("nprobe", "ef_search", "train_size", "recall_k"):
            if getattr(self, name) < 1:
                raise InputError(f"must be >= 1, got {getattr(self, name)}", field=name)
        if self.recall_check_queries < 0:
            raise InputError("must be >= 0", field="recall_check_queries")
        if not 0.0 < self.compact_fraction <= 1.0:
            raise InputError("must be in (0, 1]", field="compact_fraction")
