"""The fast reading path gives the annotations of a plain window-by-window path; threads are settable.

Fast path: windows and candidate texts tokenized in batches (candidates once per `TokenCache`),
length-sorted token-budget batches, vectorised decoding. Plain path: each window encoded without a
cache, run alone, decoded row by row as written below.
"""
from __future__ import annotations

import faiss
import pytest
import torch

from relik_ml.errors import InputError
from relik_ml.inference import Relik, to_json
from relik_ml.inference.reading import encode_inputs
from relik_ml.reader.data import collate
from relik_ml.reader.decoding import merge_windows
from relik_ml.reader.inputs import TokenCache, build_reader_input
from relik_ml.reader.word_spans import widen_to_words
from relik_ml.types import NME, Prediction, Span

TEXTS = [
    "Home Depot CEO Nardelli quits. Frank Blake replaces him, Home Depot said in Atlanta.",
    "Seattle is rainy, Paris is not. " * 6,
    "Москва — столица России, Berlin liegt in Deutschland.",
    "",
]


def _plain_prediction(relik: Relik, example) -> Prediction:
    """One window: uncached encoding, a batch of one, per-span argmax written out, spans widened to words."""
    encoded = build_reader_input(example.window, example.entities, example.relations, relik.tokenizer,
                                 relik.reader.config)
    with torch.no_grad():
        output = relik.reader(**collate([encoded], relik.tokenizer.pad_token_id).tensors)
    spans = []
    for row, (_, start, end) in enumerate(output.spans.tolist()):
        char_start, char_end = encoded.token_offsets[start - 1][0], encoded.token_offsets[end - 1][1]
        probs = output.entity_logits[row].softmax(-1)
        slot = int(probs.argmax())
        passage = encoded.entities[slot]
        label, title = (NME, "") if passage is None else (passage.id, passage.title)
        score = float(output.span_scores[row] * probs[slot])  # span probability x link probability
        spans.append((Span(char_start, char_end, label, title), score))
    return widen_to_words(Prediction(example.window.id, example.window.text, tuple(spans), ()),
                          relik.reader.config.span_words)  # whole words (tested in tests/reader/test_word_spans.py)


def _plain_call(relik: Relik, texts: list[str], top_k: int) -> list[Prediction]:
    examples = relik.examples(texts, top_k=top_k)
    out = []
    for doc_id, text in enumerate(texts):
        mine = [e for e in examples if e.window.doc_id == str(doc_id)]
        reads = [_plain_prediction(relik, e) for e in mine]
        out.append(merge_windows(reads, [e.window.start for e in mine], doc_id=str(doc_id), doc_text=text))
    return out


def _assert_same(fast: list[Prediction], plain: list[Prediction]) -> None:
    assert [[s for s, _ in p.spans] for p in fast] == [[s for s, _ in p.spans] for p in plain]
    for f, p in zip(fast, plain):  # batching changes float rounding only
        assert [x for _, x in f.spans] == pytest.approx([x for _, x in p.spans], abs=1e-5)


def test_fast_path_gives_the_plain_annotations(relik):
    plain = _plain_call(relik, TEXTS, top_k=5)
    assert sum(len(p.spans) for p in plain) > 5, "the low-threshold tiny reader predicts spans"
    _assert_same(relik(TEXTS, top_k=5), plain)
    _assert_same(relik(TEXTS, top_k=5), plain)  # again, with the candidate tokens memoised


def test_batched_encoding_equals_encoding_one_by_one(relik):
    examples = relik.examples(TEXTS, top_k=5)
    config = relik.reader.config
    batched = encode_inputs(examples, relik.tokenizer, config, with_labels=False, tokens=TokenCache(relik.tokenizer, config))
    single = [build_reader_input(e.window, e.entities, e.relations, relik.tokenizer, config) for e in examples]
    assert batched == single


def test_read_alone_equals_the_call_before_merging(relik):
    examples = relik.examples(TEXTS[:2])
    read = relik.read(examples)
    assert [p.id for p in read] == [e.window.id for e in examples]
    merged = merge_windows(
        [p for p, e in zip(read, examples) if e.window.doc_id == "0"],
        [e.window.start for e in examples if e.window.doc_id == "0"], doc_id="0", doc_text=TEXTS[0],
    )
    assert to_json(merged) == to_json(relik(TEXTS[:2])[0])


