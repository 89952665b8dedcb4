"""Heads of the reader: overlapping spans, EL softmax over K+1, chunked RE, memory, save/load."""
from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile

from relik_ml.reader.artifact import load_reader, save_reader
from relik_ml.reader.data import collate
from relik_ml.reader.inputs import build_reader_input
from relik_ml.reader.modeling import RelationHead

LABELS = ("spans", "span_entities", "triplets")


def _batch(make_reader, task, paris, passages, **overrides):
    model, tokenizer, config = make_reader(task, **overrides)
    ents, rels = [passages["Paris"], passages["France"], passages["Lyon"]], [passages["P1376"], passages["P17"]]
    short = build_reader_input(paris, ents[:1], rels[:1], tokenizer, config, with_labels=True)
    full = build_reader_input(paris, ents, rels, tokenizer, config, with_labels=True)
    return model, collate([full, short], tokenizer.pad_token_id, with_labels=True)


def _unlabelled(batch):
    return {k: v for k, v in batch.tensors.items() if k not in LABELS}


def _force(head: nn.Module, positive: bool) -> None:
    """Make a 2-way linear head output p(class 1) ≈ 1 (or ≈ 0) everywhere."""
    nn.init.zeros_(head.weight)
    head.bias.data = torch.tensor([0.0, 8.0] if positive else [8.0, 0.0])


def test_cie_training_returns_all_losses(make_reader, paris, passages):
    model, batch = _batch(make_reader, "cie", paris, passages)
    out = model.train()(**batch.tensors)
    parts = [out.start_loss, out.end_loss, out.entity_loss, out.relation_loss]
    assert all(p is not None and p > 0 for p in parts)
    assert torch.allclose(out.loss, sum(parts))
    out.loss.backward()
    assert model.relation_head.subject[0].weight.grad.abs().sum() > 0


def test_end_head_allows_overlapping_spans(make_reader, paris, passages):
    model, batch = _batch(make_reader, "el", paris, passages, max_predicted_spans=100)
    _force(model.start_head, True)
    _force(model.end_head, True)
    with torch.no_grad():
        out = model(**_unlabelled(batch))
    n = batch.inputs[0].num_window_tokens
    first_row = out.spans[out.spans[:, 0] == 0][:, 1:].tolist()
    assert len(first_row) == n * (n + 1) // 2  # every (s, t >= s): nested and overlapping
    assert [1, 2] in first_row and [2, 3] in first_row and [1, 3] in first_row


def test_no_spans_when_starts_are_below_threshold(make_reader, paris, passages):
    model, batch = _batch(make_reader, "cie", paris, passages)
    _force(model.start_head, False)
    with torch.no_grad():
        out = model(**_unlabelled(batch))
    assert out.spans.shape == (0, 3) and out.entity_logits.shape[0] == 0 and out.triplets.shape == (0, 3)


def test_el_softmax_is_over_k_plus_one_with_padding_masked(make_reader, paris, passages):
    model, batch = _batch(make_reader, "el", paris, passages)
    with torch.no_grad():
        probs = model(**batch.tensors).entity_logits.softmax(-1)
    spans = batch.tensors["spans"]
    assert probs.shape == (spans.shape[0], 4)  # <ST0> (NME) + 3 candidates
    assert torch.allclose(probs.sum(-1), torch.ones(spans.shape[0]))
    short_rows = spans[:, 0] == 1  # the second window has only <ST0> <ST1>
    assert torch.all(probs[short_rows][:, 2:] == 0) and torch.all(probs[short_rows][:, :2] > 0)


