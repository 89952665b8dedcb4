"""Builds a tiny self-contained model directory: random 2-layer BERT retriever and EL reader, Flat index."""
from __future__ import annotations

import os
from pathlib import Path

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
TOY_RELATIONS = [
    Passage("P36", "capital", "seat of government of this country"),
    Passage("P17", "country", "sovereign state that this item is in"),
    Passage("P108", "employer", "organisation this person works for"),
]


def build_model_dir(root: Path, *, with_reader: bool = True, task: str = "el", relation_index: bool = False) -> Path:
    """Tiny backbone → retriever, index over TOY_KB, untrained reader → assembled directory.

    RE / cIE directories get TOY_RELATIONS, with a relation index (same retriever) if asked.
    """
    backbone = tiny_backbone(root / "backbone")
    retriever = Retriever.from_backbone(RetrieverConfig(backbone=str(backbone)))
    retriever.save_pretrained(root / "retriever")
    _index(retriever, TOY_KB, root / "index")
    write_jsonl(root / "passages.jsonl", TOY_KB)
    reader_dir = root / "reader" if with_reader else None
    if reader_dir is not None:
        _save_tiny_reader(backbone, reader_dir, task)
    relation_parts = {}
    if task != "el":
        write_jsonl(root / "relations.jsonl", TOY_RELATIONS)
        relation_parts["relations"] = root / "relations.jsonl"
        if relation_index:
            _index(retriever, TOY_RELATIONS, root / "relation_index")
            relation_parts.update(relation_retriever_dir=root / "retriever", relation_index_dir=root / "relation_index")
    settings = RelikSettings(task=task, top_k=5, relation_top_k=3, batch_size=16)
    return assemble_model_dir(
        root / "model", retriever_dir=root / "retriever", index_dir=root / "index",
        passages=root / "passages.jsonl", reader_dir=reader_dir, settings=settings, **relation_parts,
    )


def _index(retriever: Retriever, passages: list[Passage], out: Path) -> None:
    embeddings = retriever.encode_passages(passages)
    PassageIndex.build(embeddings, [p.id for p in passages], IndexConfig(recall_check_queries=0)).save(out)


def _save_tiny_reader(backbone: Path, out: Path, task: str) -> None:
    """An untrained reader whose low thresholds make it predict a few spans (and triplets) per window."""
    tokenizer = AutoTokenizer.from_pretrained(str(backbone))
    config = RelikReaderConfig(
        task=task, max_candidates=8, max_relation_candidates=3, max_input_tokens=256, start_threshold=0.3,
        end_threshold=0.3, relation_threshold=0.3, max_predicted_spans=4,
    )
    vocab_size = add_reader_tokens(tokenizer, config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = RelikReaderModel.from_backbone(str(backbone), config, vocab_size=vocab_size)
    save_reader(model.eval(), tokenizer, out)
