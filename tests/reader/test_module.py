"""Optimiser groups (layer-wise lr decay, no decay on biases) and the warmup + linear schedule."""
from __future__ import annotations

import pytest

from relik_ml.reader.module import RelikReaderModule


def test_layer_wise_learning_rates(make_reader):
    model, _, _ = make_reader("el")
    module = RelikReaderModule(model, learning_rate=1.0, layer_lr_decay=0.5, weight_decay=0.01)
    lr_of = {}
    for group in module.parameter_groups():
        for param in group["params"]:
            lr_of[id(param)] = (group["lr"], group["weight_decay"])
    named = dict(model.named_parameters())
    assert lr_of[id(named["start_head.weight"])] == (1.0, 0.01)
    assert lr_of[id(named["start_head.bias"])] == (1.0, 0.0)
    assert lr_of[id(named["encoder.encoder.layer.1.output.dense.weight"])][0] == 0.5  # top layer of 2
    assert lr_of[id(named["encoder.encoder.layer.0.output.dense.weight"])][0] == 0.25
    assert lr_of[id(named["encoder.embeddings.word_embeddings.weight"])][0] == 0.125


def test_warmup_then_linear_decay(make_reader):
    model, _, _ = make_reader("el")
    module = RelikReaderModule(model, warmup_steps=9, total_steps=109)
    factors = [module._lr_factor(step) for step in (0, 4, 9, 59, 109, 200)]
    assert factors == pytest.approx([0.1, 0.5, 1.0, 0.5, 0.0, 0.0])


def test_input_budget_over_encoder_positions_is_rejected(make_reader):
    with pytest.raises(ValueError, match="positions"):
        make_reader("el", max_input_tokens=1024)


def test_heads_get_their_own_learning_rate(make_reader):
    model, _, _ = make_reader("cie")
    module = RelikReaderModule(model, learning_rate=1e-4, head_learning_rate=1e-3, layer_lr_decay=0.5)
    lr_of = {id(p): group["lr"] for group in module.parameter_groups() for p in group["params"]}
    for name, param in model.named_parameters():
        if name.startswith("encoder."):
            assert lr_of[id(param)] <= 1e-4, name
        else:  # start, end, entity projection and relation heads
            assert lr_of[id(param)] == 1e-3, name
    assert RelikReaderModule(model, learning_rate=1e-4)._layer_lr("start_head.weight") == 1e-4  # default: same lr
