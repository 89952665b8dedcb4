"""Raw inputs as observable source assets: their content hash is their data version."""
# No `from __future__ import annotations`: Dagster inspects the context/resource annotations at runtime.

import dagster as dg

from relik_ml.io import tree_sha256
from relik_ml.stages import split_task_key

from relik_assets.partitions import Layout
from relik_assets.resources import ProjectResource


def build_raw_assets(layout: Layout) -> list:
    @dg.observable_source_asset(group_name="raw", description="KILT knowledge source dump (JSONL).")
    def raw_kilt(project: ProjectResource) -> dg.DataVersion:
        params = project.load()
        return dg.DataVersion(tree_sha256(params.resolve(params.raw.kilt)))

    @dg.observable_source_asset(group_name="raw", description="Wikidata properties dump (JSON).")
    def raw_wikidata_properties(project: ProjectResource) -> dg.DataVersion:
        params = project.load()
        return dg.DataVersion(tree_sha256(params.resolve(params.raw.wikidata_properties)))

    @dg.observable_source_asset(
        group_name="raw", partitions_def=layout.languages, description="DaMuEL parts, one folder per language."
    )
    def raw_damuel(project: ProjectResource) -> dg.DataVersionsByPartition:
        params = project.load()
        return dg.DataVersionsByPartition(
            {lang: dg.DataVersion(tree_sha256(params.resolve(path))) for lang, path in params.raw.damuel.items()}
        )

    @dg.observable_source_asset(
        group_name="raw", partitions_def=layout.task_splits, description="Task datasets (AIDA, CoNLL04, ...), per split."
    )
    def raw_task_datasets(project: ProjectResource) -> dg.DataVersionsByPartition:
        params = project.load()
        versions = {}
        for key in layout.task_splits.get_partition_keys():
            dataset, split = split_task_key(key)
            files = params.raw.datasets[dataset].splits[split]
            versions[key] = dg.DataVersion("-".join(tree_sha256(params.resolve(f))[:16] for f in files))
        return dg.DataVersionsByPartition(versions)

    return [raw_kilt, raw_wikidata_properties, raw_damuel, raw_task_datasets]
