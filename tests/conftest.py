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


@pytest.fixture(autouse=True)
def _no_leftover_dagster_state_storage():
    """Each test starts without a current Dagster defs-state storage.

    A Dagster instance registers its state storage in a context variable; after two test instances
    have come and gone, the variable can still point at a disposed one, and the next
    `Definitions.resolve_asset_graph()` fails on a dead weak reference.
    """
    from dagster._core.storage.defs_state.base import set_defs_state_storage

    with set_defs_state_storage(None):
        yield
