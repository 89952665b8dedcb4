from __future__ import annotations

import re

import pytest
import yaml

from relik_ml.config import load_params
from relik_ml.errors import InputError
from relik_ml.stages import STAGES, stage_call
from relik_ml.stages.kinds import KINDS

from tests.paths import ROOT


def test_project_params_load_typed():
    params = load_params(ROOT / "params.yaml")
    assert params.task_windows.window_size == 32 and params.task_windows.stride == 16
    assert params.relation_passages.drop_datatypes == ("external-id",)
    assert set(params.raw.datasets) >= {"aida", "conll04"}
    assert params.data_root == ROOT / "data"


def test_unknown_key_is_an_error(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("entity_passages:\n  max_wrods: 10\n")
    with pytest.raises(InputError, match=r"params\.yaml: field 'entity_passages': unknown keys \['max_wrods'\]"):
        load_params(path)


def test_every_partitioned_stage_needs_a_valid_partition():
    params = load_params(ROOT / "params.yaml")
    for name, stage in STAGES.items():
        if stage.partitions is None:
            assert stage_call(name, params).out == params.data_root / name
            continue
        with pytest.raises(KeyError, match="needs --partition"):
            stage_call(name, params, "no-such-partition")
        key = stage.partitions(params)[0]
        assert stage_call(name, params, key).out == params.data_root / name / key


@pytest.mark.parametrize("path", sorted(ROOT.glob("params*.yaml")), ids=lambda p: p.name)
def test_every_params_file_in_the_project_builds_its_branch_configs(path):
    from relik_ml.stages import load_checked_params
    from relik_ml.stages.branch_config import branch_config
    from relik_ml.stages.branches import BRANCHES

    params = load_checked_params(path)
    configured = [b for b in BRANCHES if b.prefix in params.sections]
    assert configured
    for branch in configured:
        config = branch_config(params, branch)
        reader, report = config.sections["reader"].model, config.sections["evaluation_report"].settings
        assert reader["task"] == report["task"] == branch.task
        for retrieval in branch.retrievals:  # K stated once, the same in every stage that uses it
            kind = KINDS[retrieval.kind]
            assert reader[kind.reader_k] == report[kind.k_key] == config.sections[kind.candidates].top_k
        assert all(report[key] == getattr(params.task_windows, key) for key in ("window_size", "stride", "topic"))


@pytest.mark.parametrize(("section", "key"), [
    ("el:\n  top_kk: 20\n", r"field 'el': unknown keys \['top_kk'\]"),
    ("el:\n  reader: {bakbone: minilm-l6}\n", r"field 'el\.reader': unknown keys \['bakbone'\]"),
    ("re:\n  relation_candidates: {batch_sise: 64}\n", r"field 're\.relation_candidates': unknown keys \['batch_sise'\]"),
    ("cie:\n  evaluation_report: {settings: {overlaping_spans: false}}\n", r"field 'cie\.evaluation_report\.settings'"),
    ("el:\n  retriever: {model: {max_passage_tokenz: 32}}\n",
     r"field 'el\.retriever\.model': unknown retriever keys \['max_passage_tokenz'\]"),
    ("raw:\n  kilt_dump: x.jsonl\n", r"field 'raw': unknown keys \['kilt_dump'\]"),
    ("paths:\n  data_rot: data\n", r"field 'paths': unknown keys \['data_rot'\]"),
    ("trackng:\n  mode: offline\n", r"unknown sections \['trackng'\]"),
    ("tracking:\n  mod: offline\n", r"field 'tracking': unknown keys \['mod'\]"),
])
def test_a_misspelt_branch_key_fails_loading_naming_it(section, key):
    from relik_ml.stages import load_checked_params

    overrides = yaml.safe_load(section)
    with pytest.raises(InputError, match=key):
        load_checked_params(ROOT / "params.yaml", overrides)


@pytest.mark.parametrize(("overrides", "restated", "stated"), [
    ({"el": {"candidates": {"top_k": 50}}}, "el.candidates.top_k", "el.top_k"),
    ({"el": {"reader": {"model": {"max_candidates": 100}}}}, "el.reader.model.max_candidates", "el.top_k"),
    ({"cie": {"evaluation_report": {"settings": {"relation_top_k": 3}}}},
     "cie.evaluation_report.settings.relation_top_k", "cie.relation_top_k"),
    ({"re": {"evaluation_report": {"settings": {"window_size": 64}}}},
     "re.evaluation_report.settings.window_size", "task_windows.window_size"),
    ({"el": {"evaluation_report": {"settings": {"stride": 8}}}}, "el.evaluation_report.settings.stride",
     "task_windows.stride"),
])
def test_a_contradictory_k_or_window_key_fails_loading_naming_both_keys(overrides, restated, stated):
    from relik_ml.stages import load_checked_params

    with pytest.raises(InputError, match=rf"field '{re.escape(restated)}': restates {re.escape(stated)}"):
        load_checked_params(ROOT / "params.yaml", overrides)


def test_k_and_the_window_reach_every_stage_that_uses_them():
    params = load_params(ROOT / "params.yaml", {"el": {"top_k": 7}, "task_windows": {"window_size": 40, "stride": 20}})
    assert stage_call("el/candidates", params).config.top_k == 7
    assert stage_call("el/reader", params).config["model"]["max_candidates"] == 7
    settings = stage_call("el/evaluation_report", params).config["settings"]
    assert (settings["top_k"], settings["window_size"], settings["stride"]) == (7, 40, 20)
    assert stage_call("el/retriever", params).config["train"].eval_k == 7  # dev recall@K unless stated
    stated = load_params(ROOT / "params.yaml", {"el": {"retriever": {"train": {"eval_k": 100}}}})
    assert stage_call("el/retriever", stated).config["train"].eval_k == 100


def test_a_misspelt_reader_key_is_an_error_naming_the_field():
    from relik_ml.reader.configuration import RelikReaderConfig

    with pytest.raises(InputError, match=r"field 'el/reader\.model': unknown reader keys \['candidate_text_layrs'\]"):
        RelikReaderConfig.from_settings({"task": "el", "candidate_text_layrs": 2}, field="el/reader.model")
    with pytest.raises(InputError, match="field 'el/reader.model': candidate_attention must be one of"):
        RelikReaderConfig.from_settings({"candidate_attention": "cross"}, field="el/reader.model")
