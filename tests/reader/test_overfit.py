"""The real MiniLM reader, with the sample's training settings (head lr, positive-class weight),
learns mention starts in a few steps: after overfitting 3 AIDA sample windows the gold start tokens
pass the 0.5 threshold and every gold span is predicted (issue 4: p_start stayed < 0.5, span F1 0)."""
from __future__ import annotations

import pytest
import torch
from transformers import AutoTokenizer

from relik_ml.reader.configuration import RelikReaderConfig
from relik_ml.reader.data import build_examples, collate, encode_examples
from relik_ml.reader.inputs import add_reader_tokens
from relik_ml.reader.modeling import RelikReaderModel
from relik_ml.reader.module import RelikReaderModule
from relik_ml.reader.scoring import LABELS, score_reader, tune_span_thresholds
from relik_ml.types import NME, Passage
from tests.reader.conftest import minilm_path
from tests.reader.test_labels import _sample_windows


@pytest.mark.filterwarnings("ignore")
def test_minilm_reader_overfits_three_sample_windows():
    torch.manual_seed(0)
    path = minilm_path()
    windows = _sample_windows(3)
    kb = {s.label: Passage(s.label, s.title or s.label, "") for w in windows for s in w.spans if s.label != NME}
    tokenizer = AutoTokenizer.from_pretrained(path)
    config = RelikReaderConfig(task="el", max_candidates=8, span_positive_weight=3.0, span_head_hidden_size=384)
    model = RelikReaderModel.from_backbone(path, config, vocab_size=add_reader_tokens(tokenizer, config))
    examples = build_examples(windows, {w.id: [] for w in windows}, passages=kb, k=8, training=True)
    batch = collate(encode_examples(examples, tokenizer, config, with_labels=True), tokenizer.pad_token_id,
                    with_labels=True)
    module = RelikReaderModule(model, learning_rate=1e-4, head_learning_rate=1e-3, warmup_steps=0, total_steps=10**6)
    optimizer = torch.optim.AdamW(module.parameter_groups())
    model.train()
    for _ in range(40):
        optimizer.zero_grad()
        model(**batch.tensors).loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        out = model(**{k: v for k, v in batch.tensors.items() if k not in LABELS})
    p_start = out.start_logits.softmax(-1)[..., 1]
    gold = batch.tensors["spans"]
    assert (p_start[gold[:, 0], gold[:, 1]] > config.start_threshold).all()
    predicted = {tuple(r) for r in out.spans.tolist()}
    assert {tuple(r) for r in gold.tolist()} <= predicted  # recall 1 at the default 0.5 / 0.5
    assert score_reader(model, [batch])["span_f1"] > 0.5
    assert tune_span_thresholds(model, [batch]).span_f1 > 0.8  # precision too, once the pair is tuned
