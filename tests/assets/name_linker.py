"""A MiniLM EL reader trained in a minute to link a mention to the candidate whose title it names.

Training windows mention made-up names (random syllables), so the reader cannot memorise entities:
it has to learn to detect the name and pick its candidate among distractors. That is the behaviour
a promoted model needs for entities it has never seen, such as the ones a KB refresh adds.
"""
from __future__ import annotations

import random
from pathlib import Path

from relik_ml.backbones import resolve_backbone
from relik_ml.reader.configuration import RelikReaderConfig
from relik_ml.reader.data import ReaderExample, build_examples
from relik_ml.reader.train import ReaderTrainConfig, ReaderTrainSummary, train_reader
from relik_ml.types import Passage, Span, Window

SYLLABLES = ["ka", "lo", "mi", "zen", "dra", "vel", "tor", "qui", "bas", "rin", "mo", "sha", "pel", "gur", "fin",
             "ox", "ta", "ne"]
TEMPLATES = ["Yesterday {} opened a new office .", "The report about {} came out on Monday .",
             "Fans of {} met {} in the city .", "{} signed a deal with {} last year .",
             "Officials said {} would visit soon .", "People watched {} on television ."]
CANDIDATES = 6  # gold names plus distractors per window


def made_up_name(rng: random.Random) -> str:
    words = ("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))) for _ in range(rng.randint(1, 3)))
    return " ".join(word.capitalize() for word in words)


def _examples(count: int, seed: int, prefix: str, *, training: bool) -> list[ReaderExample]:
    rng = random.Random(seed)
    windows, candidates, kb = [], {}, {}
    for number in range(count):
        template = rng.choice(TEMPLATES)
        pieces, text, spans = template.split("{}"), "", []
        for piece, name in zip(pieces, [made_up_name(rng) for _ in range(len(pieces) - 1)]):
            text += piece
            spans.append(Span(len(text), len(text) + len(name), name, name))
            text += name
            kb[name] = Passage(name, name, "")
        text += pieces[-1]
        distractors = [Passage(name, name, "") for name in (made_up_name(rng) for _ in range(CANDIDATES))]
        kb.update((p.id, p) for p in distractors)
        ranked = [kb[s.label] for s in spans] + distractors
        rng.shuffle(ranked)
        window_id = f"{prefix}{number}#0"
        windows.append(Window(window_id, window_id[:-2], text, 0, len(text), text.split()[0], tuple(spans)))
        candidates[window_id] = distractors if training else ranked[:CANDIDATES]  # training inserts the gold
    return build_examples(windows, candidates, passages=kb, k=CANDIDATES, training=training)


def train_name_linker(out: Path, *, steps: int = 80) -> ReaderTrainSummary:
    """Train and save the reader to `out`; the summary carries its dev scores on unseen names."""
    config = RelikReaderConfig(task="el", max_candidates=CANDIDATES, candidate_text="title",
                               span_head_hidden_size=384, span_positive_weight=3.0)
    train = ReaderTrainConfig(backbone_path=str(resolve_backbone("minilm-l6")), learning_rate=1e-4,
                              head_learning_rate=1e-3, max_steps=steps, warmup_steps=5, token_batch_size=1024,
                              val_check_interval=steps, accelerator="cpu")
    return train_reader(_examples(300, 1, "train", training=True), _examples(40, 2, "dev", training=False),
                        config, train, out)
