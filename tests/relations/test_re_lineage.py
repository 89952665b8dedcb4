"""The re/ branch end to end on the bundled CoNLL04 sample with a tiny model and budget: gate,
promotion, `Relik.from_pretrained` triplets, `relik-ml annotate` and `relik-ml evaluate`.
Real stages, real (tiny) training, real FAISS."""
from __future__ import annotations

import json

import pytest
import torch

from relik_ml.backbones import tiny_backbone
from relik_ml.cli import main
from relik_ml.config import load_params
from relik_ml.inference import Relik, to_json
from relik_ml.io import read_manifest
from relik_ml.pipeline.evaluation import GateFailed
from relik_ml.stages import stage_call
from tests.paths import SAMPLE, temp_params

TRAIN = {"max_steps": 2, "max_epochs": 1, "batch_size": 8, "passages_per_batch": 5, "val_every_n_steps": 2,
         "eval_k": 5}


def _tiny_params(tmp_path, backbone, **report):
    """The project's params with a tiny backbone and budget (the relation index stays in the model)."""
    return temp_params(tmp_path, {
        "tracking": {"mode": "disabled"},
        "re": {
            "relations": str(SAMPLE / "conll04" / "relations.json"),
            "relation_retriever": {"backbone": str(backbone), "train": TRAIN},
            "reader": {"backbone": str(backbone),
                       "train": {"max_steps": 2, "warmup_steps": 1, "val_check_interval": 2}},
            "evaluation_report": report,
        },
    })


@pytest.fixture(scope="module")
def promoted(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("re-lineage")
    backbone = tiny_backbone(root / "backbone")
    params_path = _tiny_params(root, backbone, gate={"min_f1": 0.0})
    assert main(["gate", "--task", "re", "--params", str(params_path)]) == 0
    params = load_params(params_path)
    stage_call("re/promoted_model", params).build()
    return root, params


def test_reader_threshold_was_tuned_on_dev(promoted):
    _, params = promoted
    manifest = read_manifest(params.artifact_dir("re/reader"))
    tuning = manifest["relation_threshold_tuning"]
    assert tuning["dev_windows"] == 60 and 0.0 < tuning["threshold"] < 1.0
    config = json.loads((params.artifact_dir("re/reader") / "config.json").read_text())
    expected = tuning["default_threshold"] if tuning["kept_default"] else tuning["threshold"]
    assert config["relation_threshold"] == expected and config["task"] == "re"
    assert tuning["kept_default"] == (tuning["f1"] == 0.0)


def test_report_and_promoted_model_carry_triplets(promoted, capsys):
    root, params = promoted
    report = json.loads((params.artifact_dir("re/evaluation_report") / "report" / "report.json").read_text())
    (result,) = report["results"]
    assert result["dataset"] == "conll04-dev" and result["task"] == "re"
    assert result["relation_top_k"] == Relik.from_pretrained(params.artifact_dir("re/promoted_model")).settings.relation_top_k
    report_md = (params.artifact_dir("re/evaluation_report") / "report" / "report.md").read_text()
    assert f"| conll04-dev | {result['relation_top_k']} | re_strict F1" in report_md
    assert {"re_strict", "mention_detection"} <= set(result["metrics"]) and "inkb_el" not in result["metrics"]
    model_dir = params.artifact_dir("re/promoted_model")
    assert (model_dir / "relation_index").is_dir() and not (model_dir / "index").exists()
    relik = Relik.from_pretrained(model_dir)
    relik.reader.config.relation_threshold = 0.0  # an untrained reader: keep every scored triplet
    out = to_json(relik("John Smith works for Acme Corp in Boston ."),
                  relation_titles={p: r.title for p, r in relik.relations.passages.items()})
    relations = json.loads((SAMPLE / "conll04" / "relations.json").read_text())
    for triplet in out["triplets"]:
        assert triplet["relation"] in relations and triplet["relation_title"]
        assert {"start", "end"} <= set(triplet["subject"]) and 0.0 <= triplet["score"] <= 1.0

    assert main(["annotate", "Mary Jones lives in Paris .", "--model", str(model_dir)]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(record) >= {"spans", "triplets"}

    code = main(["evaluate", str(SAMPLE / "conll04" / "dev.json"), "--format", "conll04", "--model", str(model_dir),
                 "--json", "--output-dir", str(root / "cli-report")])
    assert code == 0
    (cli,) = json.loads(capsys.readouterr().out)
    assert cli["task"] == "re" and cli["metrics"]["re_strict"] == result["metrics"]["re_strict"]
    assert (root / "cli-report" / "report.md").read_text().count("re_strict F1") == 1


def test_gate_refuses_a_candidate_below_the_floor(promoted, tmp_path):
    _, params = promoted
    strict = load_params(temp_params(tmp_path, {"paths": {"data_root": str(params.data_root)},
                                                "re": {"evaluation_report": {"gate": {"min_f1": 1.01}}}}))
    with pytest.raises(GateFailed, match="floor"):
        stage_call("re/promoted_model", strict).build()
