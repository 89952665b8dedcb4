"""The re/ and cie/ rows of the stage table: wiring, configs, relation passages and held-out splits."""
from __future__ import annotations

import json

import pytest
import yaml

from relik_ml.config import load_params
from relik_ml.dvc_yaml import render_dvc_yaml
from relik_ml.errors import InputError
from relik_ml.pipeline.artifacts import load_documents, load_passages
from relik_ml.pipeline.relations import definition_passages, in_part, qid_entity_passages, relation_label
from relik_ml.stages import STAGES, stage_call
from tests.paths import ROOT, SAMPLE, temp_params

RE_CHAIN = ["re/task_windows", "re/relation_passages", "re/relation_retriever", "re/relation_embeddings",
            "re/relation_index", "re/relation_candidates", "re/reader", "re/evaluation_report", "re/promoted_model"]
CIE_ONLY = ["cie/entity_passages", "cie/retriever", "cie/passage_embeddings", "cie/passage_index", "cie/candidates",
            "cie/relation_retriever", "cie/relation_index", "cie/relation_candidates", "cie/reader"]


def test_branches_are_registered_in_order_with_known_upstream():
    names = list(STAGES)
    assert [n for n in names if n.startswith("re/")] == RE_CHAIN
    assert set(CIE_ONLY) <= set(names)
    for name in names:
        for upstream in STAGES[name].upstream:
            assert upstream in STAGES and names.index(upstream) < names.index(name), (name, upstream)
    assert "relation_passages" in STAGES["cie/relation_retriever"].upstream  # Wikidata properties
    assert {"cie/candidates", "cie/relation_candidates"} <= set(STAGES["cie/reader"].upstream)
    assert STAGES["re/promoted_model"].persist and STAGES["cie/promoted_model"].persist


def test_every_stage_call_resolves_and_dvc_yaml_is_current():
    params = load_params(ROOT / "params.yaml")
    for name in [*RE_CHAIN, *CIE_ONLY]:
        stage = STAGES[name]
        for part in stage.partitions(params) if stage.partitions else [None]:
            call = stage_call(name, params, part)
            assert call.out == params.artifact_dir(name, part)
    dvc = yaml.safe_load(render_dvc_yaml(params))["stages"]
    assert dvc["re/reader"]["cmd"] == "relik-ml run re/reader"
    assert "data/re/relation_candidates" in dvc["re/reader"]["deps"]
    assert set(dvc["re/task_windows"]["foreach"]) == {"train", "dev"}
    assert (ROOT / "dvc.yaml").read_text() == render_dvc_yaml(params)


def test_re_evaluation_with_all_relations_leaves_the_relation_index_out(tmp_path, monkeypatch):
    from relik_ml.pipeline import evaluation

    built = []
    monkeypatch.setattr(evaluation, "evaluation_report", lambda components, *_, **__: built.append(dict(components)))
    params = load_params(temp_params(tmp_path, {"re": {"all_relations": True}}))
    stage_call("re/evaluation_report", params).build()
    indexed = load_params(temp_params(tmp_path, {"re": {"all_relations": False}}))
    stage_call("re/evaluation_report", indexed).build()
    stage_call("cie/evaluation_report", params).build()
    every_relation, indexed_relations, cie = built
    assert "relations" in every_relation and "relation_index" not in every_relation and "index" not in every_relation
    assert {"relation_retriever", "relation_index"} <= set(indexed_relations)
    assert {"retriever", "index", "passages", "relation_retriever", "relation_index", "relations"} <= set(cie)
    # the lineage graph does not depend on the option: the relation index stays an input
    assert "relation_index" in stage_call("re/evaluation_report", params).inputs


def test_all_relations_candidates_are_every_relation_in_file_order(tmp_path):
    params = load_params(temp_params(tmp_path, {"re": {"all_relations": True,
                                                       "relations": str(SAMPLE / "conll04" / "relations.json")}}))
    for name, part in (("re/task_windows", "train"), ("re/task_windows", "dev"), ("re/relation_passages", None)):
        stage_call(name, params, part).build()
    call = stage_call("re/relation_candidates", params)
    assert call.config == {"all_relations": True} and "retriever" in call.inputs  # same lineage graph
    call.build()
    order = list(json.loads((SAMPLE / "conll04" / "relations.json").read_text()))
    rows = [json.loads(line) for line in (call.out / "dev.candidates.jsonl").read_text().splitlines()]
    assert len(rows) == 60 and all([c[0] for c in row["candidates"]] == order for row in rows)


