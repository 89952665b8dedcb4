"""Smoke queries: a model artifact loads and answers one small, fixed input with finite numbers.

Used by the model-sanity checks of the lineage. The kind of artifact is read from its files: a
retriever directory (`config.json` of model_type "relik-retriever"), a reader directory (manifest
artifact "reader") or a self-contained model directory (`relik.json`, `Relik.from_pretrained`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from relik_ml.errors import InputError
from relik_ml.types import Passage, Prediction, Window

SMOKE_TEXT = "Paris is the capital of France ."
SMOKE_ENTITIES = (Passage("smoke:Paris", "Paris", "capital city of France"),
                  Passage("smoke:France", "France", "country in Western Europe"))
SMOKE_RELATIONS = (Passage("smoke:capital", "capital", "seat of government of a country"),)


def smoke_window() -> Window:
    return Window("smoke#0", "smoke", SMOKE_TEXT, 0, len(SMOKE_TEXT), SMOKE_TEXT.split()[0])


def smoke_query(directory: str | Path) -> dict[str, Any]:
    """Run the smoke input through the artifact in `directory`; what it answered, with `finite`.

    Raises InputError when the directory is none of the known model artifacts; errors of loading
    or running the model propagate.
    """
    from relik_ml.inference.model_dir import SETTINGS_FILE
    from relik_ml.io import read_manifest
    from relik_ml.retriever.encoder import is_retriever_dir

    directory = Path(directory)
    if is_retriever_dir(directory):
        return _retriever(directory)
    if (directory / SETTINGS_FILE).exists():
        return _model(directory)
    if (directory / "manifest.json").exists() and read_manifest(directory).get("artifact") == "reader":
        return _reader(directory)
    raise InputError("not a retriever, reader or model directory", path=directory)


def _retriever(directory: Path) -> dict[str, Any]:
    from relik_ml.retriever.encoder import Retriever

    retriever = Retriever.from_pretrained(directory)
    query = retriever.encode_windows([smoke_window()])
    passages = retriever.encode_passages(list(SMOKE_ENTITIES))
    scores = query @ passages.T
    return {"kind": "retriever", "dim": int(query.shape[1]), "finite": bool(np.isfinite(scores).all()),
            "top": SMOKE_ENTITIES[int(scores[0].argmax())].title}


def _reader(directory: Path) -> dict[str, Any]:
    from relik_ml.inference.reading import read_windows
    from relik_ml.reader.artifact import load_reader
    from relik_ml.reader.data import ReaderExample

    model, tokenizer = load_reader(directory)
    relations = SMOKE_RELATIONS if model.config.task != "el" else ()
    entities = SMOKE_ENTITIES if model.config.task != "re" else ()
    [prediction] = read_windows(model, tokenizer, [ReaderExample(smoke_window(), entities, relations)], max_tokens=512)
    return {"kind": "reader", "task": model.config.task, "spans": len(prediction.spans),
            "triplets": len(prediction.triplets), "finite": _finite(prediction)}


def _model(directory: Path) -> dict[str, Any]:
    from relik_ml.inference import Relik

    prediction = Relik.from_pretrained(directory)(SMOKE_TEXT)
    return {"kind": "model", "spans": len(prediction.spans), "triplets": len(prediction.triplets),
            "finite": _finite(prediction)}


def _finite(prediction: Prediction) -> bool:
    scores = [score for _, score in (*prediction.spans, *prediction.triplets)]
    return bool(np.isfinite(scores).all())
