"""The last encoder layer on the rows the heads read: the same predictions as the full encoder."""
from __future__ import annotations

import pytest
import torch
from transformers import AutoConfig, AutoModel, BertConfig

from relik_ml.reader.data import collate
from relik_ml.reader.inputs import build_reader_input
from relik_ml.reader.configuration import RelikReaderConfig
from relik_ml.reader.modeling import RelikReaderModel
from relik_ml.reader.needed_rows import (
    encode_needed_rows,
    needed_rows,
    supports_needed_rows,
)
from tests.reader.test_modeling import _force, _unlabelled


def _batch(make_reader, task, paris, passages):
    model, tokenizer, config = make_reader(task, max_predicted_spans=100)
    ents, rels = [passages["Paris"], passages["France"], passages["Lyon"]], [passages["P1376"], passages["P17"]]
    inputs = [
        build_reader_input(paris, ents, rels, tokenizer, config, with_labels=True),
        build_reader_input(paris, ents[:1], rels[:1], tokenizer, config, with_labels=True),
    ]
    return model, collate(inputs, tokenizer.pad_token_id, with_labels=True)


@pytest.mark.parametrize("task", ["el", "re", "cie"])
def test_reading_needed_rows_only_predicts_what_the_full_encoder_predicts(make_reader, paris, passages, task):
    model, batch = _batch(make_reader, task, paris, passages)
    assert supports_needed_rows(model.encoder)
    _force(model.start_head, True)  # every window token starts a span, so every head has work
    model.config.relation_threshold = 0.0
    outputs = {}
    with torch.inference_mode():
        for only_needed in (True, False):
            model.read_needed_rows_only = only_needed
            outputs[only_needed] = model(**_unlabelled(batch))
    pruned, full = outputs[True], outputs[False]
    assert pruned.spans.shape[0] > 0 and torch.equal(pruned.spans, full.spans)
    torch.testing.assert_close(pruned.span_scores, full.span_scores)
    if model.config.has_entities:
        torch.testing.assert_close(pruned.entity_logits, full.entity_logits)
    if model.config.has_relations:
        assert pruned.triplets.shape[0] > 0 and torch.equal(pruned.triplets, full.triplets)
        torch.testing.assert_close(pruned.triplet_scores, full.triplet_scores)


def test_hidden_states_are_exact_at_the_needed_rows_and_skipped_elsewhere(make_reader, paris, passages):
    model, batch = _batch(make_reader, "cie", paris, passages)
    t = batch.tensors
    rows = needed_rows(t["window_mask"], t["entity_positions"], t["relation_positions"])
    assert rows[t["window_mask"]].all() and rows[0, t["entity_positions"][0]].all()
    with torch.inference_mode():
        full = model.encoder(input_ids=t["input_ids"], attention_mask=t["attention_mask"]).last_hidden_state
        pruned = encode_needed_rows(model.encoder, t["input_ids"], t["attention_mask"], rows)
    torch.testing.assert_close(pruned[rows], full[rows])
    skipped = ~rows & t["attention_mask"]  # candidate text tokens: keys and values only
    assert skipped.any() and not torch.allclose(pruned[skipped], full[skipped])


def test_training_reads_every_row(make_reader, paris, passages):
    model, batch = _batch(make_reader, "el", paris, passages)
    model.train()
    calls = []
    model.encoder.register_forward_hook(lambda *_: calls.append("full encoder"))
    model(**batch.tensors)
    assert calls == ["full encoder"]


@pytest.mark.parametrize(
    "encoder_config",
    [
        BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                   attn_implementation="eager"),
        AutoConfig.for_model("mpnet", hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                             intermediate_size=64),
    ],
    ids=["bert-eager-attention", "mpnet"],
)
def test_other_encoders_are_not_driven_row_by_row(encoder_config):
    assert not supports_needed_rows(AutoModel.from_config(encoder_config))
