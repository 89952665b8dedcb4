"""EL inference reads all K candidates: when they do not fit one input they go in several passes over
the same window (`inputs.build_reader_passes`), batched together and merged by the model
(`RelikReaderModel.forward(window_of=...)`), so decoding sees one list of K candidates."""
from __future__ import annotations

import pytest
import torch
from transformers import AutoTokenizer

from relik_ml.reader.configuration import RelikReaderConfig
from relik_ml.reader.inputs import add_reader_tokens
from relik_ml.reader.modeling import RelikReaderModel
from relik_ml.inference.reading import encode_passes, pass_batches, read_windows
from relik_ml.reader.data import ReaderExample, collate
from relik_ml.reader.inputs import build_reader_input, build_reader_passes
from relik_ml.reader.module import RelikReaderModule
from relik_ml.types import Passage, Span, Window
from tests.reader.conftest import PASSAGES, minilm_path, paris_window, tiny_bert_config

DISTRACTORS = [Passage(f"D{i}", f"Distractor number {i} of the list", "") for i in range(10)]


@pytest.fixture
def make_reader():
    """`make_reader(**config)` → a random tiny EL reader (model, tokenizer, config)."""

    def make(**overrides):
        torch.manual_seed(0)
        tokenizer = AutoTokenizer.from_pretrained(minilm_path())
        config = RelikReaderConfig(task="el", **overrides)
        config.encoder = tiny_bert_config(add_reader_tokens(tokenizer, config)).to_dict()
        return RelikReaderModel(config).eval(), tokenizer, config

    return make


def _windows() -> list[Window]:
    return [paris_window(), Window("w-berlin", "d2", "Berlin is in Germany.", 0, 21,
                                   spans=(Span(0, 6, "Berlin", "Berlin"), Span(13, 20, "Germany", "Germany")))]


def _open_spans(model):
    """Every window token starts and ends a span (the heads' biases), so linking runs on many spans."""
    with torch.no_grad():
        model.start_head.bias.copy_(torch.tensor([-5.0, 5.0]))
        model.end_head.bias.copy_(torch.tensor([-5.0, 5.0]))


def test_candidates_that_fit_one_pass_give_the_trimmed_readers_output(make_reader):
    model, tokenizer, config = make_reader(max_candidates=6)
    _open_spans(model)
    ranked = (PASSAGES["Paris"], PASSAGES["France"], PASSAGES["Lyon"], PASSAGES["Berlin"], PASSAGES["Germany"])
    examples = [ReaderExample(w, ranked) for w in _windows()]
    [passes] = encode_passes(examples[:1], tokenizer, config, with_labels=False)
    assert len(passes.passes) == 1
    split = read_windows(model, tokenizer, examples, max_tokens=4096)
    trimmed = read_windows(model, tokenizer, examples, max_tokens=4096, split_candidates=False)
    assert split == trimmed
    assert any(span.label for p in split for span, _ in p.spans)


def test_passes_number_the_candidates_as_one_long_input_and_cover_all_k(make_reader, paris):
    model, tokenizer, config = make_reader(max_candidates=12, max_input_tokens=40)
    ranked = (*DISTRACTORS, PASSAGES["France"], PASSAGES["Paris"])
    trimmed = build_reader_input(paris, ranked, [], tokenizer, config)
    read = build_reader_passes(paris, ranked, [], tokenizer, config)
    assert len(trimmed.entities) < 13 and len(read.passes) >= 3
    assert read.merged.entity_ids == ("--NME--", *(p.id for p in ranked))
    assert [p.id for r in read.passes for p in r.entities[1:]] == [p.id for p in ranked]
    assert all(len(r.input_ids) <= 40 for r in read.passes)
    names = [tokenizer.convert_ids_to_tokens([r.input_ids[i] for i in r.entity_positions]) for r in read.passes]
    assert [n[0] for n in names] == ["<ST0>"] * len(read.passes)
    assert [t for n in names for t in n[1:]] == [f"<ST{i}>" for i in range(1, 13)]


