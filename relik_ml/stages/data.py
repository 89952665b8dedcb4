"""Stage calls of the data stages: KB texts, windows, backbones."""
from __future__ import annotations

from relik_ml import pipeline
from relik_ml.config import Params
from relik_ml.stages.core import StageCall

def task_split_keys(params: Params) -> list[str]:
    return [f"{name}-{split}" for name, ds in params.raw.datasets.items() for split in ds.splits]


def split_task_key(key: str) -> tuple[str, str]:
    dataset, _, split = key.rpartition("-")
    return dataset, split


def languages(params: Params) -> list[str]:
    return sorted(params.raw.damuel)


def entity_passages_call(params: Params, _: str | None) -> StageCall:
    kilt, out = params.resolve(params.raw.kilt), params.artifact_dir("entity_passages")
    config = params.entity_passages
    return StageCall("entity_passages", None, out, config, {"kilt": kilt},
                     lambda: pipeline.entity_passages(kilt, config, out))


def relation_passages_call(params: Params, _: str | None) -> StageCall:
    source, out = params.resolve(params.raw.wikidata_properties), params.artifact_dir("relation_passages")
    config = params.relation_passages
    return StageCall("relation_passages", None, out, config, {"wikidata_properties": source},
                     lambda: pipeline.relation_passages(source, config, out))


def damuel_passages_call(params: Params, lang: str | None) -> StageCall:
    assert lang is not None, "damuel_passages is partitioned by language"
    parts, out = params.resolve(params.raw.damuel[lang]), params.artifact_dir("damuel_passages", lang)
    config = params.damuel_passages
    return StageCall("damuel_passages", lang, out, config, {"damuel": parts},
                     lambda: pipeline.damuel_passages(parts, lang, config, out))


def pretraining_windows_call(params: Params, _: str | None) -> StageCall:
    kilt, out = params.resolve(params.raw.kilt), params.artifact_dir("pretraining_windows")
    config = params.pretraining_windows
    return StageCall("pretraining_windows", None, out, config, {"kilt": kilt},
                     lambda: pipeline.pretraining_windows(kilt, config, out))


def task_windows_call(params: Params, key: str | None) -> StageCall:
    assert key is not None, "task_windows is partitioned by dataset split"
    dataset, split = split_task_key(key)
    source = params.raw.datasets[dataset]
    out, config = params.artifact_dir("task_windows", key), params.task_windows
    inputs = {f"file{i}": params.resolve(f) for i, f in enumerate(source.splits[split])}
    return StageCall("task_windows", key, out, config, inputs,
                     lambda: pipeline.task_windows(source, split, config, params.root, out))


def backbones_call(params: Params, _: str | None) -> StageCall:
    out, config = params.artifact_dir("backbones"), params.backbones
    return StageCall("backbones", None, out, config, {}, lambda: pipeline.backbones(config, out))


