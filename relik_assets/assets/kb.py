"""KB text assets: entity passages (KILT), relation passages (Wikidata), DaMuEL passages per language."""
# No `from __future__ import annotations`: Dagster inspects the context/resource annotations at runtime.

import dagster as dg

from relik_assets.checks.quality import PASSAGES_CHECK, passages_check
from relik_assets.partitions import Layout
from relik_assets.resources import DvcResource, ProjectResource
from relik_assets.stage import materialize_stage

EAGER = dg.AutomationCondition.eager()


def _passages_checks(name: str) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(PASSAGES_CHECK, asset=name, blocking=True, description="GX passages suite")]


def build_kb_assets(layout: Layout) -> list:
    @dg.asset(
        group_name="kb", code_version="1", deps=["raw_kilt"], automation_condition=EAGER,
        check_specs=_passages_checks("entity_passages"),
        description="Entity passages (title + opening text) from the KILT knowledge source.",
    )
    def entity_passages(context: dg.AssetExecutionContext, project: ProjectResource, dvc: DvcResource):
        return materialize_stage(context, "entity_passages", project.load(), dvc, passages_check)

    @dg.asset(
        group_name="kb", code_version="1", deps=["raw_wikidata_properties"], automation_condition=EAGER,
        check_specs=_passages_checks("relation_passages"),
        description="Relation passages (label + definition) from Wikidata properties, external ids dropped.",
    )
    def relation_passages(context: dg.AssetExecutionContext, project: ProjectResource, dvc: DvcResource):
        return materialize_stage(context, "relation_passages", project.load(), dvc, passages_check)

    @dg.asset(
        group_name="kb", code_version="1", deps=["raw_damuel"], partitions_def=layout.languages,
        automation_condition=EAGER, check_specs=_passages_checks("damuel_passages"),
        description="Multilingual entity passages ([M] label [M] description) and mention contexts, per language.",
    )
    def damuel_passages(context: dg.AssetExecutionContext, project: ProjectResource, dvc: DvcResource):
        return materialize_stage(context, "damuel_passages", project.load(), dvc, passages_check)

    return [entity_passages, relation_passages, damuel_passages]
