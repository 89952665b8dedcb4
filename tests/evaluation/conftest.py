"""Session fixtures: a tiny model directory (with and without reader) and its loaded `Relik`."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.inference.tiny_model import build_model_dir


@pytest.fixture(scope="session", autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    return build_model_dir(tmp_path_factory.mktemp("relik"))


@pytest.fixture(scope="session")
def retriever_only_dir(tmp_path_factory) -> Path:
    return build_model_dir(tmp_path_factory.mktemp("relik-retriever"), with_reader=False)


@pytest.fixture(scope="session")
def relik(model_dir):
    from relik_ml.inference import Relik

    return Relik.from_pretrained(model_dir)