def test_el_logits_score_each_span_against_its_own_rows_candidates(make_reader, paris, passages):
    model, batch = _batch(make_reader, "el", paris, passages)
    tensors = batch.tensors
    with torch.no_grad():
        out = model.eval()(**tensors)
        hidden = model.encoder(input_ids=tensors["input_ids"], attention_mask=tensors["attention_mask"]).last_hidden_state
        spans = tensors["spans"]
        mentions = torch.cat([hidden[spans[:, 0], spans[:, 1]], hidden[spans[:, 0], spans[:, 2]]], dim=-1)
        slots = hidden[torch.arange(len(hidden))[:, None], tensors["entity_positions"]]  # (B, E, H)
        entities = model.entity_projection(torch.cat([slots, slots], dim=-1))
        expected = torch.stack([entities[row] @ model.entity_projection(m) for row, m in zip(spans[:, 0], mentions)])
    mask = tensors["entity_mask"][spans[:, 0]]
    assert torch.allclose(out.entity_logits[mask], expected[mask], atol=1e-5)


def _relation_inputs(n=12, r=5, size=16):
    torch.manual_seed(1)
    head = RelationHead(2 * size, size, size, "gelu")
    mentions, relations = torch.randn(n, 2 * size, requires_grad=True), torch.randn(r, size)
    gold = torch.tensor([[0, 1, 2], [3, 3, 0], [11, 4, 4]])
    return head, mentions, relations, gold


def test_relation_head_chunked_equals_unchunked():
    head, mentions, relations, gold = _relation_inputs()
    results = []
    for chunk in (7, 10**9):
        mentions.grad = None
        out = head(mentions, relations, gold, chunk, threshold=0.3)
        out.loss_sum.backward()
        results.append((out.loss_sum.detach(), out.triplets, out.scores, mentions.grad.clone()))
    (loss_a, trip_a, score_a, grad_a), (loss_b, trip_b, score_b, grad_b) = results
    assert torch.allclose(loss_a, loss_b) and torch.allclose(grad_a, grad_b, atol=1e-6)
    assert torch.equal(trip_a, trip_b) and torch.allclose(score_a, score_b)
    assert trip_a.shape[0] > 0


def test_relation_positive_weight_scales_the_gold_rows_loss():
    head, mentions, relations, gold = _relation_inputs()
    plain = head(mentions, relations, gold, 10**9, threshold=0.3)
    weighted = head(mentions, relations, gold, 7, threshold=0.3, positive_weight=5.0)
    n, r = mentions.shape[0], relations.shape[0]
    gold_rows = set((gold[:, 0] * n * r + gold[:, 1] * r + gold[:, 2]).tolist())
    logits = torch.cat([head._logits(*_projections(head, mentions, relations), torch.tensor([row]))
                        for row in range(n * n * r)])
    labels = torch.tensor([int(row in gold_rows) for row in range(n * n * r)])
    losses = torch.nn.functional.cross_entropy(logits, labels, reduction="none")
    assert torch.allclose(plain.loss_sum, losses.sum(), atol=1e-5)
    assert torch.allclose(weighted.loss_sum, (losses * (1 + 4 * labels)).sum(), atol=1e-5)
    assert torch.equal(weighted.triplets, plain.triplets) and weighted.rows == plain.rows == n * n * r


def _projections(head, mentions, relations):
    return head.subject(mentions), head.object(mentions), head.relation(relations)


def _peak_bytes(run) -> int:
    """Peak of live CPU tensor bytes while `run()` executes (torch profiler allocation events)."""
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        run()
    live = peak = 0
    for event in sorted(prof.events(), key=lambda e: e.time_range.start):
        live += event.cpu_memory_usage if event.name == "[memory]" else event.self_cpu_memory_usage
        peak = max(peak, live)
    return peak


def test_forty_mentions_by_twentyfour_relations_memory_stays_bounded():
    head, mentions, relations, gold = _relation_inputs(n=40, r=24, size=128)
    hadamard_bytes = 40 * 40 * 24 * 128 * 4  # the full triplet tensor: 19.7 MB

    def train(chunk):
        return lambda: head(mentions, relations, gold, chunk, 0.5).loss_sum.backward()

    def infer(chunk):
        def run():
            with torch.no_grad():
                head(mentions, relations, None, chunk, 0.5)
        return run

    for step in (train, infer):
        chunked, unchunked = _peak_bytes(step(1024)), _peak_bytes(step(10**9))
        assert unchunked >= hadamard_bytes
        assert chunked < hadamard_bytes / 4


