"""The precompiled charsmap drives `tokenizers`' own Precompiled normalizer correctly."""
from __future__ import annotations

from tokenizers.normalizers import Precompiled

from relik_ml.backbones.charsmap import build_charsmap

MAPPING = {
    0x07: (),  # a control character is dropped
    0x09: (0x20,),  # tab -> space
    0xFB01: (ord("f"), ord("i")),  # ligature -> two letters
    0xFF21: (ord("A"),),  # full-width A (3 UTF-8 bytes)
    0xFF22: (ord("B"),),  # shares two key bytes with 0xFF21
    0x1D518: (ord("U"),),  # mathematical fraktur U (4 UTF-8 bytes)
    0x00BD: (ord("1"), 0x2044, ord("2")),  # one half -> 1⁄2
}


def test_every_mapped_codepoint_is_replaced():
    normalizer = Precompiled(build_charsmap(MAPPING))
    for codepoint, output in MAPPING.items():
        assert normalizer.normalize_str(chr(codepoint)) == "".join(map(chr, output)), hex(codepoint)


def test_unmapped_text_passes_through():
    normalizer = Precompiled(build_charsmap(MAPPING))
    assert normalizer.normalize_str("\x07ＡＢ\tabc ﬁ ½ 𝔘 Ｃ") == "AB abc fi 1⁄2 U Ｃ"


def test_many_keys_share_prefixes():
    mapping = {codepoint: (ord("x"),) for codepoint in range(0x3000, 0x3400, 3)}
    normalizer = Precompiled(build_charsmap(mapping))
    text = "".join(chr(c) for c in range(0x3000, 0x3400))
    expected = "".join("x" if c in mapping else chr(c) for c in range(0x3000, 0x3400))
    assert normalizer.normalize_str(text) == expected


def test_empty_mapping_is_identity():
    assert Precompiled(build_charsmap({})).normalize_str("héllo ＡＢ") == "héllo ＡＢ"
