"""Bi-encoder training: the loss falls on a toy set, Alg. 3 negatives, freezing, save / load."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch

from relik_ml.errors import InputError
from relik_ml.mel import (
    BiEncoderConfig,
    MarkedContext,
    MelBiEncoder,
    TrainConfig,
    mine_hard_negatives,
    random_negatives,
    train_bi_encoder,
)
from relik_ml.mel.encoder import CONFIG_FILE
from relik_ml.mel.loss import batch_columns, scaled_softmax_loss


def toy_contexts(kb) -> list[MarkedContext]:
    return [MarkedContext(f"c{i}", f"we visited [M] {e.name} [M] last year", e.name, e.id)
            for i, e in enumerate(kb) for _ in range(2)]


def test_loss_falls_on_a_toy_set(encoder, toy_kb):
    config = TrainConfig(logit_multiplier=20, batch_size=4, negatives=2, hard_negative_rounds=2, steps_per_round=25,
                         retrieval_k=3, learning_rate=3e-3, seed=0, embed_batch_size=8)
    summary = train_bi_encoder(encoder, toy_contexts(toy_kb), toy_kb, config)
    assert [r.round for r in summary.rounds] == [1, 2] and all(r.negatives == "hard" for r in summary.rounds)
    assert len(summary.losses) == 50
    assert np.mean(summary.losses[-5:]) < 0.5 * np.mean(summary.losses[:5])


def test_random_negative_round_when_no_hard_rounds(encoder, toy_kb):
    config = TrainConfig(batch_size=4, negatives=2, hard_negative_rounds=0, steps_per_round=2, learning_rate=1e-3)
    summary = train_bi_encoder(encoder, toy_contexts(toy_kb), toy_kb, config)
    assert [(r.negatives, r.steps, r.max_k) for r in summary.rounds] == [("random", 2, 0)]


def test_training_on_an_unknown_entity_is_an_input_error(encoder, toy_kb):
    contexts = [MarkedContext("x", "[M] Oslo [M]", "Oslo", "Q585")]
    with pytest.raises(InputError, match="Q585") as error:
        train_bi_encoder(encoder, contexts, toy_kb, TrainConfig(steps_per_round=1))
    assert error.value.field == "label"


def test_hard_negatives_drop_duplicates_and_gold_and_double_k():
    # KB rows: the gold entity "A" and three descriptions of "B" nearest the query, then C, D, E.
    kb_ids = ["A", "B", "B", "B", "C", "D", "E"]
    query = np.array([[1.0, 0.0]], dtype=np.float32)
    angles = [0.0, 0.1, 0.2, 0.3, 0.6, 0.8, 1.0]
    kb = np.array([[np.cos(a), np.sin(a)] for a in angles], dtype=np.float32)
    [mined] = mine_hard_negatives(query, ["A"], kb, kb_ids, negatives=2, k=2, rng=random.Random(0))
    # k=2 -> {B}; k=4 -> {B}; k=8 (all rows) -> {B, C, D, E}: two doublings, no duplicates, no gold
    assert (mined.k, mined.doublings) == (8, 2)
    assert len(mined.negatives) == 2 and len(set(mined.negatives)) == 2
    assert "A" not in mined.negatives and set(mined.negatives) <= {"B", "C", "D", "E"}
    [enough] = mine_hard_negatives(query, ["A"], kb, kb_ids, negatives=1, k=2, rng=random.Random(0))
    assert (enough.negatives, enough.k, enough.doublings) == (("B",), 2, 0)


def test_random_negatives_never_hold_the_gold():
    mined = random_negatives(["A"] * 50, ["A", "B", "C", "D"], 3, random.Random(1))
    assert all(set(m.negatives) == {"B", "C", "D"} for m in mined)


def test_in_batch_softmax_targets_the_gold_column():
    columns = batch_columns(["A", "B"], [("B", "C"), ("A", "D")])
    assert columns == ["A", "B", "C", "D"]
    contexts = torch.eye(4)[:2]
    entities = torch.eye(4)
    right = scaled_softmax_loss(contexts, entities, torch.tensor([0, 1]), multiplier=20)
    wrong = scaled_softmax_loss(contexts, entities, torch.tensor([2, 3]), multiplier=20)
    flat = scaled_softmax_loss(contexts, entities, torch.tensor([0, 1]), multiplier=1)
    assert right < 1e-6 < flat < wrong


def test_trainable_layers_freeze_the_rest(tiny_dir):
    encoder = MelBiEncoder.from_backbone(BiEncoderConfig(backbone=str(tiny_dir), trainable_layers=1))
    trained = {name for name, p in encoder.encoder.named_parameters() if p.requires_grad}
    assert trained and all(name.startswith("encoder.layer.1.") for name in trained)


def test_save_load_round_trip_gives_identical_embeddings(encoder, toy_kb, tmp_path):
    train_bi_encoder(encoder, toy_contexts(toy_kb), toy_kb,
                     TrainConfig(batch_size=4, negatives=1, steps_per_round=2, retrieval_k=2, learning_rate=1e-3))
    encoder.save(tmp_path / "model")
    loaded = MelBiEncoder.load(tmp_path / "model")
    assert loaded.config == encoder.config
    texts = toy_kb.texts(encoder.config.markers)
    assert np.array_equal(loaded.embed(texts, "entity"), encoder.embed(texts, "entity"))
    contexts = [c.text for c in toy_contexts(toy_kb)]
    assert np.array_equal(loaded.embed(contexts, "context"), encoder.embed(contexts, "context"))
    assert not list(tmp_path.glob("*.pkl")) and (tmp_path / "model" / "model.safetensors").is_file()


def test_a_bad_saved_config_names_the_field(encoder, tmp_path):
    encoder.save(tmp_path / "model")
    path = tmp_path / "model" / CONFIG_FILE
    path.write_text(json.dumps({**json.loads(path.read_text()), "logit_scale": 3}))
    with pytest.raises(InputError) as error:
        MelBiEncoder.load(tmp_path / "model")
    assert error.value.field == "logit_scale"


def test_e5_prefixes_resolved_from_the_backbone(encoder):
    assert (encoder.config.context_prefix, encoder.config.entity_prefix) == ("", "")  # the tiny backbone is not E5
