"""The stage table's records: a stage, and one concrete call of it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relik_ml.config import Params
from relik_ml.pipeline import Summary


@dataclass(frozen=True)
class StageCall:
    """One concrete run of a stage: where it writes, what it reads, how it builds."""

    artifact: str
    partition: str | None
    out: Path
    config: Any
    inputs: dict[str, Path]
    build: Callable[[], Summary]


@dataclass(frozen=True)
class Stage:
    """A stage of the lineage: its group, the params.yaml keys it reads, how to call it."""

    name: str  # artifact name: asset key ("el/retriever"), DVC stage, folder under data/
    group: str  # lineage group: raw, kb, windows, retrieval, reading, evaluation
    params: tuple[str, ...]  # params.yaml keys (dotted) the stage reads
    call: Callable[[Params, str | None], StageCall] = field(repr=False)
    upstream: tuple[str, ...] = ()  # artifacts it reads
    raw: tuple[str, ...] = ()  # raw input assets it reads
    partitions: Callable[[Params], list[str]] | None = None  # partition keys, when partitioned
    heavy: bool = False  # training/embedding: runs in the concurrency pool for heavy steps
    description: str = ""  # one line shown in the lineage UI
    persist: bool = False  # DVC keeps the old output while the stage runs (a failed gate keeps the promoted model)
    metrics: Callable[[Params], Path] | None = None  # the run's result file beside the artifact (a DVC metric)
    role: str = ""  # what the artifact is, for its checks: passages, windows, task_windows, model, embeddings, index, recall_report
