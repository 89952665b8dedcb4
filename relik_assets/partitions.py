"""Partitions where the data really splits: DaMuEL languages and task dataset splits."""
from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from relik_ml.config import Params
from relik_ml.stages import languages, task_split_keys


@dataclass(frozen=True)
class Layout:
    """Partition definitions derived from `params.yaml`."""

    languages: dg.StaticPartitionsDefinition
    task_splits: dg.StaticPartitionsDefinition


def build_layout(params: Params) -> Layout:
    return Layout(
        languages=dg.StaticPartitionsDefinition(languages(params) or ["en"]),
        task_splits=dg.StaticPartitionsDefinition(task_split_keys(params)),
    )
