"""The blocking model-sanity check: weights load and are finite, and the model answers a smoke query."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file, save_file

from relik_assets.checks.integrity import MODEL_CHECK, model_check
from relik_ml.errors import InputError
from relik_ml.smoke import smoke_query
from tests.inference.tiny_model import build_model_dir


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    torch.set_num_threads(1)
    return build_model_dir(tmp_path_factory.mktemp("smoke"))


def result(directory):
    [check] = model_check(directory)
    assert check.check_name == MODEL_CHECK
    return check.passed, {k: v.value for k, v in check.metadata.items()}


@pytest.mark.parametrize("part, kind", [(".", "model"), ("retriever", "retriever"), ("reader", "reader")])
def test_each_kind_of_model_directory_answers_the_smoke_query(model_dir, part, kind):
    passed, metadata = result(model_dir / part)
    assert passed and metadata["finite"] and metadata["weight_files"] >= 1
    assert metadata["smoke_query"]["kind"] == kind and metadata["smoke_query"]["finite"]


def test_non_finite_weights_fail(model_dir, tmp_path):
    broken = tmp_path / "reader"
    shutil.copytree(model_dir / "reader", broken)
    [weights] = broken.glob("*.safetensors")
    tensors = load_file(weights)
    name = next(k for k, v in tensors.items() if v.dtype.kind == "f")
    tensors[name] = np.full_like(tensors[name], np.nan)
    save_file(tensors, weights)
    passed, metadata = result(broken)
    assert not passed and not metadata["finite"]


def test_a_model_that_cannot_answer_fails_with_the_reason(model_dir, tmp_path):
    broken = tmp_path / "retriever"
    shutil.copytree(model_dir / "retriever", broken)
    config = json.loads((broken / "config.json").read_text(encoding="utf-8"))
    (broken / "config.json").write_text(json.dumps({**config, "max_query_tokens": 0}), encoding="utf-8")
    passed, metadata = result(broken)
    assert not passed and "error" in metadata["smoke_query"]


def test_smoke_query_refuses_a_directory_that_is_no_model(tmp_path):
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="not a retriever, reader or model directory"):
        smoke_query(tmp_path)
    passed, metadata = result(tmp_path)
    assert not passed and metadata["weight_files"] == 0
