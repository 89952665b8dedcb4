"""int8 reading on CPUs: dynamic quantization of the reader encoder's linear layers.

Weights are stored as int8 with one scale per output channel, activations are quantized per
batch, and the matrix products run as int8 GEMMs (fbgemm / oneDNN, VNNI where the CPU has it). The
last encoder layer, whose output the span and entity heads read directly, stays in float32, as do
the heads and the retriever (query embeddings keep matching the float32 passage index). On AIDA
testa this costs 2.5 InKB F1 points (per-tensor scales over every layer: 6.7; README). torch marks
this API as deprecated (moving to torchao); it is present and tested in the pinned torch 2.13.
"""
from __future__ import annotations

import warnings

import torch

from relik_ml.errors import InputError
from relik_ml.reader.modeling import RelikReaderModel


def quantize_reader_encoder(model: RelikReaderModel) -> RelikReaderModel:
    """Replace the encoder's `nn.Linear` layers but the last layer's by int8 ones, in place (CPU only)."""
    if model.device.type != "cpu":
        raise InputError(f"int8 reading runs on the CPU, the reader is on {model.device}", field="precision")
    kept = f"layer.{model.encoder.config.num_hidden_layers - 1}."
    layers = {
        name: torch.ao.quantization.per_channel_dynamic_qconfig
        for name, module in model.encoder.named_modules()
        if isinstance(module, torch.nn.Linear) and kept not in name
    }
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)  # the deprecation notices named above
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        model.encoder = torch.ao.quantization.quantize_dynamic(model.encoder.eval(), layers, dtype=torch.qint8)
    return model.eval()
