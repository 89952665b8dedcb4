"""Model directory assembly and `relik.json` validation."""
from __future__ import annotations

import json

import pytest

from relik_ml.errors import InputError
from relik_ml.inference import Relik, RelikSettings
from relik_ml.io import read_manifest


def test_assembled_directory_has_the_documented_layout(model_dir):
    names = {p.name for p in model_dir.iterdir()}
    assert {"relik.json", "retriever", "index", "passages.jsonl", "reader", "manifest.json"} <= names
    manifest = read_manifest(model_dir)
    assert manifest["artifact"] == "promoted_model" and manifest["counts"]["passages"] == 20
    assert set(manifest["inputs"]) >= {"retriever", "index", "reader", "passages.jsonl"}


def test_settings_round_trip_and_validation():
    settings = RelikSettings(top_k=7)
    assert RelikSettings.from_json(settings.to_json()) == settings
    with pytest.raises(InputError, match="field 'topk'"):
        RelikSettings.from_json({"topk": 3}, path="relik.json")
    with pytest.raises(InputError, match="relik.json: field 'stride'"):
        RelikSettings.from_json({"window_size": 8, "stride": 9}, path="relik.json")


def test_bad_relik_json_names_the_file(model_dir, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "relik.json").write_text(json.dumps({"task": "xx"}))
    with pytest.raises(InputError, match="relik.json: field 'task'"):
        Relik.from_pretrained(broken)


def test_missing_directory_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        Relik.from_pretrained(tmp_path / "nothing")