def test_thread_count_is_set_for_torch_and_faiss(model_dir):
    before = torch.get_num_threads(), faiss.omp_get_max_threads()
    try:
        Relik.from_pretrained(model_dir, threads=2)
        assert (torch.get_num_threads(), faiss.omp_get_max_threads()) == (2, 2)
        Relik.from_pretrained(model_dir, threads=1)
        assert (torch.get_num_threads(), faiss.omp_get_max_threads()) == (1, 1)
    finally:
        torch.set_num_threads(before[0])
        faiss.omp_set_num_threads(before[1])


def test_separately_loaded_models_annotate_identically(model_dir):
    first, second = Relik.from_pretrained(model_dir), Relik.from_pretrained(model_dir)
    assert [to_json(p) for p in first(TEXTS)] == [to_json(p) for p in second(TEXTS)]


def test_bf16_precision_annotates_with_valid_spans(model_dir):
    fast = Relik.from_pretrained(model_dir, precision="bf16")
    for text, prediction in zip(TEXTS, fast(TEXTS)):
        for span in to_json(prediction)["spans"]:
            assert span["text"] == text[span["start"] : span["end"]] and 0.0 <= span["score"] <= 1.0
    assert sum(len(p.spans) for p in fast(TEXTS)) > 0


def test_unknown_precision_is_an_input_error(model_dir):
    with pytest.raises(InputError, match="precision"):
        Relik.from_pretrained(model_dir, precision="fp8")


def test_overlapping_spans_false_in_relik_json_leaves_no_overlaps_but_keeps_given_mentions(relik):
    everything = relik(TEXTS, top_k=5)
    assert _has_overlap(everything), "the low-threshold tiny reader predicts overlapping spans"
    strict = Relik(relik.settings.overridden(overlapping_spans=False), entities=relik.entities,
                   reader=(relik.reader, relik.tokenizer))
    kept = strict(TEXTS, top_k=5)
    assert not _has_overlap(kept)
    for full, few in zip(everything, kept):
        assert {(s.start, s.end) for s, _ in few.spans} <= {(s.start, s.end) for s, _ in full.spans}
    nested = [[(0, 10), (0, 4), (5, 10)]]  # given mentions are linked even when they overlap
    assert len(strict(TEXTS[:1], mentions=nested)[0].spans) == 3


def _has_overlap(predictions: list[Prediction]) -> bool:
    for prediction in predictions:
        bounds = sorted((s.start, s.end) for s, _ in prediction.spans)
        if any(later[0] < earlier[1] for earlier, later in zip(bounds, bounds[1:])):
            return True
    return False


def test_int8_precision_quantizes_only_the_reader_encoder_and_annotates(model_dir, tmp_path):
    exact = Relik.from_pretrained(model_dir)
    quantized = Relik.from_pretrained(model_dir, precision="int8")
    last = f"layer.{quantized.reader.config.encoder['num_hidden_layers'] - 1}."
    linear = (torch.nn.Linear, torch.ao.nn.quantized.dynamic.Linear)
    kinds = {name: type(m) for name, m in quantized.reader.encoder.named_modules() if isinstance(m, linear)}
    assert all(kind is torch.nn.Linear for name, kind in kinds.items() if last in name)  # last layer float32
    assert sum(kind is torch.ao.nn.quantized.dynamic.Linear for kind in kinds.values()) == 7  # layer 0 (6) + pooler
    assert all(kind is torch.ao.nn.quantized.dynamic.Linear for name, kind in kinds.items()
               if last not in name and not name.startswith("pooler"))
    assert torch.nn.Linear in {type(m) for m in quantized.reader.start_head.modules()}  # heads stay float32
    examples = exact.examples(TEXTS[:2], top_k=5)
    tensors = collate(encode_inputs(examples, exact.tokenizer, exact.reader.config, with_labels=False),
                      exact.tokenizer.pad_token_id).tensors
    with torch.inference_mode():
        reference = exact.reader.encoder(input_ids=tensors["input_ids"], attention_mask=tensors["attention_mask"])
        approx = quantized.reader.encoder(input_ids=tensors["input_ids"], attention_mask=tensors["attention_mask"])
    error = (approx.last_hidden_state - reference.last_hidden_state).norm() / reference.last_hidden_state.norm()
    assert error < 0.1, f"int8 hidden states differ by {error:.3f} (relative)"
    for text, prediction in zip(TEXTS, quantized(TEXTS)):
        for span in to_json(prediction)["spans"]:
            assert span["text"] == text[span["start"] : span["end"]] and 0.0 <= span["score"] <= 1.0
    with pytest.raises(InputError, match="int8"):
        quantized.save_pretrained(tmp_path / "copy")
    assert not (tmp_path / "copy").exists()