def test_unknown_keys_and_missing_datasets_are_errors(tmp_path):
    typo = load_params(temp_params(tmp_path, {"re": {"relation_index": {"factroy": "Flat"}}}))
    with pytest.raises(InputError, match="factroy"):
        stage_call("re/relation_index", typo)
    moved = load_params(temp_params(tmp_path, {"re": {"evaluation_report": {"all_relations": True}}}))
    with pytest.raises(InputError, match="all_relations"):  # a branch-level option, not a report one
        stage_call("re/evaluation_report", moved)
    missing = load_params(temp_params(tmp_path, {"re": {"dataset": "nope"}}))
    with pytest.raises(KeyError, match="nope"):
        stage_call("re/task_windows", missing, "train")


def test_definition_passages(tmp_path):
    summary = definition_passages(SAMPLE / "nyt" / "relations.json", tmp_path / "nyt")
    passages = load_passages(tmp_path / "nyt")
    assert summary.counts["passages"] == len(passages) == 24
    by_id = {p.id: p for p in passages}
    assert by_id["/people/person/place_lived"].title == "place lived"
    assert relation_label("Work_For") == "work for" and relation_label("OrgBased_In") == "orgbased in"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"Kill": "  "}))
    with pytest.raises(InputError, match="Kill"):
        definition_passages(bad, tmp_path / "out")
    bad.write_text("[1, 2]")
    with pytest.raises(InputError, match="bad.json"):
        definition_passages(bad, tmp_path / "out")


def test_qid_entity_passages_cover_the_rebel_sample(tmp_path):
    from relik_ml.formats import read_documents

    qid_entity_passages(SAMPLE / "kilt" / "knowledge_source.jsonl", load_params(ROOT / "params.yaml").entity_passages,
                        tmp_path / "kb")
    ids = {p.id for p in load_passages(tmp_path / "kb")}
    assert all(i.startswith("Q") for i in ids)
    rebel = read_documents("rebel", [SAMPLE / "rebel" / "sample.jsonl"])
    linked = {s.label for d in rebel for s in d.spans if s.label.startswith("Q")}
    assert linked <= ids


def test_held_out_split_is_stable_and_disjoint(tmp_path):
    assert all(in_part(f"d{i}", "train", 20) != in_part(f"d{i}", "dev", 20) for i in range(200))
    assert 20 <= sum(in_part(f"d{i}", "dev", 20) for i in range(200)) <= 60
    params = load_params(temp_params(tmp_path))
    docs = {}
    for part in ("train", "dev"):
        call = stage_call("cie/task_windows", params, part)
        call.build()
        docs[part] = {d.id for d in load_documents(call.out)}
    assert docs["train"] and docs["dev"] and not docs["train"] & docs["dev"]
    assert len(docs["train"] | docs["dev"]) == 150
    with pytest.raises(ValueError):
        in_part("d", "valid", 20)


def test_a_test_part_is_held_back_from_the_lineage_windows(tmp_path):
    ids = [f"d{i}" for i in range(1000)]
    parts = [[p for p in ("train", "dev", "test") if in_part(i, p, 10, 10)] for i in ids]
    assert all(len(found) == 1 for found in parts)  # every document in exactly one part
    assert [in_part(i, "dev", 10, 10) for i in ids] == [in_part(i, "dev", 10) for i in ids]  # dev unchanged
    assert 60 <= sum(found == ["test"] for found in parts) <= 140
    params = load_params(temp_params(tmp_path, {"cie": {"held_out": {"source_split": "train", "dev_percent": 20,
                                                                      "test_percent": 20}}}))
    docs = {}
    for part in ("train", "dev"):
        call = stage_call("cie/task_windows", params, part)
        call.build()
        docs[part] = {d.id for d in load_documents(call.out)}
    test = {d["docid"] for d in map(json.loads, (SAMPLE / "rebel" / "sample.jsonl").read_text().splitlines())
            if in_part(d["docid"], "test", 20, 20)}
    assert test and docs["train"] and docs["dev"]
    assert not (docs["train"] | docs["dev"]) & test
    assert len(docs["train"] | docs["dev"] | test) == 150
    (tmp_path / "bad").mkdir()
    bad = load_params(temp_params(tmp_path / "bad", {"cie": {"held_out": {"source_split": "train", "dev_percent": 50,
                                                                           "test_percent": 50}}}))
    with pytest.raises(InputError, match="test_percent"):
        stage_call("cie/task_windows", bad, "train").build()


