"""Gold labels sit on the right tokens: on real AIDA sample windows, the labelled start..end tokens
are exactly the span text's tokens and the labelled slot is the gold candidate."""
from __future__ import annotations

from transformers import AutoTokenizer

from relik_ml.formats import read_documents
from relik_ml.reader.configuration import RelikReaderConfig
from relik_ml.reader.data import build_examples, collate, encode_examples
from relik_ml.reader.inputs import add_reader_tokens
from relik_ml.types import NME, Passage
from relik_ml.windows import WindowConfig, make_windows
from tests.paths import SAMPLE
from tests.reader.conftest import minilm_path


def _sample_windows(limit: int = 40):
    aida = SAMPLE / "aida"
    docs = read_documents("aida", [aida / name for name in ("annotations.tsv", "eng.train", "eng.testa", "eng.testb")])
    windows = [w for doc in docs[:12] for w in make_windows(doc, WindowConfig(window_size=32, stride=16))[0]]
    return [w for w in windows if w.spans][:limit]


def test_labelled_tokens_are_the_span_tokens_on_sample_windows():
    tokenizer = AutoTokenizer.from_pretrained(minilm_path())
    config = RelikReaderConfig(task="el", max_candidates=20)
    add_reader_tokens(tokenizer, config)
    windows = _sample_windows()
    kb = {s.label: Passage(s.label, s.title or s.label, "") for w in windows for s in w.spans if s.label != NME}
    ranked = {w.id: [] for w in windows}
    examples = build_examples(windows, ranked, passages=kb, k=20, training=True)
    inputs = encode_examples(examples, tokenizer, config, with_labels=True)
    batch = collate(inputs, tokenizer.pad_token_id, with_labels=True).tensors
    ids, checked = batch["input_ids"], 0
    rows = iter(zip(batch["spans"].tolist(), batch["span_entities"].tolist()))
    for b, (window, encoded) in enumerate(zip(windows, inputs)):
        for span in sorted(window.spans, key=lambda s: (s.start, s.end)):
            (row, start, end), slot = next(rows)
            assert row == b and batch["window_mask"][b, start] and batch["window_mask"][b, end]
            expected = tokenizer(window.text[span.start : span.end], add_special_tokens=False)["input_ids"]
            assert ids[b, start : end + 1].tolist() == expected, (window.id, span)
            linked = encoded.entities[slot]
            assert (NME if linked is None else linked.id) == span.label
            checked += 1
    assert next(rows, None) is None and checked >= 60
