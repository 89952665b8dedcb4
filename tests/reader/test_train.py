"""End-to-end: a tiny reader overfits a handful of windows; the artifact reloads."""
from __future__ import annotations

import csv
from dataclasses import replace

import pytest
import torch
from pytorch_lightning.loggers import CSVLogger
from transformers import AutoTokenizer

from relik_ml.io import read_manifest
from relik_ml.reader.artifact import load_reader
from relik_ml.reader.configuration import RelikReaderConfig
from relik_ml.reader.data import build_examples, collate, encode_examples
from relik_ml.reader.inputs import add_reader_tokens
from relik_ml.reader.modeling import RelikReaderModel
from relik_ml.reader.module import RelikReaderModule
from relik_ml.reader.scoring import score_reader
from relik_ml.reader.train import ReaderTrainConfig, train_reader
from relik_ml.types import Span, Window

SENTENCES = [
    ("Paris is lovely in spring .", [("Paris", "Paris")]),
    ("He flew from Berlin to Lyon .", [("Berlin", "Berlin"), ("Lyon", "Lyon")]),
    ("France and Germany signed it .", [("France", "France"), ("Germany", "Germany")]),
    ("Nobody lives there anymore .", []),
    ("Lyon beat Paris at home .", [("Lyon", "Lyon"), ("Paris", "Paris")]),
    ("Germany borders France .", [("Germany", "Germany"), ("France", "France")]),
]


def _windows() -> list[Window]:
    windows = []
    for n, (text, mentions) in enumerate(SENTENCES):
        spans = tuple(Span(text.index(m), text.index(m) + len(m), label) for m, label in mentions)
        windows.append(Window(f"w{n}", f"d{n}", text, 0, len(text), spans=spans))
    return windows


@pytest.mark.filterwarnings("ignore")
def test_tiny_overfit_improves_span_f1_and_el_accuracy(backbone_dir, passages, tmp_path):
    windows = _windows()
    entity_ids = ["Paris", "France", "Lyon", "Berlin", "Germany"]
    ranked = {w.id: [passages[i] for i in entity_ids[n % 5 :] + entity_ids[: n % 5]] for n, w in enumerate(windows)}
    examples = build_examples(windows, ranked, passages=passages, k=5, training=True)
    reader_config = RelikReaderConfig(task="el", max_candidates=5, dropout=0.0)
    train_config = ReaderTrainConfig(
        backbone_path=backbone_dir, learning_rate=3e-3, layer_lr_decay=None, max_steps=120, warmup_steps=5,
        token_batch_size=4096, val_check_interval=40, seed=0,
    )
    before = _initial_scores(examples, reader_config, backbone_dir)
    logger = CSVLogger(tmp_path / "logs", name="reader")
    summary = train_reader(examples, examples, reader_config, train_config, tmp_path / "reader", loggers=[logger])
    assert summary.steps == 120 and summary.train_windows == 6
    assert summary.dev_scores["span_f1"] > before["span_f1"] + 0.3
    assert summary.dev_scores["el_accuracy"] > before["el_accuracy"] + 0.3
    with open(next((tmp_path / "logs").rglob("metrics.csv"))) as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("train/loss")]
    assert len(rows) == 120  # logged every step
    manifest = read_manifest(tmp_path / "reader")
    assert manifest["artifact"] == "reader" and manifest["counts"]["steps"] == 120
    assert manifest["span_thresholds"] == summary.thresholds
    assert summary.thresholds["span_f1"] >= summary.thresholds["previous_span_f1"]
    model, tokenizer = load_reader(tmp_path / "reader")
    assert model.config.start_threshold == summary.thresholds["start_threshold"]  # inference uses the tuned pair
    assert model.config.end_threshold == summary.thresholds["end_threshold"]
    reloaded = score_reader(model, [_batch(examples, tokenizer, model.config)])
    assert reloaded == pytest.approx(summary.dev_scores)


def _batch(examples, tokenizer, config):
    inputs = encode_examples(examples, tokenizer, config, with_labels=True)
    return collate(inputs, tokenizer.pad_token_id, with_labels=True)


def _initial_scores(examples, reader_config, backbone_dir) -> dict[str, float]:
    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(backbone_dir)
    config = RelikReaderConfig(**reader_config.to_dict())
    model = RelikReaderModel.from_backbone(backbone_dir, config, vocab_size=add_reader_tokens(tokenizer, config))
    return score_reader(model, [_batch(examples, tokenizer, model.config)])


@pytest.mark.filterwarnings("ignore")
def test_init_from_continues_a_saved_reader_in_training_mode(backbone_dir, passages, tmp_path, monkeypatch):
    windows = _windows()
    ranked = {w.id: [passages[i] for i in ["Paris", "France", "Lyon", "Berlin", "Germany"]] for w in windows}
    examples = build_examples(windows, ranked, passages=passages, k=5, training=True)
    reader_config = RelikReaderConfig(task="el", max_candidates=5)
    first = ReaderTrainConfig(backbone_path=backbone_dir, learning_rate=3e-3, layer_lr_decay=None, max_steps=30,
                              warmup_steps=2, token_batch_size=4096, val_check_interval=30, tune_thresholds=False)
    first_summary = train_reader(examples, examples, reader_config, first, tmp_path / "first")
    saved, _ = load_reader(tmp_path / "first")
    seen_modes: list[bool] = []
    original_step = RelikReaderModule.training_step

    def recording_step(self, batch, batch_idx):
        seen_modes.append(self.model.training)
        return original_step(self, batch, batch_idx)

    monkeypatch.setattr(RelikReaderModule, "training_step", recording_step)
    warm = ReaderTrainConfig(backbone_path="/nonexistent", learning_rate=1e-9, head_learning_rate=1e-9,
                             layer_lr_decay=None, max_steps=2, warmup_steps=1, token_batch_size=4096,
                             val_check_interval=2, tune_thresholds=False, init_from=str(tmp_path / "first"))
    weighted = RelikReaderConfig(task="el", max_candidates=5, span_positive_weight=2.0)
    summary = train_reader(examples, examples, weighted, warm, tmp_path / "second")
    continued, _ = load_reader(tmp_path / "second")
    assert continued.config.span_positive_weight == 2.0  # loss weights from this run, the rest from the saved one
    assert seen_modes == [True, True]  # dropout is on again after loading an inference-mode reader
    assert summary.dev_scores["el_accuracy"] == pytest.approx(first_summary.dev_scores["el_accuracy"])
    for name, tensor in saved.state_dict().items():  # a tiny learning rate: the saved weights carried over
        assert torch.allclose(continued.state_dict()[name], tensor, atol=1e-5), name


