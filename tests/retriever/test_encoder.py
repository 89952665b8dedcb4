from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from transformers import AutoModel

from relik_ml.errors import InputError
from relik_ml.retriever.config import RetrieverConfig
from relik_ml.retriever.configuration import RelikRetrieverConfig
from relik_ml.retriever.encoder import CONFIG_FILE, Retriever
from relik_ml.retriever.modeling import RelikRetrieverModel, mean_pool
from relik_ml.retriever.text import passage_text, window_text
from relik_ml.types import Passage, Window


def _passages(count: int) -> list[Passage]:
    return [Passage(id=f"P{i}", title=f"title {i}", text="word " * (i * 3 % 17)) for i in range(count)]


def test_mean_pool_ignores_padding():
    hidden = torch.tensor([[[1.0, 1.0], [3.0, 3.0], [100.0, 100.0]]])  # (1, 3, 2)
    mask = torch.tensor([[1, 1, 0]])
    assert mean_pool(hidden, mask).tolist() == [[2.0, 2.0]]


def test_length_sorted_batches_restore_input_order(retriever):
    passages = _passages(13)
    batched = retriever.encode_passages(passages, batch_size=4)
    one_by_one = np.concatenate([retriever.encode_passages([p], batch_size=1) for p in passages])
    assert batched.dtype == np.float32 and batched.shape == (13, 32)
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)
    np.testing.assert_array_equal(batched, retriever.encode_passages(passages, batch_size=4))


def test_encoding_leaves_training_mode_unchanged(retriever):
    retriever.train()
    retriever.encode_windows([Window("w", "d", "some text", 0, 9)])
    assert retriever.training and retriever.encoder.training


def test_windows_use_topic_as_text_pair(retriever, tokenizer):
    window = Window("w", "d", "the match ended", 0, 15, topic="SOCCER")
    inputs = retriever.window_inputs([window])
    assert tokenizer.decode(inputs["input_ids"][0]) == "[CLS] the match ended [SEP] soccer [SEP]"
    assert inputs["token_type_ids"][0].tolist()[-2:] == [1, 1]


def test_prefixes_follow_the_backbone_convention(retriever):
    e5 = RetrieverConfig().resolved(is_e5=True)
    plain = RetrieverConfig(use_topic_pair=False).resolved(is_e5=False)
    window = Window("w", "d", "text", 0, 4, topic="T")
    assert window_text(window, e5) == ("query: text", "T")
    assert window_text(window, plain) == ("text", None)
    assert passage_text(Passage("Q1", "Rome", "capital of Italy"), e5) == "passage: Rome. capital of Italy"
    assert passage_text(Passage("P17", "country", ""), plain) == "country"
    unresolved = RelikRetrieverModel(RelikRetrieverConfig(encoder=retriever.config.encoder))
    with pytest.raises(ValueError, match="resolved config"):
        Retriever(unresolved, retriever.tokenizer)


def test_save_and_load_give_identical_embeddings(retriever, tmp_path):
    passages = _passages(5)
    windows = [Window(f"w{i}", "d", f"mention number {i}", 0, 16, topic="News") for i in range(3)]
    retriever.save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.json") if "token" not in p.name) == [CONFIG_FILE]
    assert (tmp_path / "model.safetensors").exists()
    saved = json.loads((tmp_path / CONFIG_FILE).read_text())
    assert saved["model_type"] == "relik-retriever" and saved["encoder"]["model_type"] == "bert"
    assert {k: saved[k] for k in retriever.config.to_json()} == retriever.config.to_json()  # every hyper-parameter
    loaded = Retriever.from_pretrained(tmp_path)
    assert loaded.config.to_json() == retriever.config.to_json()
    np.testing.assert_array_equal(loaded.encode_passages(passages), retriever.encode_passages(passages))
    np.testing.assert_array_equal(loaded.encode_windows(windows), retriever.encode_windows(windows))


def test_from_pretrained_rejects_bad_directories(retriever, tmp_path):
    with pytest.raises(InputError, match="not a retriever directory"):
        Retriever.from_pretrained(tmp_path)
    retriever.save_pretrained(tmp_path)
    config = json.loads((tmp_path / CONFIG_FILE).read_text())
    (tmp_path / CONFIG_FILE).write_text(json.dumps({**config, "max_query_token": 3}))
    with pytest.raises(InputError, match="field 'max_query_token'"):
        Retriever.from_pretrained(tmp_path)


def test_a_saved_retriever_loads_through_the_hf_auto_classes(retriever, tmp_path):
    """The directory is a plain HF model directory: AutoModel builds the same network from it."""
    retriever.save_pretrained(tmp_path)
    model = AutoModel.from_pretrained(tmp_path, local_files_only=True, trust_remote_code=False)
    assert isinstance(model, RelikRetrieverModel)
    inputs = retriever.passage_inputs(_passages(4))
    with torch.no_grad():
        torch.testing.assert_close(model.eval()(**inputs), retriever.eval()(inputs))


def test_building_on_a_loaded_encoder_leaves_the_seeded_rng_alone(tiny_backbone_dir):
    """A retriever built after `seed_everything` must not draw from the global RNG (its throw-away
    random init did, so dropout masks and every later draw of a training run moved)."""
    encoder = AutoModel.from_pretrained(tiny_backbone_dir)
    torch.manual_seed(13)
    expected = torch.rand(4)
    torch.manual_seed(13)
    RelikRetrieverModel.from_encoder(encoder, RelikRetrieverConfig(backbone=str(tiny_backbone_dir)).resolved(False))
    assert torch.equal(torch.rand(4), expected)
