"""Extending learned position tables by tiling."""
from __future__ import annotations

import pytest
import torch
from transformers import AutoModel, BertConfig, BertModel, RobertaConfig, RobertaModel

from relik_ml.backbones import extend_positions


def _bert(max_positions: int = 16) -> BertModel:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=16, max_position_embeddings=max_positions)
    return BertModel(config).eval()


def test_bert_rows_are_tiled_and_long_inputs_run(tmp_path):
    model = _bert()
    old = model.embeddings.position_embeddings.weight.detach().clone()  # (16, 8)
    extend_positions(model, 40)
    new = model.embeddings.position_embeddings.weight
    assert new.shape == (40, 8) and model.config.max_position_embeddings == 40
    assert torch.equal(new[:16], old) and torch.equal(new[16:32], old) and torch.equal(new[32:], old[:8])
    ids = torch.randint(0, 50, (2, 40))
    with torch.no_grad():
        assert model(input_ids=ids).last_hidden_state.shape == (2, 40, 8)
    model.save_pretrained(tmp_path)
    reloaded = AutoModel.from_pretrained(tmp_path, local_files_only=True).eval()
    with torch.no_grad():
        torch.testing.assert_close(reloaded(input_ids=ids).last_hidden_state, model(input_ids=ids).last_hidden_state)


def test_short_inputs_are_unchanged():
    model = _bert()
    ids = torch.randint(0, 50, (1, 12))
    with torch.no_grad():
        before = model(input_ids=ids).last_hidden_state
        after = extend_positions(model, 64)(input_ids=ids).last_hidden_state
    torch.testing.assert_close(after, before)


def test_roberta_keeps_its_reserved_rows():
    torch.manual_seed(0)
    config = RobertaConfig(vocab_size=50, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                           intermediate_size=16, max_position_embeddings=10, pad_token_id=1)
    model = RobertaModel(config)
    old = model.embeddings.position_embeddings.weight.detach().clone()  # rows 0-1 reserved, 2-9 learned
    extend_positions(model, 20)
    new = model.embeddings.position_embeddings.weight
    assert torch.equal(new[:10], old) and torch.equal(new[10:18], old[2:10]) and torch.equal(new[18:], old[2:4])
    with torch.no_grad():
        assert model(input_ids=torch.randint(2, 50, (1, 18))).last_hidden_state.shape == (1, 18, 8)


def test_shrinking_is_refused():
    with pytest.raises(ValueError, match="must exceed"):
        extend_positions(_bert(), 16)
