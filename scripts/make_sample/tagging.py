"""Rule-based tags: Penn POS + chunk for the CoNLL files, UD tags for DaMuEL tokens (approximate)."""
from __future__ import annotations

_PENN = {
    **dict.fromkeys(("the", "a", "an", "this", "that", "these", "those", "every", "each", "no", "all"), "DT"),
    **dict.fromkeys(("in", "of", "for", "on", "at", "by", "with", "from", "after", "before", "during", "against",
                     "into", "over", "than", "as", "since", "about", "near", "under", "across", "between", "until"), "IN"),
    **dict.fromkeys(("and", "but", "or"), "CC"),
    **dict.fromkeys(("he", "she", "it", "they", "we", "i", "them", "him"), "PRP"),
    **dict.fromkeys(("his", "her", "its", "their", "our"), "PRP$"),
    **dict.fromkeys(("will", "would", "could", "should", "may", "can", "must"), "MD"),
    **dict.fromkeys(("is", "has", "says", "plays", "lives", "works", "remains", "leads", "runs"), "VBZ"),
    **dict.fromkeys(("are", "have", "say"), "VBP"),
    **dict.fromkeys(("said", "told", "won", "took", "met", "made", "was", "were", "had", "rose", "fell", "shot",
                     "left", "led", "became", "set", "gave", "spent", "grew", "began", "beat", "saw", "held",
                     "paid", "came", "went", "put", "ran", "sold", "bought", "kept", "built", "wrote"), "VBD"),
    **dict.fromkeys(("be", "meet", "visit", "open", "lead", "discuss", "comment", "join", "miss", "sign", "return"), "VB"),
    **dict.fromkeys(("also", "not", "again", "later", "still", "already", "earlier", "never", "now", "soon", "twice",
                     "however", "once", "there"), "RB"),
    **dict.fromkeys(("new", "former", "last", "next", "first", "second", "annual", "local", "late", "young", "top",
                     "senior", "major", "early", "final", "strong", "weak", "quarterly", "private", "public"), "JJ"),
    "to": "TO", "who": "WP", "which": "WDT", "where": "WRB", "when": "WRB",
}
_PUNCT = {",": ",", ".": ".", "-": ":", ":": ":", ";": ":", "(": "(", ")": ")", '"': '"', "'s": "POS"}
_NP_TAGS = frozenset({"DT", "PRP$", "JJ", "NN", "NNS", "NNP", "CD", "PRP", "POS"})


def penn_tag(token: str, in_mention: bool) -> str:
    """Penn Treebank tag from the word list, the mention flag and suffix rules."""
    lower = token.lower()
    if token in _PUNCT:
        return _PUNCT[token]
    if in_mention:
        return "NNP"
    if token[0].isdigit():
        return "CD"
    if lower in _PENN:
        return _PENN[lower]
    if token[0].isupper():
        return "NNP"
    if lower.endswith("ing"):
        return "VBG"
    if lower.endswith("ed"):
        return "VBD"
    if lower.endswith("ly"):
        return "RB"
    return "NNS" if lower.endswith("s") and not lower.endswith("ss") else "NN"


def chunk_tags(pos: list[str]) -> list[str]:
    """IOB1 chunk tags: consecutive noun-phrase words share an NP; `B-NP` after a possessive."""
    chunks = []
    for index, tag in enumerate(pos):
        previous = pos[index - 1] if index else ""
        if tag in _NP_TAGS:
            chunks.append("B-NP" if previous == "POS" and tag != "POS" else "I-NP")
        elif tag.startswith("VB") or tag in ("MD", "TO"):
            chunks.append("I-VP")
        elif tag == "IN":
            chunks.append("I-PP")
        elif tag == "RB":
            chunks.append("I-ADVP")
        else:
            chunks.append("O")
    return chunks


_UD_EN = {
    **dict.fromkeys(("the", "a", "an", "this", "that"), "DET"),
    **dict.fromkeys(("in", "of", "for", "on", "at", "by", "with", "from", "after", "near", "between", "as", "to", "into"), "ADP"),
    **dict.fromkeys(("and", "but", "or"), "CCONJ"),
    **dict.fromkeys(("he", "she", "it", "they", "his", "her", "its", "their", "who", "which"), "PRON"),
    **dict.fromkeys(("is", "was", "are", "were", "be", "has", "had"), "AUX"),
}
_UD_ES = {
    **dict.fromkeys(("el", "la", "los", "las", "un", "una", "unos", "unas", "su", "sus"), "DET"),
    **dict.fromkeys(("en", "de", "del", "por", "con", "para", "desde", "a", "al", "entre", "sobre"), "ADP"),
    **dict.fromkeys(("y", "o", "pero", "e"), "CCONJ"),
    **dict.fromkeys(("que", "quien", "donde"), "PRON"),
    **dict.fromkeys(("es", "fue", "son", "era", "ha", "está"), "AUX"),
}
_PUNCT_FEATS = {",": "PunctType=Comm", ".": "PunctType=Peri", "(": "PunctSide=Ini|PunctType=Brck", ")": "PunctSide=Fin|PunctType=Brck"}


def ud_token(word: str, lang: str, sentence_start: bool, in_name: bool) -> tuple[str, str, str]:
    """`(lemma, upostag, feats)` for one word of English or Spanish text; name words are PROPN."""
    lower = word.lower()
    lexicon = _UD_ES if lang == "es" else _UD_EN
    if in_name and word[0].isupper():
        return word, "PROPN", ""
    if not word[0].isalnum():
        return word, "PUNCT", _PUNCT_FEATS.get(word, "")
    if word[0].isdigit():
        return word, "NUM", "NumType=Card"
    if lower in lexicon:
        return lower, lexicon[lower], ""
    if word[0].isupper() and not sentence_start:
        return word, "PROPN", ""
    return lower, "NOUN", "Number=Sing"
