"""Tiny random backbones: deterministic, saved with a real vocabulary, loadable offline."""
from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from relik_ml.backbones import is_e5, load_encoder, tiny_backbone


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return tiny_backbone(tmp_path_factory.mktemp("tiny") / "bert")


def test_round_trips_through_save_and_load(tiny_dir, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    tokenizer, model = load_encoder(tiny_dir)
    assert model.config.hidden_size == 32 and model.config.num_hidden_layers == 2
    assert tokenizer.vocab_size == model.config.vocab_size == 30522
    saved = load_file(str(tiny_dir / "model.safetensors"))
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, saved[name]), name
    batch = tokenizer(["a tiny test"], return_tensors="pt")
    with torch.no_grad():
        assert model(**batch).last_hidden_state.shape == (1, batch["input_ids"].shape[1], 32)
    assert not is_e5(tiny_dir)


def test_same_seed_same_weights_and_global_rng_untouched(tiny_dir, tmp_path):
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    again = tiny_backbone(tmp_path / "again")
    assert torch.equal(torch.rand(3), before)
    first, second = load_file(str(tiny_dir / "model.safetensors")), load_file(str(again / "model.safetensors"))
    assert all(torch.equal(first[name], second[name]) for name in first)
    other = load_file(str(tiny_backbone(tmp_path / "other", seed=1) / "model.safetensors"))
    assert not torch.equal(first["embeddings.word_embeddings.weight"], other["embeddings.word_embeddings.weight"])


def test_shape_arguments_are_honoured(tmp_path):
    directory = tiny_backbone(tmp_path / "wide", hidden_size=48, num_layers=1, num_heads=4, max_positions=64)
    _, model = load_encoder(directory)
    config = model.config
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads) == (48, 1, 4)
    assert config.max_position_embeddings == 64
