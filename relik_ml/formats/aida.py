"""AIDA-CoNLL-YAGO: the annotation TSV aligned, document by document, with the CoNLL-2003 token files.

Document text is the tokens joined by single spaces (across sentences too). A mention starts at the
annotated token and extends over the following `I-<type>` tokens of its NE chunk (IOB1), also across
a sentence break, as in ELEVANT's copy of testa (some CoNLL sentence splits cut names, "Willie |
Wood"); it stops at the next annotated token. Labels are Wikipedia titles with spaces (from the URL
column) or `NME`. The `-DOCSTART-` lines may come before or after each document.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from relik_ml.formats._common import Where, check_name, check_unicode, iter_lines, parse_natural, title_from_url
from relik_ml.types import NME, Document, Span

_DOCSTART = "-DOCSTART-"
_SPLIT = re.compile(r"^\d+(testa|testb)\b")
_YAGO_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


@dataclass(frozen=True)
class _Token:
    text: str
    tag: str
    where: Where


@dataclass(frozen=True)
class _Mention:
    index: int
    label: str
    where: Where


@dataclass(frozen=True)
class _Annotated:
    doc_id: str
    mentions: tuple[_Mention, ...]
    where: Where


def read_aida(annotations_tsv: str | Path, *conll_files: str | Path) -> list[Document]:
    """Documents of the CoNLL files (in order) carrying the mentions of the annotation TSV."""
    annotated = _read_annotations(Path(annotations_tsv))
    token_docs = [doc for path in conll_files for doc in _read_conll(Path(path))]
    docs = [_build(ann, tokens) for ann, tokens in zip(annotated, token_docs)]
    if len(annotated) != len(token_docs):
        extra = annotated[len(docs)].where if len(annotated) > len(docs) else token_docs[len(docs)][0].where
        raise extra.error(f"{len(annotated)} annotated documents but {len(token_docs)} CoNLL documents")
    return docs


def _read_annotations(path: Path) -> list[_Annotated]:
    docs: list[_Annotated] = []
    doc_id, start, mentions = None, None, []
    for number, line in iter_lines(path):
        where = Where(path, number)
        if line.startswith(_DOCSTART):
            if doc_id is not None:
                docs.append(_Annotated(doc_id, tuple(mentions), start))
            doc_id, start, mentions = _doc_id(line, where), where, []
        elif line.strip():
            if doc_id is None:
                raise where.error("mention line before the first -DOCSTART- line")
            mentions.append(_mention(line, where))
    if doc_id is not None:
        docs.append(_Annotated(doc_id, tuple(mentions), start))
    return docs


def _doc_id(line: str, where: Where) -> str:
    match = re.fullmatch(r"-DOCSTART- \((.+)\)", line.strip())
    if not match:
        raise where.at("docid").error(f"expected '-DOCSTART- (<docid>)', got {line!r:.100}")
    return check_name(match.group(1), where.at("docid"))


def _mention(line: str, where: Where) -> _Mention:
    fields = line.split("\t")
    if len(fields) < 2:
        raise where.at("token_index").error(f"expected '<token index>\\t<entity>...', got {line!r:.100}")
    index = parse_natural(fields[0], where.at("token_index"))
    if fields[1] == NME:
        return _Mention(index, NME, where)
    if len(fields) >= 3 and "/wiki/" in fields[2]:
        title = title_from_url(fields[2], "/wiki/")
    else:
        title = _YAGO_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), fields[1]).replace("_", " ")
    return _Mention(index, check_unicode(check_name(title, where.at("entity")), where.at("entity")), where)


def _read_conll(path: Path) -> list[list[_Token]]:
    docs: list[list[_Token]] = [[]]
    for number, line in iter_lines(path):
        if line.startswith(_DOCSTART):
            docs.append([])
        elif line.strip():
            docs[-1].append(_token(line, Where(path, number)))
    return [doc for doc in docs if doc]


def _token(line: str, where: Where) -> _Token:
    columns = line.split(" ")
    if len(columns) != 4:
        raise where.error(f"expected 4 space-separated columns (token POS chunk NER), got {len(columns)}")
    if not columns[0].strip():
        raise where.at("token").error("empty token")
    return _Token(columns[0], columns[3], where)


def _build(annotated: _Annotated, tokens: list[_Token]) -> Document:
    first_word = annotated.doc_id.split(" ", 1)[-1]
    if tokens[0].text != first_word:
        raise annotated.where.at("docid").error(
            f"document {annotated.doc_id!r} is aligned with CoNLL text starting {tokens[0].text!r} "
            f"({tokens[0].where.path}:{tokens[0].where.line})"
        )
    starts, pos = [], 0
    for token in tokens:
        starts.append(pos)
        pos += len(token.text) + 1
    text = " ".join(token.text for token in tokens)
    spans = tuple(_span(m, tokens, starts, {x.index for x in annotated.mentions}) for m in annotated.mentions)
    match = _SPLIT.match(annotated.doc_id)
    return Document(annotated.doc_id, text, spans, split=match.group(1) if match else "train")


def _span(mention: _Mention, tokens: list[_Token], starts: list[int], mention_starts: set[int]) -> Span:
    index = mention.index
    if index >= len(tokens):
        raise mention.where.at("token_index").error(f"token {index} out of range (document has {len(tokens)})")
    head = tokens[index]
    if head.tag == "O":
        raise mention.where.at("token_index").error(
            f"token {index} {head.text!r} ({head.where.path}:{head.where.line}) is not part of a named entity"
        )
    chunk = f"I-{head.tag[2:]}"
    last = index
    while last + 1 < len(tokens) and last + 1 not in mention_starts and tokens[last + 1].tag == chunk:
        last += 1
    end = starts[last] + len(tokens[last].text)
    title = "" if mention.label == NME else mention.label
    return Span(starts[index], end, mention.label, title, head.tag[2:])
