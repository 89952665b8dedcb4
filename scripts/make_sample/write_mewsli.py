"""Mewsli-9 layout for Spanish: `es/mentions.tsv` plus one plain-text file per document under `es/text/`."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from scripts.make_sample.es_data import ES_NEWS
from scripts.make_sample.model import KnowledgeBase, parse_markup
from scripts.make_sample.write_damuel import label

HEADER = "docid\tposition\tlength\tmention\turl\tlang\tqid\tqid_in_refs\tfreq_bin"


def document_text(title: str, date: str, body: str) -> str:
    """Title, date and body separated by blank lines, without a trailing newline (as in Mewsli-9)."""
    return f"{title}\n\n{date}\n\n{body}"


def write_mewsli(kb: KnowledgeBase, out: Path) -> dict[str, int]:
    folder = out / "mewsli" / "es"
    (folder / "text").mkdir(parents=True)
    inbound = {e.title: 0 for e in kb.entities}
    for entity in kb.entities:
        for *_, target in parse_markup(entity.markup)[1]:
            inbound[target] += 1
    rows = [HEADER]
    for docid, title, date, markup in ES_NEWS:
        body, links = parse_markup(markup)
        text = document_text(title, date, body)
        offset = len(text) - len(body)
        (folder / "text" / docid).write_text(text, encoding="utf-8")
        for start, end, target in links:
            entity = kb[target]
            if not entity.qid:
                continue
            url = "http://es.wikipedia.org/wiki/" + quote(label(entity, "es").replace(" ", "_"))
            freq_bin = min(5, inbound[target] // 3)
            rows.append(f"{docid}\t{offset + start}\t{end - start}\t{body[start:end]}\t{url}\tes\t{entity.qid}\tTrue\t{freq_bin}")
    (folder / "mentions.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return {"docs": len(ES_NEWS), "mentions": len(rows) - 1}