@pytest.mark.filterwarnings("ignore")
def test_a_warm_start_adapts_a_saved_reader_to_own_text_attention(backbone_dir, passages, tmp_path):
    windows = _windows()
    ranked = {w.id: [passages[i] for i in ["Paris", "France", "Lyon"]] for w in windows}
    examples = build_examples(windows, ranked, passages=passages, k=3, training=True)
    cold = ReaderTrainConfig(backbone_path=backbone_dir, max_steps=1, warmup_steps=1, token_batch_size=4096,
                             val_check_interval=1, tune_thresholds=False)
    train_reader(examples, examples, RelikReaderConfig(task="el", max_candidates=3), cold, tmp_path / "first")
    warm = replace(cold, backbone_path="/nonexistent", init_from=str(tmp_path / "first"))
    own_text = RelikReaderConfig(task="el", max_candidates=3, candidate_attention="own-text")
    train_reader(examples, examples, own_text, warm, tmp_path / "second")
    adapted, _ = load_reader(tmp_path / "second")
    assert adapted.config.candidate_attention == "own-text" and adapted.config.max_candidates == 3


@pytest.mark.filterwarnings("ignore")
def test_phases_continue_from_the_kept_weights_each_with_its_own_learning_rate(backbone_dir, passages, tmp_path,
                                                                                monkeypatch):
    import relik_ml.reader.train as train_module

    windows = _windows()
    ranked = {w.id: [passages[i] for i in ["Paris", "France", "Lyon"]] for w in windows}
    examples = build_examples(windows, ranked, passages=passages, k=3, training=True)
    kept: list[dict[str, torch.Tensor]] = []
    started: list[tuple[dict[str, torch.Tensor], set[float]]] = []
    original_fit, original_step = train_module._fit, RelikReaderModule.training_step

    def recording_fit(model, *args, **kwargs):
        result = original_fit(model, *args, **kwargs)
        kept.append({k: v.detach().clone() for k, v in model.state_dict().items()})
        return result

    def recording_step(self, batch, batch_idx):
        if batch_idx == 0 and self.trainer.global_step == 0:
            lrs = {group["initial_lr"] for group in self.optimizers().param_groups}
            started.append(({k: v.detach().clone() for k, v in self.model.state_dict().items()}, lrs))
        return original_step(self, batch, batch_idx)

    monkeypatch.setattr(train_module, "_fit", recording_fit)
    monkeypatch.setattr(RelikReaderModule, "training_step", recording_step)
    config = ReaderTrainConfig(
        backbone_path=backbone_dir, layer_lr_decay=None, token_batch_size=4096, tune_thresholds=False,
        learning_rate=1e-3, val_check_interval=1,
        phases=[{"max_steps": 2, "warmup_steps": 1, "head_learning_rate": 5e-3},
                {"max_steps": 3, "learning_rate": 2e-4, "warmup_steps": 0, "monitor": "val/el_accuracy"}],
    )
    assert config.max_steps == 5
    logger = CSVLogger(tmp_path / "logs", name="reader")
    summary = train_reader(examples, examples, RelikReaderConfig(task="el", max_candidates=3, dropout=0.0), config,
                           tmp_path / "reader", loggers=[logger])
    assert summary.steps == 5 and len(started) == 2 and len(kept) == 2
    assert started[0][1] == {1e-3, 5e-3}  # phase 1: the run's encoder lr, its own heads lr
    assert started[1][1] == {2e-4}  # phase 2: its own lr (heads follow it: head_learning_rate unset)
    for name, tensor in kept[0].items():  # phase 2 starts from the weights phase 1 kept
        assert torch.equal(started[1][0][name], tensor), name
    assert any(not torch.equal(started[0][0][n], t) for n, t in kept[0].items())  # phase 1 did train
    manifest = read_manifest(tmp_path / "reader")
    assert [p["steps"] for p in manifest["phases"]] == [2, 3] and manifest["counts"]["steps"] == 5
    assert manifest["monitor"] == "val/el_accuracy"
    with open(next((tmp_path / "logs").rglob("metrics.csv"))) as handle:
        steps = [int(r["step"]) for r in csv.DictReader(handle) if r.get("train/loss")]
    assert steps == [0, 1, 2, 3, 4]  # the second phase logs after the first


def test_a_phase_names_its_bad_key():
    from relik_ml.errors import InputError

    with pytest.raises(InputError, match=r"learning_rat") as error:
        ReaderTrainConfig(backbone_path="", phases=[{"max_steps": 2}, {"max_steps": 1, "learning_rat": 1e-4}])
    assert error.value.field == "phases[1]"
    with pytest.raises(InputError, match="max_steps"):
        ReaderTrainConfig(backbone_path="", phases=[{"learning_rate": 1e-4}])
