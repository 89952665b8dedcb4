"""The bundled sample data: reproducible from its generator, exact offsets, labels inside the KB."""
from __future__ import annotations

import json
import lzma
import re
from collections import Counter
from pathlib import Path

import pytest

from scripts.make_sample.kb import knowledge_base
from scripts.make_sample.main import generate
from scripts.make_sample.relations import CONLL04_RELATIONS, NYT_RELATIONS, PROPERTIES

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
NME = "--NME--"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _conll_documents(path: Path) -> list[list[list[str]]]:
    """Token rows per document; `-DOCSTART-` closes a document (it follows it in these files)."""
    documents, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("-DOCSTART-"):
            documents.append(current)
            current = []
        elif line:
            current.append(line.split(" "))
    assert not current, f"{path.name}: tokens after the last -DOCSTART-"
    return documents


def _tsv_documents(path: Path) -> list[tuple[str, list[list[str]]]]:
    documents: list[tuple[str, list[list[str]]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("-DOCSTART- ("):
            documents.append((line[len("-DOCSTART- (") : -1], []))
        elif line:
            documents[-1][1].append(line.split("\t"))
    return documents


@pytest.fixture(scope="module")
def kb_titles() -> set[str]:
    return {entity.title for entity in knowledge_base().entities}


@pytest.fixture(scope="module")
def kb_qids() -> set[str]:
    return {entity.qid for entity in knowledge_base().with_qid()}


def test_regenerated_sample_is_byte_identical(tmp_path: Path) -> None:
    generate(tmp_path)
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(SAMPLE) for p in SAMPLE.rglob("*") if p.is_file())
    assert fresh == committed
    changed = [str(rel) for rel in fresh if (tmp_path / rel).read_bytes() != (SAMPLE / rel).read_bytes()]
    assert changed == [], "run `python -m scripts.make_sample` and commit the result"


def test_sample_stays_small() -> None:
    assert sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file()) < 3_000_000


def test_kilt_anchor_offsets_and_targets() -> None:
    pages = _jsonl(SAMPLE / "kilt" / "knowledge_source.jsonl")
    ids = {page["wikipedia_id"]: page["wikipedia_title"] for page in pages}
    assert len(pages) >= 300 and len(ids) == len(pages)
    for page in pages:
        assert page["text"][0] == page["wikipedia_title"] + "\n"
        for anchor in page["anchors"]:
            paragraph = page["text"][anchor["paragraph_id"]]
            assert paragraph[anchor["start"] : anchor["end"]] == anchor["text"]
            assert ids[anchor["wikipedia_id"]] == anchor["wikipedia_title"]


def test_aida_tokens_align_with_annotations(kb_titles: set[str]) -> None:
    documents = [doc for split in ("train", "testa", "testb") for doc in _conll_documents(SAMPLE / "aida" / f"eng.{split}")]
    annotations = _tsv_documents(SAMPLE / "aida" / "annotations.tsv")
    assert [len(_conll_documents(SAMPLE / "aida" / f"eng.{s}")) for s in ("train", "testa", "testb")] == [120, 30, 30]
    assert len(documents) == len(annotations)
    yago = {re.sub(r"[^A-Za-z0-9_]", lambda m: f"\\u{ord(m.group()):04x}", t.replace(" ", "_")) for t in kb_titles}
    labels = Counter()
    for tokens, (doc_id, rows) in zip(documents, annotations, strict=True):
        assert doc_id.split(" ", 1)[1] == tokens[0][0]
        assert all(len(token) == 4 for token in tokens)
        for row in rows:
            index = int(row[0])
            assert tokens[index][3] != "O", (doc_id, row)
            assert index == 0 or tokens[index - 1][3] == "O" or tokens[index][3].startswith("B-"), (doc_id, row)
            assert row[1] == NME or row[1] in yago, row
            labels[row[1] == NME] += 1
        ner_starts = sum(1 for i, t in enumerate(tokens) if t[3] != "O" and (i == 0 or tokens[i - 1][3] == "O" or t[3].startswith("B-")))
        assert ner_starts == len(rows), doc_id
    assert 0.05 < labels[True] / sum(labels.values()) < 0.2


def test_aida_has_ambiguous_surfaces() -> None:
    documents = _conll_documents(SAMPLE / "aida" / "eng.train")
    annotations = _tsv_documents(SAMPLE / "aida" / "annotations.tsv")[: len(documents)]
    entities_per_surface: dict[str, set[str]] = {}
    for tokens, (_, rows) in zip(documents, annotations, strict=True):
        for row in rows:
            index = int(row[0])
            end = index + 1
            while end < len(tokens) and tokens[end][3] == "I-" + tokens[index][3][2:]:
                end += 1
            surface = " ".join(t[0] for t in tokens[index:end]).lower()
            entities_per_surface.setdefault(surface, set()).add(row[1])
    ambiguous = {s for s, labels in entities_per_surface.items() if len(labels - {NME}) > 1}
    assert {"paris", "washington", "jordan"} <= ambiguous


