from __future__ import annotations

import shutil
from dataclasses import replace

import pytest
import torch

from relik_ml.errors import InputError
from relik_ml.io import read_manifest
from relik_ml.retriever.config import RetrieverConfig, RetrieverTrainConfig
from relik_ml.retriever.encoder import Retriever
from relik_ml.retriever.evaluate import evaluate_retrieval
from relik_ml.retriever.train import train_retriever
from relik_ml.types import Passage

TRAIN = RetrieverTrainConfig(
    learning_rate=2e-2,
    batch_size=16,
    passages_per_batch=20,
    max_steps=128,
    hard_negatives_per_window=5,
    eval_k=1,
    patience=None,
    encode_batch_size=64,
    gradient_clip_val=1.0,
    seed=0,
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_backbone_dir, toy_kb, toy_train_windows, toy_dev_windows):
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("run") / "retriever"
    config = RetrieverConfig(backbone=str(tiny_backbone_dir), max_query_tokens=32, max_passage_tokens=32)
    summary = train_retriever(toy_train_windows, toy_dev_windows, toy_kb, config, TRAIN, out, accelerator="cpu")
    return summary, config


def test_training_improves_dev_recall_at_1(trained, toy_kb, toy_dev_windows):
    summary, config = trained
    before = evaluate_retrieval(Retriever.from_backbone(config), toy_dev_windows, toy_kb, ks=(1, 10))
    after = evaluate_retrieval(Retriever.from_pretrained(summary.model_dir), toy_dev_windows, toy_kb, ks=(1, 10))
    assert after["recall@1"] >= before["recall@1"] + 0.3
    assert summary.best_dev_recall == pytest.approx(after["recall@1"])
    assert summary.best_dev_recall > summary.initial_dev_recall


def test_summary_and_artifact(trained, toy_train_windows):
    summary, _ = trained
    assert summary.steps == TRAIN.max_steps and summary.monitor == "val/recall@1"
    assert summary.train_examples == len(toy_train_windows) and summary.skipped_train_windows == 0
    manifest = read_manifest(summary.model_dir)
    assert manifest["artifact"] == "retriever" and manifest["counts"]["passages"] == 30
    assert manifest["config"]["train"]["max_steps"] == TRAIN.max_steps
    assert not any(p.suffix == ".ckpt" for p in summary.model_dir.iterdir())
    assert (summary.checkpoint_dir / "last.ckpt").exists()


def test_resume_continues_from_the_last_checkpoint(trained, toy_kb, toy_train_windows, toy_dev_windows, tmp_path):
    summary, config = trained
    shutil.copytree(summary.checkpoint_dir, tmp_path / "work" / "checkpoints")
    more = replace(TRAIN, max_steps=TRAIN.max_steps + 8)
    out = tmp_path / "resumed"
    resumed = train_retriever(
        toy_train_windows, toy_dev_windows, toy_kb, config, more, out,
        resume_from="last", work_dir=tmp_path / "work", accelerator="cpu",
    )
    assert resumed.steps == more.max_steps and resumed.initial_dev_recall is None
    assert Retriever.from_pretrained(out).encode_passages(toy_kb[:2]).shape == (2, 32)


def test_without_dev_windows_the_last_model_is_kept(tiny_backbone_dir, toy_kb, toy_train_windows, tmp_path):
    config = RetrieverConfig(backbone=str(tiny_backbone_dir), max_query_tokens=16, max_passage_tokens=16)
    quick = replace(TRAIN, max_steps=3)
    summary = train_retriever(toy_train_windows, [], toy_kb, config, quick, tmp_path / "out", accelerator="cpu")
    assert (summary.steps, summary.dev_examples) == (3, 0)
    assert summary.best_dev_recall is None and summary.initial_dev_recall is None
    assert Retriever.from_pretrained(summary.model_dir).config.max_query_tokens == 16


def test_no_gold_in_the_kb_is_an_input_error(tiny_backbone_dir, toy_train_windows, tmp_path):
    config = RetrieverConfig(backbone=str(tiny_backbone_dir))
    with pytest.raises(InputError, match="train_windows"):
        train_retriever(toy_train_windows, [], [Passage("X", "x", "")], config, TRAIN, tmp_path / "out")


def test_validation_and_mining_at_one_step_embed_the_kb_once(
    tiny_backbone_dir, toy_kb, toy_train_windows, toy_dev_windows, tmp_path, monkeypatch
):
    """Two epochs, epoch-end validation and mining: initial + 2 epoch ends = 3 KB passes (not 4)."""
    kb_passes = []
    encode = Retriever.encode_passages

    def counting(self, passages, *args, **kwargs):
        if len(passages) == len(toy_kb):
            kb_passes.append(1)
        return encode(self, passages, *args, **kwargs)

    monkeypatch.setattr(Retriever, "encode_passages", counting)
    config = RetrieverConfig(backbone=str(tiny_backbone_dir), max_query_tokens=16, max_passage_tokens=16)
    two_epochs = replace(TRAIN, max_steps=1000, max_epochs=2, mining_mode="epoch")
    summary = train_retriever(toy_train_windows, toy_dev_windows, toy_kb, config, two_epochs, tmp_path / "out",
                              accelerator="cpu")
    assert summary.epochs == 2 and len(kb_passes) == 3


def test_zero_steps_writes_the_backbone_untrained_even_without_gold(tiny_backbone_dir, toy_kb, tmp_path):
    """A stage without training data (no hyperlink corpus) passes its backbone through."""
    config = RetrieverConfig(backbone=str(tiny_backbone_dir))
    summary = train_retriever([], [], toy_kb, config, replace(TRAIN, max_steps=0), tmp_path / "out")
    assert (summary.steps, summary.train_examples, summary.best_dev_recall) == (0, 0, None)
    saved = Retriever.from_pretrained(summary.model_dir).encode_passages(toy_kb[:3])
    assert saved == pytest.approx(Retriever.from_backbone(config).encode_passages(toy_kb[:3]), abs=1e-6)
    assert read_manifest(summary.model_dir)["counts"]["steps"] == 0


def test_a_run_ending_mid_epoch_validates_its_final_weights(tiny_backbone_dir, toy_kb, toy_train_windows,
                                                            toy_dev_windows, tmp_path):
    """max_steps before the first epoch-end validation, with early stopping on: no missing-metric
    crash, and the final weights are validated and kept when they beat the untrained model."""
    config = RetrieverConfig(backbone=str(tiny_backbone_dir), max_query_tokens=32, max_passage_tokens=32)
    short = replace(TRAIN, max_steps=5, max_epochs=2, patience=2)  # 120 windows / 16 = 8 batches per epoch
    summary = train_retriever(toy_train_windows, toy_dev_windows, toy_kb, config, short, tmp_path / "out",
                              accelerator="cpu")
    assert summary.steps == 5
    kept = evaluate_retrieval(Retriever.from_pretrained(summary.model_dir), toy_dev_windows, toy_kb, ks=(1,))
    assert summary.best_dev_recall == pytest.approx(kept["recall@1"])
    assert summary.best_dev_recall > summary.initial_dev_recall
