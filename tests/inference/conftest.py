"""A tiny self-contained model directory: random 2-layer BERT retriever and EL reader, Flat index."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from transformers import AutoTokenizer  # noqa: E402

from relik_ml.backbones import tiny_backbone  # noqa: E402
from relik_ml.index import IndexConfig, PassageIndex  # noqa: E402
from relik_ml.inference import RelikSettings, assemble_model_dir  # noqa: E402
from relik_ml.io import write_jsonl  # noqa: E402
from relik_ml.reader.artifact import save_reader  # noqa: E402
from relik_ml.reader.configuration import RelikReaderConfig  # noqa: E402
from relik_ml.reader.inputs import add_reader_tokens  # noqa: E402
from relik_ml.reader.modeling import RelikReaderModel  # noqa: E402
from relik_ml.retriever.config import RetrieverConfig  # noqa: E402
from relik_ml.retriever.encoder import Retriever  # noqa: E402
from relik_ml.types import Passage  # noqa: E402

# The ELEVANT fixture's entities first (tests/fixtures/formats/elevant.jsonl), then toy entries.
TOY_KB = [
    Passage("Q864407", "The Home Depot", "American home improvement retailer"),
    Passage("Q7151214", "Robert Nardelli", "American businessman"),
    Passage("Q1437140", "Frank Blake", "American businessman, CEO of The Home Depot"),
    Passage("Q5083", "Seattle", "city in Washington, United States"),
    Passage("Q90", "Paris", "capital city of France"),
    Passage("Q142", "France", "country in Western Europe"),
    Passage("Q64", "Berlin", "capital city of Germany"),
    Passage("Q183", "Germany", "country in Central Europe"),
    Passage("Q456", "Lyon", "city in France"),
    Passage("Q1490", "Tokyo", "capital of Japan", "en"),
    Passage("Q148", "China", "country in East Asia"),
    Passage("Q956", "Beijing", "capital of China"),
    Passage("Q649", "Moscow", "capital of Russia"),
    Passage("Q159", "Russia", "country in Eastern Europe and Asia"),
    Passage("Q85", "Cairo", "capital of Egypt"),
    Passage("Q79", "Egypt", "country in North Africa"),
    Passage("Q60", "New York City", "most populous city in the United States"),
    Passage("Q30", "United States", "country in North America"),
    Passage("Q84", "London", "capital of the United Kingdom"),
    Passage("Q145", "United Kingdom", "country in Northwestern Europe"),
]


@pytest.fixture(scope="session", autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)


def build_model_dir(root: Path, *, with_reader: bool = True) -> Path:
    """Tiny backbone → retriever, index over TOY_KB, untrained EL reader → assembled directory."""
    backbone = tiny_backbone(root / "backbone")
    retriever = Retriever.from_backbone(RetrieverConfig(backbone=str(backbone)))
    retriever.save_pretrained(root / "retriever")
    embeddings = retriever.encode_passages(TOY_KB)
    PassageIndex.build(embeddings, [p.id for p in TOY_KB], IndexConfig(recall_check_queries=0)).save(root / "index")
    write_jsonl(root / "passages.jsonl", TOY_KB)
    reader_dir = None
    if with_reader:
        reader_dir = root / "reader"
        _save_tiny_reader(backbone, reader_dir)
    settings = RelikSettings(top_k=5, batch_size=16)
    return assemble_model_dir(
        root / "model", retriever_dir=root / "retriever", index_dir=root / "index",
        passages=root / "passages.jsonl", reader_dir=reader_dir, settings=settings,
    )


def _save_tiny_reader(backbone: Path, out: Path) -> None:
    """An untrained EL reader whose low thresholds make it predict a few spans per window."""
    tokenizer = AutoTokenizer.from_pretrained(str(backbone))
    config = RelikReaderConfig(
        task="el", max_candidates=8, max_input_tokens=256, start_threshold=0.3, end_threshold=0.3,
        max_predicted_spans=4,
    )
    vocab_size = add_reader_tokens(tokenizer, config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = RelikReaderModel.from_backbone(str(backbone), config, vocab_size=vocab_size)
    save_reader(model.eval(), tokenizer, out)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    return build_model_dir(tmp_path_factory.mktemp("relik"))


@pytest.fixture(scope="session")
def retriever_only_dir(tmp_path_factory) -> Path:
    return build_model_dir(tmp_path_factory.mktemp("relik-retriever"), with_reader=False)


@pytest.fixture(scope="session")
def relik(model_dir):
    from relik_ml.inference import Relik

    return Relik.from_pretrained(model_dir)
