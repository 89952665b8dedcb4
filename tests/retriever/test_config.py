from __future__ import annotations

import pytest

from relik_ml.errors import InputError
from relik_ml.retriever.config import RetrieverConfig, RetrieverTrainConfig
from relik_ml.retriever.configuration import RelikRetrieverConfig
from relik_ml.retriever.encoder import Retriever
from relik_ml.retriever.modeling import RelikRetrieverModel


def test_defaults_follow_the_paper():
    config, train = RetrieverConfig(), RetrieverTrainConfig()
    assert (config.max_query_tokens, config.max_passage_tokens) == (64, 64)
    assert (train.learning_rate, train.weight_decay) == (1e-5, 0.01)
    assert (train.batch_size, train.passages_per_batch) == (64, 400)
    assert (train.hard_negatives_per_window, train.mining_mode, train.mining_probability) == (15, "epoch", 1.0)
    pretraining = RetrieverTrainConfig.pretraining()
    assert (pretraining.max_steps, pretraining.mining_probability) == (110_000, 0.2)
    assert (pretraining.mining_mode, pretraining.patience) == ("fraction", None)
    assert RetrieverTrainConfig.pretraining(max_steps=10).max_steps == 10


def test_invalid_train_configs_raise():
    for bad in (dict(mining_probability=1.5), dict(mine_every_fraction=0.0), dict(mining_mode="step"), dict(task="qa")):
        with pytest.raises(ValueError):
            RetrieverTrainConfig(**bad)


def test_settings_round_trip_and_unknown_or_bad_keys():
    config = RetrieverConfig(backbone="me5-small", use_topic_pair=False).resolved(is_e5=True)
    assert RelikRetrieverConfig.from_settings(config.to_json()).to_json() == config.to_json()
    assert (config.query_prefix, config.passage_prefix) == ("query: ", "passage: ")
    with pytest.raises(InputError, match=r"field 'el.retriever.model': unknown retriever keys \['topic'\]"):
        RelikRetrieverConfig.from_settings({"topic": True}, field="el.retriever.model")
    with pytest.raises(InputError, match="max_query_tokens must be >= 1"):
        RelikRetrieverConfig.from_settings({"max_query_tokens": 0})


def test_a_trained_retriever_directory_is_a_backbone_that_keeps_its_prefixes(retriever, tmp_path):
    config = RetrieverConfig(query_prefix="q: ", passage_prefix="p: ")
    custom = Retriever(RelikRetrieverModel.from_encoder(retriever.encoder, config), retriever.tokenizer)
    custom.save_pretrained(tmp_path)
    loaded = Retriever.from_backbone(RetrieverConfig(backbone=str(tmp_path), max_query_tokens=16))
    assert (loaded.config.query_prefix, loaded.config.passage_prefix) == ("q: ", "p: ")
    assert loaded.config.max_query_tokens == 16
