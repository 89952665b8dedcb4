"""Candidate texts encoded on their own: the mask, and the deduplicated inference path against it."""
from __future__ import annotations

import pytest
import torch
from transformers import AutoConfig, AutoModel, BertConfig

from relik_ml.reader.configuration import RelikReaderConfig
from relik_ml.reader.data import collate
from relik_ml.reader.inputs import build_reader_input
from relik_ml.reader.modeling import RelikReaderModel
from relik_ml.reader.own_text import (
    encode_own_text,
    encode_own_text_deduplicated,
    own_text_mask,
    own_text_positions,
)
from tests.reader.test_modeling import _force, _unlabelled


def _batch(make_reader, task, paris, passages, **overrides):
    model, tokenizer, config = make_reader(task, max_predicted_spans=100, candidate_attention="own-text", **overrides)
    ents = [passages["Paris"], passages["France"], passages["Lyon"]]
    rels = [passages["P1376"], passages["P17"]]
    inputs = [
        build_reader_input(paris, ents, rels, tokenizer, config, with_labels=True),
        build_reader_input(paris, ents[1:2], rels[:1], tokenizer, config, with_labels=True),  # France again
    ]
    return model, tokenizer, collate(inputs, tokenizer.pad_token_id, with_labels=True)


def test_special_of_names_each_candidate_and_positions_restart_in_its_text(make_reader, paris, passages):
    _, tokenizer, batch = _batch(make_reader, "el", paris, passages)
    t = batch.tensors
    special_of, positions = t["special_of"][0], t["entity_positions"][0]
    window_end = int(t["window_mask"][0].sum()) + 1  # the [SEP] after the window
    assert (special_of[: window_end + 1] == -1).all() and special_of[-1] == -1  # [CLS] window [SEP] … [SEP]
    assert (special_of[positions] == positions).all()  # each special token names itself
    paris_text = (special_of == positions[1]) & (torch.arange(len(special_of)) != positions[1])
    assert tokenizer.decode(t["input_ids"][0][paris_text]) == "paris"
    restarted = own_text_positions(t["special_of"])[0]
    assert restarted[paris_text].tolist() == list(range(1, int(paris_text.sum()) + 1))
    assert restarted[positions[1]] == positions[1]


def test_the_mask_keeps_texts_to_themselves_and_specials_to_their_own_text(make_reader, paris, passages):
    _, _, batch = _batch(make_reader, "el", paris, passages)
    t = batch.tensors
    mask = own_text_mask(t["special_of"], t["attention_mask"])[0, 0]
    special_of, (_, paris_st, france_st, _) = t["special_of"][0], t["entity_positions"][0].tolist()
    paris_text = ((special_of == paris_st) & (torch.arange(len(special_of)) != paris_st)).nonzero()[0, 0]
    france_text = ((special_of == france_st) & (torch.arange(len(special_of)) != france_st)).nonzero()[0, 0]
    window = 1
    assert mask[window].all()  # window tokens read everything
    assert mask[paris_text, paris_text] and not mask[paris_text, window] and not mask[paris_text, paris_st]
    assert not mask[paris_text, france_text]
    assert mask[paris_st, window] and mask[paris_st, france_st] and mask[paris_st, paris_text]
    assert not mask[paris_st, france_text]
    padded = ~t["attention_mask"][1]
    assert padded.any() and not own_text_mask(t["special_of"], t["attention_mask"])[1, 0][:, padded].any()


def _deeper(model, layers: int):
    torch.manual_seed(1)
    return AutoModel.from_config(BertConfig(**{**model.encoder.config.to_dict(), "num_hidden_layers": layers})).eval()


@pytest.mark.parametrize("task", ["el", "re", "cie"])
def test_deduplicated_texts_give_the_hidden_states_of_the_masked_encoding(make_reader, paris, passages, task):
    model, _, batch = _batch(make_reader, task, paris, passages)
    encoder = _deeper(model, 3)
    t = batch.tensors
    rows = t["attention_mask"] & ((t["special_of"] < 0) | (t["special_of"] == torch.arange(t["special_of"].shape[1])))
    with torch.inference_mode():
        masked = encode_own_text(encoder, t["input_ids"], t["attention_mask"], t["special_of"])
        deduplicated = encode_own_text_deduplicated(encoder, t["input_ids"], t["attention_mask"], t["special_of"])
        full = encoder(input_ids=t["input_ids"], attention_mask=t["attention_mask"]).last_hidden_state
    torch.testing.assert_close(deduplicated[rows], masked[rows])
    assert not torch.allclose(masked[rows], full[rows])  # a different model from the paper's attention


def test_a_text_is_encoded_the_same_whatever_window_it_comes_with(make_reader, paris, passages):
    model, _, batch = _batch(make_reader, "el", paris, passages)
    t = batch.tensors
    with torch.inference_mode():
        masked = encode_own_text(model.encoder, t["input_ids"], t["attention_mask"], t["special_of"])
    france = [(t["special_of"][b] == t["entity_positions"][b, slot]).nonzero()[1:, 0] for b, slot in ((0, 2), (1, 1))]
    torch.testing.assert_close(masked[0, france[0]], masked[1, france[1]])


def test_an_own_text_reader_trains_and_predicts_the_same_deduplicated_or_not(make_reader, paris, passages):
    model, _, batch = _batch(make_reader, "cie", paris, passages)
    model.train()
    out = model(**batch.tensors)
    out.loss.backward()
    assert torch.isfinite(out.loss) and model.encoder.encoder.layer[1].output.dense.weight.grad.abs().sum() > 0
    model.eval()
    _force(model.start_head, True)
    model.config.relation_threshold = 0.0
    with torch.inference_mode():
        predictions = []
        for deduplicated in (True, False):
            model.read_needed_rows_only = deduplicated
            predictions.append(model(**_unlabelled(batch)))
    assert predictions[0].spans.shape[0] > 0 and torch.equal(predictions[0].spans, predictions[1].spans)
    torch.testing.assert_close(predictions[0].entity_logits, predictions[1].entity_logits)
    torch.testing.assert_close(predictions[0].triplet_scores, predictions[1].triplet_scores)


def test_own_text_is_refused_for_other_encoders_and_unknown_names():
    with pytest.raises(ValueError, match="candidate_attention must be one of"):
        RelikReaderConfig(candidate_attention="cross")
    mpnet = AutoConfig.for_model("mpnet", hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                 intermediate_size=64).to_dict()
    with pytest.raises(ValueError, match="own-text"):
        RelikReaderModel(RelikReaderConfig(encoder=mpnet, candidate_attention="own-text"))


@pytest.mark.parametrize("bf16", [False, True], ids=["fp32", "bf16"])
def test_a_window_without_candidate_text_is_read(make_reader, paris, bf16):
    model, tokenizer, config = make_reader("el", candidate_attention="own-text")
    batch = collate([build_reader_input(paris, [], [], tokenizer, config)], tokenizer.pad_token_id)
    _force(model.start_head, True)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        out = model(**batch.tensors)
    assert out.spans.shape[0] > 0 and out.entity_logits.shape == (out.spans.shape[0], 1)  # NME only
