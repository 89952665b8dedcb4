"""The annotation output schema (`relik-ml annotate`, `Prediction` as JSON): one JSON object per text."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from relik_ml.types import Prediction, Span


def to_json(prediction: Prediction, relation_titles: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`{"id", "text", "spans": [...], "triplets": [...]}` with character offsets into `text`.

    With `relation_titles` (relation id -> label), each triplet also carries `relation_title`.
    """
    out = {
        "id": prediction.id,
        "text": prediction.text,
        "spans": [_span(span, score, prediction.text) for span, score in prediction.spans],
        "triplets": [
            {
                "subject": _bounds(triplet.subject),
                "relation": triplet.relation,
                "object": _bounds(triplet.object),
                "score": float(score),
            }
            for triplet, score in prediction.triplets
        ],
    }
    if relation_titles is not None:
        for triplet in out["triplets"]:
            triplet["relation_title"] = relation_titles.get(triplet["relation"], "")
    return out


def _span(span: Span, score: float, text: str) -> dict[str, Any]:
    return {
        "start": span.start,
        "end": span.end,
        "text": text[span.start : span.end],
        "label": span.label,
        "title": span.title,
        "score": float(score),
    }


def _bounds(span: Span) -> dict[str, int]:
    return {"start": span.start, "end": span.end}
