"""`data/sample/README.md`: what each file is, its format, counts and licence."""
from __future__ import annotations

from pathlib import Path

TEXT = """# Bundled sample data (CC0)

Small, self-contained data in the real external formats, so that the pipeline runs and its tests pass on a
fresh machine without `../shared/data`. Everything here was written for this project: entity descriptions,
definitions, translations and sentences are our own wording, generated deterministically by
`python -m scripts.make_sample` (fixed seed) from hand-written facts in `scripts/make_sample/kb_*.py`.
No file was copied from any dataset. Licence: **CC0 1.0** (public domain dedication). Wikidata QIDs, property
ids, labels and datatypes are Wikidata facts (CC0); a QID is given only where we are sure of it, otherwise the
entity is left out of the QID-based files.

Facts are real-world but simplified; `wikipedia_id` values are sample-local ids (not real page ids), shared
by the KILT pages and the AIDA annotation file. Tags (POS, chunk, UD) come from simple rules and are approximate.

| file | format | counts |
|---|---|---|
{rows}

Notes on layout (same as the real files, so the same readers work on both):
- `aida/eng.*`: CoNLL-2003 4 columns `token POS chunk NER` (IOB1); a blank line ends each sentence and the
  `-DOCSTART- -X- O O` line comes AFTER each document (the first document has none before it; each file ends
  with one). `aida/annotations.tsv`: `-DOCSTART- (<n>[testa|testb] <first token>)`, then per mention
  `token_index<TAB>YAGO_name<TAB>url<TAB>wikipedia_id` or `token_index<TAB>--NME--`; token_index counts tokens
  from the start of the document. Documents are in file order train, testa, testb.
- `elevant/sample-dev.benchmark.jsonl`: the testa documents (tokens joined by spaces), char spans, QIDs,
  `<NIL>` for NME; testa uses only entities that have a QID.
- `damuel/<lang>/part-00000.xz`: xz JSON lines; `wiki.links[].start/end` are token indices into `wiki.tokens`
  (end exclusive), `sentences`/`paragraphs` are token ranges, token `start/end` are char offsets into `wiki.text`.
- `kilt/knowledge_source.jsonl`: `text[0]` is the title line, anchors give char offsets within `text[paragraph_id]`.
- Ambiguous names on purpose: Paris (city / Texas / Tennessee / Paris Hilton / Paris Saint-Germain / mythology),
  Jordan (country / river / Michael Jordan), Washington (D.C. / state / George / Denzel), Apple (Inc. / Records /
  fruit), Java (island / language), Georgia (country / U.S. state), Mercury, Birmingham, Cambridge, Lincoln, ...
"""

# file -> (format, counts group, count keys shown for that file)
FORMATS = {
    "kilt/knowledge_source.jsonl": ("KILT knowledge source", "kilt", ("pages", "anchors")),
    "wikidata/properties.json": ("Wikidata properties (`total`, `properties`)", "relations", ("properties", "external_id")),
    "conll04/relations.json": ("relation name -> definition", "relations", ("conll04",)),
    "nyt/relations.json": ("NYT relation -> definition", "relations", ("nyt",)),
    "damuel/en/part-00000.xz": ("DaMuEL 1.0 (xz JSON lines)", "damuel", ("en_entities", "en_pages", "en_links")),
    "damuel/es/part-00000.xz": ("DaMuEL 1.0 (xz JSON lines)", "damuel", ("es_entities", "es_pages", "es_links")),
    "aida/eng.train": ("CoNLL-2003 (AIDA text)", "aida", ("train_docs", "train_mentions", "train_nme")),
    "aida/eng.testa": ("CoNLL-2003 (AIDA text)", "aida", ("testa_docs", "testa_mentions", "testa_nme")),
    "aida/eng.testb": ("CoNLL-2003 (AIDA text)", "aida", ("testb_docs", "testb_mentions", "testb_nme")),
    "aida/annotations.tsv": ("AIDA-YAGO2 annotation TSV (all three splits)", "aida", ()),
    "elevant/sample-dev.benchmark.jsonl": ("ELEVANT benchmark JSONL (testa)", "elevant", ("docs", "labels")),
    "conll04/train.json": ("CoNLL04 unified JSON", "re", ("conll04_train",)),
    "conll04/dev.json": ("CoNLL04 unified JSON", "re", ("conll04_dev",)),
    "nyt/train.json": ("NYT CasRel JSON", "re", ("nyt_train",)),
    "nyt/dev.json": ("NYT CasRel JSON", "re", ("nyt_dev", "nyt_triples")),
    "rebel/sample.jsonl": ("REBEL JSONL", "rebel", ("docs", "entities", "triples")),
    "mewsli/es/mentions.tsv": ("Mewsli-9 mentions + `text/<docid>`", "mewsli", ("docs", "mentions")),
}


def write_readme(out: Path, counts: dict[str, dict[str, int]]) -> None:
    rows = []
    for path, (fmt, group, keys) in FORMATS.items():
        detail = ", ".join(f"{key} {counts[group][key]}" for key in keys)
        rows.append(f"| `{path}` | {fmt} | {detail} |")
    (out / "README.md").write_text(TEXT.format(rows="\n".join(rows)), encoding="utf-8")
