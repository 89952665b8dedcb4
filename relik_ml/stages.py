"""The stage table: for each artifact, its partitions, upstream artifacts, inputs, config and builder.

This is what `relik-ml run <stage>` (called by DVC), the Dagster assets and the `dvc.yaml`
generator share, so the three cannot drift apart.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relik_ml import pipeline
from relik_ml.config import Params


@dataclass(frozen=True)
class StageCall:
    """One concrete run of a stage: where it writes, what it reads, how it builds."""

    artifact: str
    partition: str | None
    out: Path
    config: Any
    inputs: dict[str, Path]
    build: Callable[[], pipeline.Summary]


@dataclass(frozen=True)
class Stage:
    """A stage of the lineage; `params` are the params.yaml sections it reads."""

    name: str
    params: tuple[str, ...]
    upstream: tuple[str, ...] = ()
    partitions: Callable[[Params], list[str]] | None = None
    call: Callable[[Params, str | None], StageCall] = field(default=None, repr=False)  # type: ignore[assignment]


def task_split_keys(params: Params) -> list[str]:
    return [f"{name}-{split}" for name, ds in params.raw.datasets.items() for split in ds.splits]


def split_task_key(key: str) -> tuple[str, str]:
    dataset, _, split = key.rpartition("-")
    return dataset, split


def languages(params: Params) -> list[str]:
    return sorted(params.raw.damuel)


def _entity_passages(params: Params, _: str | None) -> StageCall:
    kilt, out = params.resolve(params.raw.kilt), params.artifact_dir("entity_passages")
    config = params.entity_passages
    return StageCall("entity_passages", None, out, config, {"kilt": kilt},
                     lambda: pipeline.entity_passages(kilt, config, out))


def _relation_passages(params: Params, _: str | None) -> StageCall:
    source, out = params.resolve(params.raw.wikidata_properties), params.artifact_dir("relation_passages")
    config = params.relation_passages
    return StageCall("relation_passages", None, out, config, {"wikidata_properties": source},
                     lambda: pipeline.relation_passages(source, config, out))


def _damuel_passages(params: Params, lang: str | None) -> StageCall:
    assert lang is not None, "damuel_passages is partitioned by language"
    parts, out = params.resolve(params.raw.damuel[lang]), params.artifact_dir("damuel_passages", lang)
    config = params.damuel_passages
    return StageCall("damuel_passages", lang, out, config, {"damuel": parts},
                     lambda: pipeline.damuel_passages(parts, lang, config, out))


def _pretraining_windows(params: Params, _: str | None) -> StageCall:
    kilt, out = params.resolve(params.raw.kilt), params.artifact_dir("pretraining_windows")
    config = params.pretraining_windows
    return StageCall("pretraining_windows", None, out, config, {"kilt": kilt},
                     lambda: pipeline.pretraining_windows(kilt, config, out))


def _task_windows(params: Params, key: str | None) -> StageCall:
    assert key is not None, "task_windows is partitioned by dataset split"
    dataset, split = split_task_key(key)
    source = params.raw.datasets[dataset]
    out, config = params.artifact_dir("task_windows", key), params.task_windows
    inputs = {f"file{i}": params.resolve(f) for i, f in enumerate(source.splits[split])}
    return StageCall("task_windows", key, out, config, inputs,
                     lambda: pipeline.task_windows(source, split, config, params.root, out))


def _backbones(params: Params, _: str | None) -> StageCall:
    out, config = params.artifact_dir("backbones"), params.backbones
    return StageCall("backbones", None, out, config, {}, lambda: pipeline.backbones(config, out))


STAGES: dict[str, Stage] = {
    stage.name: stage
    for stage in (
        Stage("entity_passages", ("entity_passages",), call=_entity_passages),
        Stage("relation_passages", ("relation_passages",), call=_relation_passages),
        Stage("damuel_passages", ("damuel_passages",), partitions=languages, call=_damuel_passages),
        Stage("pretraining_windows", ("pretraining_windows",), call=_pretraining_windows),
        Stage("task_windows", ("task_windows",), upstream=("entity_passages",), partitions=task_split_keys,
              call=_task_windows),
        Stage("backbones", ("backbones",), call=_backbones),
    )
}


def stage_call(name: str, params: Params, partition: str | None = None) -> StageCall:
    """The concrete call of stage `name` (and `partition`, for partitioned stages)."""
    if name not in STAGES:
        raise KeyError(f"unknown stage {name!r}; stages: {', '.join(STAGES)}")
    stage = STAGES[name]
    if stage.partitions is not None:
        keys = stage.partitions(params)
        if partition not in keys:
            raise KeyError(f"stage {name!r} needs --partition, one of: {', '.join(keys)}")
    elif partition is not None:
        raise KeyError(f"stage {name!r} is not partitioned")
    return stage.call(params, partition)
