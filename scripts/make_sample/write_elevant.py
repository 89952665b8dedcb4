"""ELEVANT benchmark JSONL (tokens joined by spaces, char spans, Wikidata QIDs) for the testa documents."""
from __future__ import annotations

import re
from pathlib import Path

from relik_ml.io import write_jsonl
from scripts.make_sample.documents import Document
from scripts.make_sample.model import KnowledgeBase
from scripts.make_sample.text import char_offsets

TYPE_QID = {"PER": "Q5", "ORG": "Q43229", "LOC": "Q27096213"}


def display_name(title: str) -> str:
    """Wikidata-style label: the title without a trailing disambiguator."""
    return re.sub(r" \([^)]*\)$", "", title)


def elevant_record(kb: KnowledgeBase, document: Document, doc_id: int) -> dict:
    tokens = document.tokens
    spans = char_offsets(tokens)
    labels = []
    offset = 0
    for sentence in document.sentences:
        for mention in sentence.mentions:
            start, end = spans[offset + mention.start][0], spans[offset + mention.end - 1][1]
            known = mention.title is not None
            labels.append({
                "id": len(labels),
                "span": [start, end],
                "entity_id": kb[mention.title].qid if known else "<NIL>",
                "name": display_name(mention.title) if known else "Unknown",
                "type": TYPE_QID.get(mention.ner, "OTHER") if known else "OTHER",
            })
        offset += len(sentence.tokens)
    text = " ".join(tokens)
    return {"id": doc_id, "title": "", "text": text, "evaluation_span": [0, len(text)], "labels": labels}


def write_elevant(kb: KnowledgeBase, documents: list[Document], first_id: int, out: Path) -> dict[str, int]:
    folder = out / "elevant"
    folder.mkdir(parents=True)
    records = [elevant_record(kb, d, first_id + i) for i, d in enumerate(documents)]
    write_jsonl(folder / "sample-dev.benchmark.jsonl", records)
    return {"docs": len(records), "labels": sum(len(r["labels"]) for r in records)}