def test_save_load_gives_identical_outputs(make_reader, paris, passages, tmp_path):
    model, batch = _batch(make_reader, "cie", paris, passages)
    tokenizer = make_reader("cie")[1]
    save_reader(model, tokenizer, tmp_path / "reader", config={"note": "test"})
    loaded, loaded_tokenizer = load_reader(tmp_path / "reader")
    assert (tmp_path / "reader" / "model.safetensors").exists() and (tmp_path / "reader" / "manifest.json").exists()
    assert loaded_tokenizer.convert_tokens_to_ids("<ST5>") == tokenizer.convert_tokens_to_ids("<ST5>")
    assert loaded.config.task == "cie" and loaded.config.max_candidates == 4
    with torch.no_grad():
        for kwargs in (batch.tensors, _unlabelled(batch)):
            a, b = model(**kwargs), loaded(**kwargs)
            assert torch.equal(a.spans, b.spans)
            assert torch.allclose(a.start_logits, b.start_logits, atol=1e-6)
            assert torch.allclose(a.entity_logits, b.entity_logits, atol=1e-5)


def test_span_positive_weight_weights_the_gold_class(make_reader, paris, passages):
    plain, batch = _batch(make_reader, "el", paris, passages, dropout=0.0)
    weighted, _ = _batch(make_reader, "el", paris, passages, dropout=0.0, span_positive_weight=4.0)
    weighted.load_state_dict(plain.state_dict())
    out_plain, out_weighted = plain(**batch.tensors), weighted(**batch.tensors)  # eval: no encoder dropout
    mask = batch.tensors["window_mask"]
    labels = torch.zeros_like(mask, dtype=torch.long)
    labels[batch.tensors["spans"][:, 0], batch.tensors["spans"][:, 1]] = 1
    nll = -out_plain.start_logits.log_softmax(-1).gather(-1, labels[..., None]).squeeze(-1)[mask]
    weights = 1.0 + 3.0 * labels[mask]
    assert torch.allclose(out_plain.start_loss, nll.mean())
    assert torch.allclose(out_weighted.start_loss, (weights * nll).sum() / weights.sum())
    assert torch.allclose(out_weighted.entity_loss, out_plain.entity_loss)


def test_bad_thresholds_and_weights_are_rejected(make_reader):
    import pytest

    with pytest.raises(ValueError, match="span_positive_weight"):
        make_reader("el", span_positive_weight=0.0)
    with pytest.raises(ValueError, match="relation_positive_weight"):
        make_reader("re", relation_positive_weight=-1.0)
    with pytest.raises(ValueError, match="start_threshold"):
        make_reader("el", start_threshold=1.0)


@pytest.mark.parametrize("span_head_hidden_size", [0, 16])
def test_end_logits_equal_the_head_applied_to_concatenated_pairs(make_reader, span_head_hidden_size):
    model, _, _ = make_reader("el", span_head_hidden_size=span_head_hidden_size)
    torch.manual_seed(1)
    hidden = torch.randn(2, 9, model.config.encoder["hidden_size"] if isinstance(model.config.encoder, dict) else 32)
    window_mask = torch.zeros(2, 9, dtype=torch.bool)
    window_mask[0, 1:6], window_mask[1, 1:4] = True, True
    starts = torch.tensor([[0, 1], [0, 4], [1, 2], [1, 3]])
    logits, valid = model._end_logits(hidden, starts, window_mask)
    width = logits.shape[1]
    pairs = torch.cat([hidden[starts[:, 0], starts[:, 1]][:, None].expand(-1, width, -1),
                       hidden[starts[:, 0], :width]], dim=-1)
    assert torch.allclose(logits, model.end_head(pairs), atol=1e-5)
    assert valid.tolist()[1] == [False, False, False, False, True, True, False][:width]
