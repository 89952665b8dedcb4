"""Inference: the `Relik` façade over a self-contained model directory, and its output schema."""
from __future__ import annotations

from relik_ml.inference.model_dir import assemble_model_dir
from relik_ml.inference.output import to_json
from relik_ml.inference.relik import Relik
from relik_ml.inference.settings import RelikSettings

__all__ = ["Relik", "RelikSettings", "assemble_model_dir", "to_json"]
