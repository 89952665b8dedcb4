"""Malformed input: every reader refuses it with an InputError naming the file, the line and the field.

Each case copies a valid fixture into a temporary folder, breaks one thing, and checks the message.
"""
from __future__ import annotations

import lzma
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from relik_ml.errors import InputError
from relik_ml.formats import read_documents, read_mention_contexts, read_passages

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"


def truncate(text: str) -> str:
    """Cut the file in the middle of its last record."""
    body = text.rstrip("\n")
    return body[: body.rfind("\n") + (len(body) - body.rfind("\n")) // 2]


def sub(old: str, new: str, count: int = 1) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, f"fixture does not contain {old!r}"
        return text.replace(old, new, count)

    return edit


def on_line(number: int, old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        lines = text.split("\n")
        assert old in lines[number - 1], f"line {number} does not contain {old!r}"
        lines[number - 1] = lines[number - 1].replace(old, new, 1)
        return "\n".join(lines)

    return edit


# (case id, reader kind, format, fixture to break, edit, expected fragments of the message)
CASES = [
    ("elevant-truncated", "doc", "elevant", "elevant.jsonl", truncate, ["elevant.jsonl:2", "invalid JSON"]),
    ("elevant-missing", "doc", "elevant", "elevant.jsonl", on_line(2, '"text"', '"txet"'), ["elevant.jsonl:2", "field 'text'", "missing"]),
    ("elevant-type", "doc", "elevant", "elevant.jsonl", on_line(2, '"span": [0, 7]', '"span": "0-7"'), ["elevant.jsonl:2", "field 'labels[0].span'", "expected a list"]),
    ("elevant-range", "doc", "elevant", "elevant.jsonl", on_line(2, "[0, 7]", "[0, 70]"), ["elevant.jsonl:2", "field 'labels[0].span'", "out of range"]),
    ("elevant-duplicate", "doc", "elevant", "elevant.jsonl", on_line(2, '"id": 1', '"id": 0'), ["elevant.jsonl:2", "field 'id'", "duplicate id '0'"]),
    ("kilt-el-truncated", "doc", "kilt-el", "kilt_el.jsonl", truncate, ["kilt_el.jsonl:2", "invalid JSON"]),
    ("kilt-el-missing", "doc", "kilt-el", "kilt_el.jsonl", on_line(2, '"input"', '"inp"'), ["kilt_el.jsonl:2", "field 'input'", "missing"]),
    ("kilt-el-markers", "doc", "kilt-el", "kilt_el.jsonl", on_line(1, " district", " [START_ENT] district"), ["kilt_el.jsonl:1", "field 'input'", "exactly one"]),
    ("kilt-el-mention", "doc", "kilt-el", "kilt_el.jsonl", on_line(1, '"mention": "Sculcoates"', '"mention": "Hull"'), ["kilt_el.jsonl:1", "field 'meta.mention'"]),
    ("conll04-truncated", "doc", "conll04", "conll04.json", lambda t: t[: t.index("Havana") + 3], ["conll04.json:3", "invalid JSON"]),
    ("conll04-missing", "doc", "conll04", "conll04.json", on_line(3, '"tokens"', '"words"'), ["conll04.json:3", "field 'tokens'", "missing"]),
    ("conll04-range", "doc", "conll04", "conll04.json", on_line(3, '[5, 6, "Loc"]', '[5, 60, "Loc"]'), ["conll04.json:3", "field 'entities[1]'", "out of range"]),
    ("conll04-relation", "doc", "conll04", "conll04.json", on_line(2, '[0, 3, 6, 8, "Kill"]', '[0, 2, 6, 8, "Kill"]'), ["conll04.json:2", "field 'relations[0]'", "not an entity"]),
    ("conll04-structure", "doc", "conll04", "conll04.json", lambda t: '{"data": ' + t + "}", ["conll04.json:1", "expected a JSON list"]),
    ("nyt-truncated", "doc", "nyt", "nyt.json", truncate, ["nyt.json:", "invalid JSON"]),
    ("nyt-missing", "doc", "nyt", "nyt.json", sub('"triple_list"', '"triples"'), ["nyt.json:2", "field 'triple_list'", "missing"]),
    ("nyt-arity", "doc", "nyt", "nyt.json", sub('"/location/location/contains",\n    "Douglaston"', '"/location/location/contains"'), ["nyt.json:2", "field 'triple_list[0]'", "expected [subject, relation, object]"]),
    ("rebel-truncated", "doc", "rebel", "rebel.jsonl", truncate, ["rebel.jsonl:1", "invalid JSON"]),
    ("rebel-missing", "doc", "rebel", "rebel.jsonl", sub('"docid"', '"doc"'), ["rebel.jsonl:1", "field 'docid'", "missing"]),
    ("rebel-predicate", "doc", "rebel", "rebel.jsonl", sub('"uri": "P123"', '"url": "P123"'), ["rebel.jsonl:1", "field 'triples[0].predicate.uri'"]),
    ("rebel-strict", "doc-strict", "rebel", "rebel.jsonl", lambda t: t, ["rebel.jsonl:1", "field 'entities[1].boundaries'", "expected 'academic journal'"]),
    ("nel-truncated", "doc", "nel", "nel_mentions.jsonl", truncate, ["nel_mentions.jsonl:2", "invalid JSON"]),
    ("nel-missing", "doc", "nel", "nel_mentions.jsonl", on_line(2, '"mention"', '"m"'), ["nel_mentions.jsonl:2", "field 'mention'"]),
    ("nel-type", "doc", "nel", "nel_mentions.jsonl", on_line(1, '"answer": "Bagavathi"', '"answer": 7'), ["nel_mentions.jsonl:1", "field 'answer'", "expected a string"]),
    ("nel-kb-duplicate", "passage", "nel-kb", "nel_kb.jsonl", on_line(2, '"Devi"', '"Bagavathi"'), ["nel_kb.jsonl:2", "field 'title'", "duplicate id"]),
    ("nel-kb-missing", "passage", "nel-kb", "nel_kb.jsonl", on_line(1, '"abstract"', '"text"'), ["nel_kb.jsonl:1", "field 'abstract'"]),
    ("kilt-truncated", "passage", "kilt", "kilt_ks.jsonl", truncate, ["kilt_ks.jsonl:2", "invalid JSON"]),
    ("kilt-missing", "passage", "kilt", "kilt_ks.jsonl", on_line(2, '"wikipedia_title"', '"title"'), ["kilt_ks.jsonl:2", "field 'wikipedia_title'"]),
    ("kilt-duplicate", "passage", "kilt", "kilt_ks.jsonl", on_line(2, '"wikipedia_title": "Analytical Engine"', '"wikipedia_title": "Ada Lovelace"'), ["kilt_ks.jsonl:2", "duplicate id 'Ada Lovelace'"]),
    ("kilt-anchor-text", "doc", "kilt-anchors", "kilt_ks.jsonl", on_line(2, '"text": "Charles Babbage"', '"text": "Charles Darwin"'), ["kilt_ks.jsonl:2", "field 'anchors[0].start'", "expected 'Charles Darwin'"]),
    ("kilt-anchor-paragraph", "doc", "kilt-anchors", "kilt_ks.jsonl", on_line(2, '"paragraph_id": 1', '"paragraph_id": 9'), ["kilt_ks.jsonl:2", "field 'anchors[0].paragraph_id'"]),
    ("wikidata-truncated", "passage", "wikidata", "wikidata_properties.json", truncate, ["wikidata_properties.json:", "invalid JSON"]),
    ("wikidata-missing", "passage", "wikidata", "wikidata_properties.json", sub('"datatype": "wikibase-item"\n    },\n    "P31"', '"kind": "x"\n    },\n    "P31"'), ["wikidata_properties.json:4", "field 'properties.P6.datatype'", "missing"]),
    ("wikidata-duplicate", "passage", "wikidata", "wikidata_properties.json", sub('"P214": {', '"P31": {'), ["wikidata_properties.json:16", "field 'P31'", "duplicate key"]),
    ("wikidata-pid", "passage", "wikidata", "wikidata_properties.json", sub('"pid": "P31"', '"pid": "P32"'), ["wikidata_properties.json:10", "field 'properties.P31.pid'"]),
    ("wikidata-structure", "passage", "wikidata", "wikidata_properties.json", sub('"properties"', '"props"'), ["wikidata_properties.json", "field 'properties'", "missing"]),
    ("damuel-truncated", "passage", "damuel", "damuel.jsonl", truncate, ["damuel.jsonl:4", "invalid JSON"]),
    ("damuel-missing", "passage", "damuel", "damuel.jsonl", on_line(3, '"lang"', '"language"'), ["damuel.jsonl:3", "field 'lang'", "missing"]),
    ("damuel-link-range", "doc", "damuel-links", "damuel.jsonl", on_line(4, '"start": 5, "end": 6', '"start": 5, "end": 60'), ["damuel.jsonl:4", "field 'wiki.links[0].end'", "out of range"]),
    ("damuel-duplicate", "passage", "damuel", "damuel.jsonl", on_line(4, '"qid": "Q843"', '"qid": "Q2518030"'), ["damuel.jsonl:4", "field 'qid'", "duplicate id 'es:Q2518030'"]),
    ("damuel-qid", "mentions", "damuel", "damuel.jsonl", on_line(4, '"qid": "Q48"', '"qid": "Asia"'), ["damuel.jsonl:4", "field 'wiki.links[0].qid'"]),
    ("nif-truncated", "doc", "nif", "nif.ttl", truncate, ["nif.ttl:", "invalid Turtle"]),
    ("nif-missing", "doc", "nif", "nif.ttl", sub('nif:beginIndex        "23"^^xsd:int ;\n', ""), ["nif.ttl:27", "field 'nif:beginIndex'", "missing"]),
    ("nif-anchor", "doc-strict", "nif", "nif.ttl", sub('"Des Moines"@en', '"Iowa"@en'), ["nif.ttl:27", "field 'nif:anchorOf'", "does not match"]),
    ("nif-range", "doc-strict", "nif", "nif.ttl", sub('"33"^^xsd:int', '"99"^^xsd:int'), ["nif.ttl:27", "field 'nif:beginIndex'", "out of range"]),
    ("nif-context", "doc", "nif", "nif.ttl", sub("nif:referenceContext  <http://example.org/doc/10#char=0,34> ;\n        itsrdf:taIdentRef     ex:", "nif:referenceContext  <http://example.org/other#char=0,34> ;\n        itsrdf:taIdentRef     ex:"), ["nif.ttl:15", "field 'nif:referenceContext'", "unknown context"]),
]


def _read(kind: str, fmt: str, path: Path):
    if kind == "passage":
        return read_passages(fmt, path)
    if kind == "mentions":
        return read_mention_contexts(path)
    return read_documents(fmt, path, **({"realign": False} if kind == "doc-strict" else {}))


@pytest.mark.parametrize("kind,fmt,fixture,edit,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_input_is_refused(tmp_path, kind, fmt, fixture, edit, expected):
    broken = tmp_path / fixture
    broken.write_text(edit((FIXTURES / fixture).read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        _read(kind, fmt, broken)
    for fragment in expected:
        assert fragment in str(caught.value)


@pytest.mark.parametrize("fixture,fmt,kind", [
    ("elevant.jsonl", "elevant", "doc"), ("kilt_el.jsonl", "kilt-el", "doc"), ("conll04.json", "conll04", "doc"),
    ("nyt.json", "nyt", "doc"), ("rebel.jsonl", "rebel", "doc"), ("nel_mentions.jsonl", "nel", "doc"),
    ("kilt_ks.jsonl", "kilt", "passage"), ("wikidata_properties.json", "wikidata", "passage"),
    ("damuel.jsonl", "damuel", "passage"), ("nif.ttl", "nif", "doc"),
])
def test_non_utf8_bytes_name_their_line(tmp_path, fixture, fmt, kind):
    data = (FIXTURES / fixture).read_bytes()
    second = data.index(b"\n") + 1
    broken = tmp_path / fixture
    broken.write_bytes(data[:second] + b"\xff\xfe" + data[second:])
    with pytest.raises(InputError, match=rf"{fixture}:2: not valid UTF-8"):
        _read(kind, fmt, broken)


def test_damuel_truncated_xz(tmp_path):
    packed = lzma.compress((FIXTURES / "damuel.jsonl").read_bytes())
    broken = tmp_path / "es.part-1.xz"
    broken.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(InputError, match=r"es\.part-1\.xz.*truncated or corrupt"):
        read_passages("damuel", broken)


@pytest.fixture()
def aida_copy(tmp_path):
    folder = tmp_path / "aida"
    shutil.copytree(FIXTURES / "aida", folder)
    return folder


def _read_aida(folder: Path):
    return read_documents("aida", [folder / "annotations.tsv", folder / "eng.train", folder / "eng.testa"])


@pytest.mark.parametrize("file,edit,expected", [
    ("eng.train", lambda t: t[: t.index("Rare")], ["annotations.tsv:7", "field 'docid'", "aligned with CoNLL text starting 'CRICKET'"]),
    ("annotations.tsv", lambda t: t[: t.index("-DOCSTART- (3testa")], ["eng.testa:1", "2 annotated documents but 3 CoNLL documents"]),
    ("annotations.tsv", sub("-DOCSTART- (2 Rare)", "-DOCSTART- 2 Rare"), ["annotations.tsv:7", "field 'docid'"]),
    ("annotations.tsv", sub("9\t--NME--", "99\t--NME--"), ["annotations.tsv:5", "field 'token_index'", "out of range"]),
    ("annotations.tsv", sub("9\t--NME--", "8\t--NME--"), ["annotations.tsv:5", "field 'token_index'", "not part of a named entity"]),
    ("annotations.tsv", sub("11\tBrussels", "x\tBrussels"), ["annotations.tsv:6", "field 'token_index'"]),
    ("eng.train", sub("Peter XX I-NP I-PER", "Peter I-PER"), ["eng.train:11", "4 space-separated columns"]),
    ("eng.testa", sub("CRICKET XX", "Cricket XX"), ["annotations.tsv:12", "field 'docid'", "aligned with CoNLL text starting 'Cricket'"]),
])
def test_aida_misalignment_is_refused(aida_copy, file, edit, expected):
    path = aida_copy / file
    path.write_text(edit(path.read_text()))
    with pytest.raises(InputError) as caught:
        _read_aida(aida_copy)
    for fragment in expected:
        assert fragment in str(caught.value)


@pytest.mark.parametrize("edit,expected", [
    (sub("\tes\tQ29", "\tes\tQ29\tx", 1), None),
    (sub("docid\tposition", "doc\tposition"), ["mentions.tsv:1", "field 'docid'", "missing column"]),
    (sub("es-1\t8\t6", "es-1\t9\t6"), ["mentions.tsv:3", "field 'position'", "expected 'España'"]),
    (lambda t: t[: t.index("\t", t.index("\t", t.index("es-2")) + 1)], ["mentions.tsv:6", "field 'length'", "missing"]),
])
def test_mewsli_bad_rows_are_refused(tmp_path, edit, expected):
    folder = tmp_path / "es"
    shutil.copytree(FIXTURES / "mewsli" / "es", folder)
    table = folder / "mentions.tsv"
    table.write_text(edit(table.read_text()))
    if expected is None:  # an extra trailing column is tolerated
        assert len(read_documents("mewsli", folder)) == 2
        return
    with pytest.raises(InputError) as caught:
        read_documents("mewsli", folder)
    for fragment in expected:
        assert fragment in str(caught.value)


def test_mewsli_non_utf8_text(tmp_path):
    folder = tmp_path / "es"
    shutil.copytree(FIXTURES / "mewsli" / "es", folder)
    (folder / "text" / "es-1").write_bytes(b"L\xe9rida\n")
    with pytest.raises(InputError, match=r"es-1:1: not valid UTF-8"):
        read_documents("mewsli", folder)