def test_a_readers_warm_start_directory_is_a_hashed_input(tmp_path):
    warm = str(tmp_path / "earlier_reader")
    params = load_params(temp_params(tmp_path, {"el": {"reader": {"train": {"init_from": warm}}},
                                                 "re": {"reader": {"train": {"init_from": warm}}}}))
    for name in ("el/reader", "re/reader"):
        assert str(stage_call(name, params).inputs["init_from"]) == warm
    (tmp_path / "plain").mkdir()
    plain = load_params(temp_params(tmp_path / "plain"))
    assert "init_from" not in stage_call("el/reader", plain).inputs


def test_a_new_branch_is_a_description_its_stages_come_from_the_factory(tmp_path):
    """A toy relation-typing branch: own windows, an entity retrieval over the shared KB, a relation
    retrieval over the branch's own definitions."""
    from relik_ml.stages.branch import Branch, Retrieval
    from relik_ml.stages.factory import branch_stages

    toy = Branch(prefix="toy", task="cie", what="toy", title="Toy evaluation", windows="own",
                 retrievals=(Retrieval("entity", kb="entity_passages"), Retrieval("relation", kb="relation_definitions")))
    stages = {s.name: s for s in branch_stages(toy)}
    assert list(stages) == [
        "toy/task_windows", "toy/relation_passages", "toy/retriever", "toy/passage_embeddings", "toy/passage_index",
        "toy/candidates", "toy/relation_retriever", "toy/relation_embeddings", "toy/relation_index",
        "toy/relation_candidates", "toy/reader", "toy/evaluation_report", "toy/promoted_model"]
    assert stages["toy/retriever"].upstream == ("entity_passages", "toy/task_windows", "backbones")
    assert set(stages["toy/reader"].upstream) == {"toy/candidates", "entity_passages", "toy/relation_candidates",
                                                  "toy/relation_passages", "backbones", "toy/task_windows"}
    assert stages["toy/reader"].params == ("toy.reader", "toy.top_k", "toy.relation_top_k")
    assert stages["toy/relation_candidates"].params == ("toy.relation_candidates", "toy.relation_top_k",
                                                        "toy.all_relations")
    assert stages["toy/evaluation_report"].params == ("toy.evaluation_report", "toy.all_relations", "toy.top_k",
                                                      "toy.relation_top_k", "task_windows")
    assert stages["toy/relation_passages"].params == ("toy.relations",) and stages["toy/promoted_model"].persist
    # its calls resolve against a params section of its own: K and the window derived, paths under toy/
    params = load_params(temp_params(tmp_path, {"toy": {
        "dataset": "conll04", "relations": str(SAMPLE / "conll04" / "relations.json"), "top_k": 3, "relation_top_k": 2,
        "reader": {"model": {"candidate_text": "title"}}}}))
    reader = stages["toy/reader"].call(params, None)
    assert reader.out == params.artifact_dir("toy/reader")
    assert reader.config["model"] == {"candidate_text": "title", "task": "cie", "max_candidates": 3,
                                      "max_relation_candidates": 2}
    assert reader.inputs["passages"] == params.artifact_dir("entity_passages")
    assert reader.inputs["relations"] == params.artifact_dir("toy/relation_passages")
    windows = stages["toy/task_windows"].call(params, "dev")
    assert windows.out == params.artifact_dir("toy/task_windows", "dev") and windows.config["split"] == "dev"
    report = stages["toy/evaluation_report"].call(params, None).config["settings"]
    assert (report["top_k"], report["relation_top_k"], report["window_size"], report["task"]) == (3, 2, 32, "cie")
