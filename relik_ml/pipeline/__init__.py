"""One short function per artifact: inputs and config in, one artifact directory out.

Each function is named after its artifact (the Dagster asset key, the DVC stage, the folder under
`data/`, the `params.yaml` section), writes its directory atomically with a `manifest.json`, and
returns a `Summary` for the orchestration layer to show.
"""
from __future__ import annotations

from relik_ml.pipeline.data import (
    backbones,
    damuel_passages,
    entity_passages,
    pretraining_windows,
    relation_passages,
    task_windows,
)
from relik_ml.pipeline.summary import (
    DOCUMENTS_FILE,
    MENTIONS_FILE,
    PASSAGES_FILE,
    WINDOWS_FILE,
    Summary,
)

__all__ = [
    "DOCUMENTS_FILE", "MENTIONS_FILE", "PASSAGES_FILE", "WINDOWS_FILE", "Summary",
    "backbones", "damuel_passages", "entity_passages", "pretraining_windows", "relation_passages", "task_windows",
]
