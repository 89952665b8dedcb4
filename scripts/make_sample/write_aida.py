"""AIDA-CoNLL-YAGO layout: CoNLL-2003 token files (DOCSTART after each document) + annotation TSV."""
from __future__ import annotations

import random
from pathlib import Path

from scripts.make_sample.documents import Document, DocumentGenerator
from scripts.make_sample.model import KnowledgeBase
from scripts.make_sample.tagging import chunk_tags, penn_tag
from scripts.make_sample.text import Mention

SPLITS = (("train", 120, ""), ("testa", 30, "testa"), ("testb", 30, "testb"))
DOCSTART = "-DOCSTART- -X- O O"
NME = "--NME--"


def generate_splits(kb: KnowledgeBase, rng: random.Random) -> dict[str, list[Document]]:
    """Train/testb may use any entity; testa (also released as ELEVANT with QIDs) only QID entities."""
    generator = DocumentGenerator(kb, rng)
    splits: dict[str, list[Document]] = {}
    for name, count, _ in SPLITS:
        pool = generator.focus_pool(qid_only=name == "testa")
        dates = [f"2024-{1 + i % 12:02d}-{1 + (i * 7) % 28:02d}" for i in range(count)]
        splits[name] = [generator.generate(pool[i % len(pool)], dates[i], name == "testa") for i in range(count)]
    return splits


def yago_name(title: str) -> str:
    """YAGO2 encoding: spaces become `_`, every other non-alphanumeric character `\\uXXXX`."""
    return "".join("_" if c == " " else c if c.isascii() and c.isalnum() else f"\\u{ord(c):04x}" for c in title)


def _ner_tags(length: int, mentions: list[Mention]) -> list[str]:
    """IOB1: `I-TYPE` inside mentions, `B-TYPE` only where a mention directly follows one of the same type."""
    tags = ["O"] * length
    previous_end, previous_type = -1, ""
    for mention in mentions:
        for index in range(mention.start, mention.end):
            tags[index] = f"I-{mention.ner}"
        if mention.start == previous_end and mention.ner == previous_type:
            tags[mention.start] = f"B-{mention.ner}"
        previous_end, previous_type = mention.end, mention.ner
    return tags


def conll_lines(document: Document) -> list[str]:
    """Token lines with a blank line after each sentence."""
    lines: list[str] = []
    for sentence in document.sentences:
        inside = {i for m in sentence.mentions for i in range(m.start, m.end)}
        pos = [penn_tag(token, i in inside) for i, token in enumerate(sentence.tokens)]
        chunks = chunk_tags(pos)
        ner = _ner_tags(len(sentence.tokens), sentence.mentions)
        lines += [" ".join(cols) for cols in zip(sentence.tokens, pos, chunks, ner)]
        lines.append("")
    return lines


def annotation_lines(kb: KnowledgeBase, document: Document, doc_id: str) -> list[str]:
    """`-DOCSTART- (id)` then one line per mention: token index, YAGO name, URL, page id (or --NME--)."""
    lines = [f"-DOCSTART- ({doc_id})"]
    offset = 0
    for sentence in document.sentences:
        for mention in sentence.mentions:
            index = offset + mention.start
            if mention.title is None:
                lines.append(f"{index}\t{NME}")
            else:
                url = "http://en.wikipedia.org/wiki/" + mention.title.replace(" ", "_")
                lines.append(f"{index}\t{yago_name(mention.title)}\t{url}\t{kb.page_id[mention.title]}")
        offset += len(sentence.tokens)
    return lines + [""]


def write_aida(kb: KnowledgeBase, splits: dict[str, list[Document]], out: Path) -> dict[str, int]:
    folder = out / "aida"
    folder.mkdir(parents=True)
    tsv: list[str] = []
    counts: dict[str, int] = {}
    number = 0
    for name, _, suffix in SPLITS:
        body: list[str] = []
        for document in splits[name]:
            number += 1
            body += conll_lines(document) + [DOCSTART, ""]
            tsv += annotation_lines(kb, document, f"{number}{suffix} {document.tokens[0]}")
        (folder / f"eng.{name}").write_text("\n".join(body[:-1]) + "\n", encoding="utf-8")
        mentions = [m for d in splits[name] for s in d.sentences for m in s.mentions]
        counts[f"{name}_docs"] = len(splits[name])
        counts[f"{name}_mentions"] = len(mentions)
        counts[f"{name}_nme"] = sum(1 for m in mentions if m.title is None)
    (folder / "annotations.tsv").write_text("\n".join(tsv) + "\n", encoding="utf-8")
    return counts