def test_elevant_spans_and_qids(kb_qids: set[str]) -> None:
    records = _jsonl(SAMPLE / "elevant" / "sample-dev.benchmark.jsonl")
    testa = _conll_documents(SAMPLE / "aida" / "eng.testa")
    assert len(records) == len(testa)
    for record, tokens in zip(records, testa, strict=True):
        assert record["text"] == " ".join(t[0] for t in tokens)
        assert record["evaluation_span"] == [0, len(record["text"])]
        for label in record["labels"]:
            start, end = label["span"]
            assert record["text"][start:end].strip() == record["text"][start:end] != ""
            assert label["entity_id"] == "<NIL>" or label["entity_id"] in kb_qids


def test_rebel_boundaries_qids_and_properties(kb_qids: set[str]) -> None:
    records = _jsonl(SAMPLE / "rebel" / "sample.jsonl")
    assert len(records) == 150
    for record in records:
        spans = record["entities"] + [t[k] for t in record["triples"] for k in ("subject", "object")]
        for span in spans:
            start, end = span["boundaries"]
            assert record["text"][start:end] == span["surfaceform"]
            assert span["uri"] in kb_qids
        assert all(t["predicate"]["uri"] in PROPERTIES for t in record["triples"])


def test_damuel_links_are_token_spans(kb_qids: set[str]) -> None:
    for lang in ("en", "es"):
        lines = [json.loads(x) for x in lzma.decompress((SAMPLE / "damuel" / lang / "part-00000.xz").read_bytes()).decode().splitlines()]
        assert len(lines) == 100 and sum("wiki" in line for line in lines) == 40
        for line in lines:
            assert line["lang"] == lang and line["qid"] in kb_qids
            wiki = line.get("wiki")
            if wiki is None:
                continue
            tokens = wiki["tokens"]
            assert all(wiki["text"][t["start"] : t["end"]].strip() for t in tokens)
            for link in wiki["links"]:
                assert 0 <= link["start"] < link["end"] <= len(tokens)
                assert link.get("qid", next(iter(kb_qids))) in kb_qids
            for part in wiki["sentences"] + wiki["paragraphs"]:
                assert 0 <= part["start"] < part["end"] <= len(tokens)


def test_relation_extraction_sets() -> None:
    for name, size in (("train", 250), ("dev", 60)):
        records = json.loads((SAMPLE / "conll04" / f"{name}.json").read_text(encoding="utf-8"))
        assert len(records) == size
        for record in records:
            spans = {(s, e) for s, e, _ in record["entities"]}
            for hs, he, ts, te, relation in record["relations"]:
                assert {(hs, he), (ts, te)} <= spans and relation in CONLL04_RELATIONS
                assert 0 <= hs < he <= len(record["tokens"]) and 0 <= ts < te <= len(record["tokens"])
    for name in ("train", "dev"):
        for record in json.loads((SAMPLE / "nyt" / f"{name}.json").read_text(encoding="utf-8")):
            for head, relation, tail in record["triple_list"]:
                assert relation in NYT_RELATIONS and head in record["text"] and tail in record["text"]


def test_relation_inventories() -> None:
    properties = json.loads((SAMPLE / "wikidata" / "properties.json").read_text(encoding="utf-8"))
    assert properties["total"] == len(properties["properties"]) >= 50
    assert sum(p["datatype"] == "external-id" for p in properties["properties"].values()) >= 10
    assert all(pid == entry["pid"] and entry["description"] for pid, entry in properties["properties"].items())
    assert set(json.loads((SAMPLE / "conll04" / "relations.json").read_text())) == set(CONLL04_RELATIONS)
    assert len(json.loads((SAMPLE / "nyt" / "relations.json").read_text())) == 24


def test_mewsli_positions(kb_qids: set[str]) -> None:
    folder = SAMPLE / "mewsli" / "es"
    rows = [line.split("\t") for line in (folder / "mentions.tsv").read_text(encoding="utf-8").splitlines()]
    assert rows[0][:4] == ["docid", "position", "length", "mention"]
    for docid, position, length, mention, _url, lang, qid, *_ in rows[1:]:
        text = (folder / "text" / docid).read_text(encoding="utf-8")
        assert text[int(position) : int(position) + int(length)] == mention
        assert lang == "es" and qid in kb_qids