@pytest.mark.parametrize("attention", ["joint", "own-text"])
def test_merged_logits_are_each_candidates_own_pass_logits(make_reader, paris, attention):
    model, tokenizer, config = make_reader(max_candidates=12, max_input_tokens=40, candidate_attention=attention)
    _open_spans(model)
    ranked = (*DISTRACTORS, PASSAGES["France"], PASSAGES["Paris"])
    read = build_reader_passes(paris, ranked, [], tokenizer, config)
    tensors = collate(read.passes, tokenizer.pad_token_id).tensors
    with torch.no_grad():
        out = model(**tensors, window_of=torch.zeros(len(read.passes), dtype=torch.long))
        assert out.entity_logits.shape == (len(out.spans), 13) and len(out.spans) > 0
        assert (out.spans[:, 0] == 0).all()
        column = 0
        for number, one in enumerate(read.passes):  # each pass alone, linking the same spans
            alone = collate([one], tokenizer.pad_token_id).tensors
            spans = torch.cat([torch.zeros_like(out.spans[:, :1]), out.spans[:, 1:]], dim=-1)
            logits = model(**alone, spans=spans).entity_logits
            first = 0 if number == 0 else 1
            width = len(one.entities) - first
            torch.testing.assert_close(out.entity_logits[:, column:column + width], logits[:, first:])
            column += width
        assert column == 13


def test_a_candidate_at_the_last_rank_of_the_last_pass_is_linked(make_reader, paris):
    """Overfit on one-pass inputs (trimmed, gold kept), then read with the gold ranked last of 12."""
    torch.manual_seed(0)
    model, tokenizer, config = make_reader(max_candidates=12, max_input_tokens=40, dropout=0.0)
    train = build_reader_input(paris, (DISTRACTORS[0], PASSAGES["France"], PASSAGES["Paris"]), [], tokenizer, config,
                               with_labels=True)
    batch = collate([train], tokenizer.pad_token_id, with_labels=True)
    module = RelikReaderModule(model, learning_rate=1e-3, head_learning_rate=1e-2, warmup_steps=0, total_steps=10**6)
    optimizer = torch.optim.AdamW(module.parameter_groups())
    model.train()
    for _ in range(60):
        optimizer.zero_grad()
        model(**batch.tensors).loss.backward()
        optimizer.step()
    model.eval()
    ranked = (*DISTRACTORS, PASSAGES["France"], PASSAGES["Paris"])
    [prediction] = read_windows(model, tokenizer, [ReaderExample(paris, ranked)], max_tokens=4096)
    [trimmed] = read_windows(model, tokenizer, [ReaderExample(paris, ranked)], max_tokens=4096, split_candidates=False)
    assert (0, 5, "Paris") in {(s.start, s.end, s.label) for s, _ in prediction.spans}
    assert "Paris" not in {s.label for s, _ in trimmed.spans}  # the trimmed reader never sees it


def test_all_passes_of_a_window_run_in_one_batch(make_reader, monkeypatch):
    model, tokenizer, config = make_reader(max_candidates=12, max_input_tokens=40)
    ranked = (*DISTRACTORS, PASSAGES["France"], PASSAGES["Paris"])
    examples = [ReaderExample(w, ranked) for w in _windows()]
    calls = []
    forward = model.forward
    monkeypatch.setattr(model, "forward", lambda **kw: calls.append(kw["input_ids"].shape[0]) or forward(**kw))
    read_windows(model, tokenizer, examples, max_tokens=4096)
    passes = sum(len(r.passes) for r in encode_passes(examples, tokenizer, config, with_labels=False))
    assert calls == [passes] and passes >= 6
    assert pass_batches([[30, 40, 20], [10], [40, 40]], 160) == [[1, 0], [2]]  # (1 + 3) rows x 40 tokens fit 160
    assert pass_batches([[30, 40, 20], [10], [40, 40]], 120) == [[1], [0], [2]]


def test_given_mentions_are_linked_over_every_pass(make_reader, paris):
    model, tokenizer, config = make_reader(max_candidates=12, max_input_tokens=40)
    ranked = (*DISTRACTORS, PASSAGES["France"], PASSAGES["Paris"])
    [prediction] = read_windows(model, tokenizer, [ReaderExample(paris, ranked)], max_tokens=4096, given_mentions=True)
    assert [(s.start, s.end) for s, _ in prediction.spans] == [(0, 5), (24, 30)]
    assert {s.label for s, _ in prediction.spans} <= {"--NME--", *(p.id for p in ranked)}

