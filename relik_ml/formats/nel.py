"""NEL (NIL prediction set): `kb.jsonl` `{title, abstract, type}` and mentions
`{left_context, mention, right_context, answer}` where `answer` is a KB title or "NIL"."""
from __future__ import annotations

from pathlib import Path

from relik_ml.formats._common import Where, claim_id, get, get_name, iter_records
from relik_ml.types import NME, Document, Passage, Span

_SENTENCE_JOIN = "::;"  # the abstracts join sentences with " .::;"


def read_nel_kb(path: str | Path) -> list[Passage]:
    """One Passage per entity: id and title = the Wikipedia title, text = the abstract."""
    path = Path(path)
    passages, seen = [], {}
    for number, obj in iter_records(path):
        where = Where(path, number)
        title = get_name(obj, "title", where)
        claim_id(seen, title, where.at("title"))
        abstract = get(obj, "abstract", str, where).replace(_SENTENCE_JOIN, " ")
        passages.append(Passage(title, title, " ".join(abstract.split())))
    return passages


def read_nel(path: str | Path) -> list[Document]:
    """One Document per mention (`<file stem>-<line>`): left + mention + right, one span."""
    path = Path(path)
    docs = []
    for number, obj in iter_records(path):
        where = Where(path, number)
        left, right = get(obj, "left_context", str, where), get(obj, "right_context", str, where)
        mention = get(obj, "mention", str, where)
        if not mention.strip():
            raise where.at("mention").error("empty mention")
        answer = get_name(obj, "answer", where)
        label, title = (NME, "") if answer == "NIL" else (answer, answer)
        span = Span(len(left), len(left) + len(mention), label, title)
        docs.append(Document(f"{path.stem}-{number}", f"{left}{mention}{right}", (span,)))
    return docs
