"""A tiny random encoder with MiniLM's real tokenizer, and a toy KB, for the multilingual linker's tests."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from relik_ml.backbones import tiny_backbone
from relik_ml.mel import BiEncoderConfig, EntityKB, MelBiEncoder, MelEntity

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

TOY_KB = [
    MelEntity("Q90", "Paris", "capital city of France on the Seine"),
    MelEntity("Q142", "France", "country in Western Europe"),
    MelEntity("Q1490", "Tokyo", "capital of Japan"),
    MelEntity("Q17", "Japan", "island country in East Asia"),
    MelEntity("Q64", "Berlin", "capital of Germany"),
    MelEntity("Q183", "Germany", "country in Central Europe"),
    MelEntity("Q220", "Rome", "capital of Italy"),
    MelEntity("Q38", "Italy", "country in Southern Europe"),
]


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """One intra-op thread: the tiny model's ops are so small that a second thread on a busy core only
    spin-waits (20x slower here with the machine's two cores taken); the previous count is restored."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    return tiny_backbone(tmp_path_factory.mktemp("mel") / "tiny", hidden_size=32, num_layers=2)


@pytest.fixture()
def encoder(tiny_dir) -> MelBiEncoder:
    return MelBiEncoder.from_backbone(BiEncoderConfig(backbone=str(tiny_dir), max_context_tokens=32,
                                                      max_entity_tokens=24))


@pytest.fixture()
def toy_kb() -> EntityKB:
    return EntityKB(TOY_KB)
