"""int8 reading on CPUs: dynamic quantization of the reader encoder's linear layers.

Weights are stored as int8 (per-tensor scale), activations are quantized per batch, and the
matrix products run as int8 GEMMs (fbgemm / oneDNN, VNNI where the CPU has it). Only the encoder is
quantized: the span, entity and relation heads stay in float32, and so does the retriever, so
query embeddings keep matching the float32 passage index. torch marks this API as deprecated
(moving to torchao); it is present and tested in the pinned torch 2.13.
"""
from __future__ import annotations

import warnings

import torch

from relik_ml.errors import InputError
from relik_ml.reader.modeling import RelikReaderModel


def quantize_reader_encoder(model: RelikReaderModel) -> RelikReaderModel:
    """Replace the encoder's `nn.Linear` layers by dynamically quantized int8 ones, in place (CPU only)."""
    if model.device.type != "cpu":
        raise InputError(f"int8 reading runs on the CPU, the reader is on {model.device}", field="precision")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)  # the deprecation notices named above
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        model.encoder = torch.ao.quantization.quantize_dynamic(model.encoder.eval(), {torch.nn.Linear}, dtype=torch.qint8)
    return model.eval()
