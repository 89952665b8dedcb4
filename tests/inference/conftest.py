"""Tiny-model tests run on one thread (the model fixtures live in tests/conftest.py)."""
from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="session", autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)
