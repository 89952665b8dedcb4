from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

from relik_ml.retriever.callbacks import HardNegativeMiner
from relik_ml.retriever.config import RetrieverTrainConfig
from relik_ml.retriever.data import build_examples
from relik_ml.retriever.kb_cache import KBEmbeddingCache


class _Module:
    """The three things the miner uses from a LightningModule."""

    def __init__(self, retriever, kb):
        self.retriever = retriever
        self.kb = KBEmbeddingCache(kb, 64)
        self.logged = {}

    def kb_embeddings(self):
        return self.kb.get(self.retriever)

    def log(self, name, value):
        self.logged[name] = value


def _trainer(**overrides):
    base = dict(num_training_batches=20, should_stop=False, max_steps=1000, global_step=5)
    base.update(max_epochs=None, current_epoch=0)
    return SimpleNamespace(**{**base, **overrides})


def _miner(toy_kb, toy_train_windows, **config):
    examples, _ = build_examples(toy_train_windows, "el", {p.id for p in toy_kb})
    store = {}
    config = replace(RetrieverTrainConfig(hard_negatives_per_window=3, encode_batch_size=64), **config)
    return HardNegativeMiner(examples, toy_kb, store, config), store


def test_fraction_mode_mines_every_tenth_of_an_epoch(retriever, toy_kb, toy_train_windows):
    miner, store = _miner(toy_kb, toy_train_windows, mining_mode="fraction", mine_every_fraction=0.1)
    module = _Module(retriever, toy_kb)
    for batch_idx in range(20):
        miner.on_train_batch_end(_trainer(), module, None, None, batch_idx)
    miner.on_train_epoch_end(_trainer(), module)
    assert miner.rounds == 10
    assert len(store) == len(toy_train_windows) and all(len(v) == 3 for v in store.values())
    assert module.logged["train/mined_windows"] == len(toy_train_windows)


def test_epoch_mode_mines_after_epochs_but_not_after_the_last(retriever, toy_kb, toy_train_windows):
    miner, store = _miner(toy_kb, toy_train_windows, mining_mode="epoch", mining_probability=0.5)
    module = _Module(retriever, toy_kb)
    miner.on_train_batch_end(_trainer(), module, None, None, 1)
    assert miner.rounds == 0
    miner.on_train_epoch_end(_trainer(), module)
    assert miner.rounds == 1 and 30 < len(store) < 90
    miner.on_train_epoch_end(_trainer(global_step=1000), module)
    miner.on_train_epoch_end(_trainer(max_epochs=3, current_epoch=2), module)
    assert miner.rounds == 1


def test_state_round_trip(retriever, toy_kb, toy_train_windows):
    miner, store = _miner(toy_kb, toy_train_windows)
    miner.mine(_Module(retriever, toy_kb))
    other, other_store = _miner(toy_kb, toy_train_windows)
    other.load_state_dict(miner.state_dict())
    assert other_store == store and other.rounds == 1


def test_mining_rounds_at_one_step_share_one_kb_encoding(retriever, toy_kb, toy_train_windows):
    miner, _ = _miner(toy_kb, toy_train_windows)
    module = _Module(retriever, toy_kb)
    miner.mine(module)
    miner.mine(module)
    assert module.kb.encodings == 1
    module.kb.invalidate()
    miner.mine(module)
    assert module.kb.encodings == 2 and miner.rounds == 3
