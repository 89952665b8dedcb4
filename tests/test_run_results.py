"""The result file of a run: the re/ branch built on the bundled CoNLL04 sample with a tiny model in a
real DVC repository writes `<data_root>/re/results.json`, which the real `dvc metrics show` lists; a
held-out test part is reported by `evaluation_report.held_out_part: test` and selects nothing."""
from __future__ import annotations

import hashlib
import json

import pytest
import torch
import yaml

from relik_ml.backbones import tiny_backbone
from relik_ml.cli import main
from relik_ml.config import _merge, load_params
from relik_ml.dvc_yaml import render_dvc_yaml
from relik_ml.errors import InputError
from relik_ml.io import read_json, read_manifest
from relik_ml.stages import load_checked_params, stage_call
from tests.paths import SAMPLE, temp_params
from tests.test_dvc_real import dvc, dvc_repo


def _tiny_re(backbone) -> dict:
    train = {"max_steps": 2, "max_epochs": 1, "batch_size": 8, "passages_per_batch": 5, "val_every_n_steps": 2,
             "eval_k": 5}
    return {"tracking": {"mode": "disabled"}, "re": {
        "relations": str(SAMPLE / "conll04" / "relations.json"),
        "relation_retriever": {"backbone": str(backbone), "train": train},
        "reader": {"backbone": str(backbone), "train": {"phases": [
            {"max_steps": 1, "warmup_steps": 0, "val_check_interval": 1},
            {"max_steps": 1, "warmup_steps": 0, "val_check_interval": 1, "learning_rate": 1.0e-4}]}},
        "evaluation_report": {"gate": {"min_f1": 0.0}},
    }}


def test_a_built_report_writes_its_result_file_and_dvc_metrics_show_lists_it(tmp_path):
    torch.set_num_threads(1)
    path, _ = dvc_repo(tmp_path)
    settings = _merge(yaml.safe_load(path.read_text()), _tiny_re(tiny_backbone(tmp_path / "tiny")))
    del settings["re"]["reader"]["train"]["max_steps"]  # stated by the phases
    path.write_text(yaml.safe_dump(settings))
    (tmp_path / "dvc.yaml").write_text(render_dvc_yaml(load_params(path)))
    assert main(["build", "re/evaluation_report", "--params", str(path)]) == 0

    params = load_params(path)
    results = read_json(tmp_path / "data" / "re" / "results.json")
    report = read_json(params.artifact_dir("re/evaluation_report") / "report" / "report.json")["results"]
    assert results["metrics"] == {r["dataset"]: r["metrics"] for r in report}
    assert results["splits"] == {"trained_on": "conll04-train", "selected_on": "conll04-dev",
                                 "reported": ["conll04-dev"], "reported_is_selection": True}
    for split, part in (("conll04-train", "train"), ("conll04-dev", "dev")):
        assert results["data"][split] == read_manifest(params.artifact_dir("re/task_windows", part))["counts"]
    assert results["params_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert results["budget"]["reader_train"]["phases"][1]["learning_rate"] == 1.0e-4
    assert results["budget"]["relation_top_k"] == 5 and results["gate"]["passed"]
    assert results["wall_seconds"]["re/reader"] > 0 and results["wall_seconds"]["evaluation_report"] > 0
    assert read_manifest(params.artifact_dir("re/reader"))["counts"]["steps"] == 2  # both phases ran

    shown = dvc(tmp_path, "metrics", "show", "--json")
    assert shown.returncode == 0, shown.stderr
    metrics = json.loads(shown.stdout)[""]["data"]["data/re/results.json"]["data"]
    assert metrics["metrics"]["conll04-dev"]["re_strict"] == results["metrics"]["conll04-dev"]["re_strict"]
    assert "data/re/results.json" in dvc(tmp_path, "metrics", "show").stdout


def test_a_held_out_test_part_is_reported_and_selects_nothing(tmp_path):
    split = {"held_out": {"source_split": "train", "dev_percent": 20, "test_percent": 20},
             "evaluation_report": {"held_out_part": "test", "gate": {"dataset": "conll04-test"}}}
    params = load_checked_params(temp_params(tmp_path, {"re": split}))
    report = stage_call("re/evaluation_report", params)
    assert set(k for k in report.inputs if k.startswith("eval_")) == {"eval_conll04-test"}
    reader = stage_call("re/reader", params)
    assert (reader.inputs["train"].name, reader.inputs["dev"].name) == ("train", "dev")
    foreach = yaml.safe_load(render_dvc_yaml(params))["stages"]["re/task_windows"]["foreach"]
    assert list(foreach) == ["train", "dev", "test"]
    ids = {}
    for part in ("train", "dev", "test"):
        stage_call("re/task_windows", params, part).build()
        documents = params.artifact_dir("re/task_windows", part) / "documents.jsonl"
        ids[part] = {json.loads(line)["id"] for line in documents.read_text().splitlines()}
    assert all(ids.values()) and not (ids["test"] & (ids["train"] | ids["dev"]))

    no_test_part = _merge(split, {"held_out": {"test_percent": 0}})
    with pytest.raises(InputError, match="test_percent") as error:
        load_checked_params(temp_params(tmp_path, {"re": no_test_part}))
    assert error.value.field == "re.evaluation_report.held_out_part"


@pytest.mark.parametrize("name, branch, result, selected, reported", [
    ("params.real.yaml", "el", "real_el.json", "aida-testa", ["eval_aida-testa"]),
    ("params.real-own-text.yaml", "el", "real_el_own_text.json", "aida-testa", ["eval_aida-testa"]),
    ("params.real-wiki.yaml", "el", "real_el_wiki.json", "aida-testa", ["eval_aida-testa"]),
    ("params.real-re.yaml", "re", "real_re_conll04.json", "conll04-dev", ["eval_conll04-dev"]),
    ("params.real-nyt.yaml", "re", "real_re_nyt.json", "nyt-dev", ["eval_nyt-test"]),
])
def test_each_real_params_file_names_its_result_file_and_splits(name, branch, result, selected, reported):
    from relik_ml.stages.branches import BRANCHES
    from relik_ml.stages.factory import run_record
    from tests.paths import ROOT

    params = load_checked_params(ROOT / name)
    record = run_record(next(b for b in BRANCHES if b.prefix == branch), params)
    assert record.path == ROOT / "benchmarks" / "results" / result and record.selected_on == selected
    report = stage_call(f"{branch}/evaluation_report", params)
    assert sorted(k for k in report.inputs if k.startswith("eval_")) == reported
