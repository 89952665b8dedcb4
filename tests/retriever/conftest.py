"""Tiny retrievers (random 2-layer BERT, MiniLM tokenizer) and a toy KB with windows."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch

from relik_ml.backbones import load_encoder, tiny_backbone
from relik_ml.retriever.config import RetrieverConfig
from relik_ml.retriever.encoder import Retriever
from relik_ml.types import Passage, Span, Window

WORDS = (
    "apple river castle dragon forest guitar harbor island jungle kettle lemon mountain "
    "needle orange piano quartz rabbit saddle tiger umbrella violin walnut yacht zebra "
    "anchor bridge candle desert engine falcon"
).split()
CATEGORIES = ("fruit", "place", "animal", "tool", "instrument")


@pytest.fixture(scope="session")
def tiny_backbone_dir(tmp_path_factory) -> Path:
    """A random 2-layer, 32-wide BERT with MiniLM's tokenizer, usable as `RetrieverConfig.backbone`."""
    return tiny_backbone(tmp_path_factory.mktemp("backbones") / "tiny")


@pytest.fixture(scope="session")
def tokenizer(tiny_backbone_dir):
    return load_encoder(tiny_backbone_dir)[0]


@pytest.fixture()
def retriever(tiny_backbone_dir) -> Retriever:
    """A fresh tiny retriever (same weights every time)."""
    torch.set_num_threads(1)
    return Retriever.from_backbone(RetrieverConfig(backbone=str(tiny_backbone_dir)))


@pytest.fixture(scope="session")
def toy_kb() -> list[Passage]:
    """30 passages whose titles are distinct common words."""
    return [Passage(id=f"Q{i}", title=w, text=f"the {w} is a {CATEGORIES[i % 5]}.") for i, w in enumerate(WORDS)]


def mention_window(window_id: str, template: str, entities: list[tuple[str, str]]) -> Window:
    """A window built from a template with `{}` slots filled by titles, spans labelled with ids."""
    text, spans = "", []
    pieces = template.split("{}")
    for piece, (pid, title) in zip(pieces, entities):
        text += piece
        spans.append(Span(len(text), len(text) + len(title), pid, title))
        text += title
    text += pieces[-1]
    return Window(id=window_id, doc_id=window_id.split("#")[0], text=text, start=0, end=len(text),
                  topic=text.split()[0], spans=tuple(spans))


def toy_windows(kb: list[Passage], templates: list[str], count: int, seed: int, prefix: str) -> list[Window]:
    """`count` windows, each mentioning one or two random KB titles."""
    rng = random.Random(seed)
    windows = []
    for i in range(count):
        template = rng.choice(templates)
        chosen = rng.sample(kb, template.count("{}"))
        windows.append(mention_window(f"{prefix}{i}#0", template, [(p.id, p.title) for p in chosen]))
    return windows


@pytest.fixture(scope="session")
def toy_train_windows(toy_kb) -> list[Window]:
    templates = ["yesterday we saw the {} near the {} .", "my friend bought a {} .", "look at that {} over there ."]
    return toy_windows(toy_kb, templates, 120, seed=1, prefix="train")


@pytest.fixture(scope="session")
def toy_dev_windows(toy_kb) -> list[Window]:
    templates = ["she talked about the {} all day .", "a {} and a {} were in the photo ."]
    return toy_windows(toy_kb, templates, 40, seed=2, prefix="dev")
