"""Fixtures shared by the whole test suite."""
from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`<repo>/../shared/data`, or skip the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA.resolve()


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """A tiny self-contained model directory (untrained retriever + reader, Flat index)."""
    from tests.inference.tiny_model import build_model_dir

    return build_model_dir(tmp_path_factory.mktemp("relik"))


@pytest.fixture(scope="session")
def retriever_only_dir(tmp_path_factory) -> Path:
    from tests.inference.tiny_model import build_model_dir

    return build_model_dir(tmp_path_factory.mktemp("relik-retriever"), with_reader=False)


@pytest.fixture(scope="session")
def relik(model_dir):
    from relik_ml.inference import Relik

    return Relik.from_pretrained(model_dir)
