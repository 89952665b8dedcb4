"""Every reader on its small fixture: offsets read the right surface, labels, ids, options."""
from __future__ import annotations

import json
import lzma
from collections import Counter
from pathlib import Path

import pytest

from relik_ml.formats import (
    DOCUMENT_FORMATS,
    PASSAGE_FORMATS,
    read_documents,
    read_mention_contexts,
    read_passages,
)
from relik_ml.errors import InputError
from relik_ml.types import NME

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
AIDA = [FIXTURES / "aida" / name for name in ("annotations.tsv", "eng.train", "eng.testa")]


def surfaces(doc):
    return [(doc.text[s.start:s.end], s.label) for s in doc.spans]


def test_aida_aligns_tokens_chunks_and_splits():
    docs = read_documents("aida", AIDA)
    assert [(d.id, d.split) for d in docs] == [("1 EU", "train"), ("2 Rare", "train"), ("3testa CRICKET", "testa")]
    assert docs[0].text.startswith("EU rejects German call to boycott British lamb . Peter Blackburn BRUSSELS")
    assert surfaces(docs[0]) == [("EU", NME), ("German", "Germany"), ("British", "United Kingdom"),
                                 ("Peter Blackburn", NME), ("BRUSSELS", "Brussels")]
    assert surfaces(docs[1])[-2:] == [("London", "London"), ("Paris", "Paris")]  # B-LOC starts a new chunk
    assert surfaces(docs[2])[1:] == [("China", "People's Republic of China"),
                                     ("Leicestershire County Cricket Club", "Leicestershire County Cricket Club")]
    assert docs[0].spans[3].type == "PER" and docs[0].spans[1].title == "Germany" and docs[0].spans[0].title == ""


def test_aida_accepts_docstart_before_documents(tmp_path):
    lines = ["-DOCSTART- -X- O O", ""] + [
        line for line in AIDA[1].read_text().splitlines() if not line.startswith("-DOCSTART-")
    ]
    leading = tmp_path / "eng.train"
    leading.write_text("\n".join(lines).replace("\n\n\n", "\n\n-DOCSTART- -X- O O\n\n", 1))
    assert [d.to_json() for d in read_documents("aida", [AIDA[0], leading, AIDA[2]])] == [
        d.to_json() for d in read_documents("aida", AIDA)
    ]


def test_elevant_labels_nested_and_nme():
    docs = read_documents("elevant", FIXTURES / "elevant.jsonl")
    assert [d.id for d in docs] == ["0", "1"]
    assert surfaces(docs[0]) == [("Home Depot", "Q864407"), ("Nardelli", "Q7151214"), ("Frank Blake", "Q1437140"),
                                 ("Home Depot", NME), ("Atlanta", NME)]
    assert docs[0].spans[0].title == "The Home Depot"
    nested = read_documents("elevant", FIXTURES / "elevant.jsonl", keep_nested=True)
    assert ("Blake", "Q1437140") in surfaces(nested[0])
    assert [d.id for d in read_documents("elevant", FIXTURES / "elevant.jsonl", renumber=True)] == ["0", "1"]


def test_elevant_titles_key_links_by_wikipedia_name(tmp_path):
    docs = read_documents("elevant-titles", FIXTURES / "elevant.jsonl")
    assert surfaces(docs[0]) == [("Home Depot", "The Home Depot"), ("Nardelli", "Robert Nardelli"),
                                 ("Frank Blake", "Frank Blake"), ("Home Depot", NME), ("Atlanta", NME)]
    nameless = tmp_path / "nameless.jsonl"
    nameless.write_text(json.dumps({"id": 7, "text": "Seattle is rainy.", "labels": [
        {"span": [0, 7], "entity_id": "Q5083", "name": " "}]}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"nameless.jsonl:1.*labels\[0\]\.name.*Q5083 has no name"):
        read_documents("elevant-titles", nameless)


def test_nif_resolves_dbpedia_wikidata_same_as_and_not_in_wiki():
    docs = read_documents("nif", FIXTURES / "nif.ttl")
    assert [d.id for d in docs] == ["http://example.org/doc/2#char=0,46", "http://example.org/doc/10#char=0,34"]
    assert surfaces(docs[0]) == [("AT&T", "AT&T Corporation"), ("Motorola Inc", NME), ("Data I/O", "Data I/O")]
    assert surfaces(docs[1]) == [("Nickerson", "Eugene Nickerson"), ("Des Moines", "Q39709")]


def test_nif_realigns_a_slipped_offset(tmp_path):
    slipped = tmp_path / "slip.ttl"
    slipped.write_text((FIXTURES / "nif.ttl").read_text().replace('"23"^^xsd:int', '"22"^^xsd:int'))
    stats = Counter()
    docs = read_documents("nif", slipped, stats=stats)
    assert surfaces(docs[1])[1] == ("Des Moines", "Q39709") and stats["nif_spans_realigned"] == 1


def test_kilt_el_removes_markers():
    docs = read_documents("kilt-el", FIXTURES / "kilt_el.jsonl")
    assert docs[0].text == "Bob Coverdale was born in Sculcoates district ."
    assert surfaces(docs[0]) == [("Sculcoates", "Sculcoates")]
    assert docs[1].text == "Bob Coverdale played for Hull ." and surfaces(docs[1]) == [("Bob Coverdale", "Bob Coverdale")]


def test_conll04_spans_and_triplets():
    docs = read_documents("conll04", FIXTURES / "conll04.json")
    assert surfaces(docs[0]) == [("John Wilkes Booth", NME), ("President Lincoln", NME)]
    (triplet,) = docs[0].triplets
    assert (docs[0].text[triplet.subject.start:triplet.subject.end], triplet.relation) == ("John Wilkes Booth", "Kill")
    assert triplet.object.type == "Peop"


def test_nyt_locates_words_and_counts_the_rest():
    stats = Counter()
    docs = read_documents("nyt", FIXTURES / "nyt.json", stats=stats)
    assert surfaces(docs[0]) == [("Queens", NME), ("Douglaston", NME)]
    assert [t.relation for t in docs[0].triplets] == ["/location/location/contains", "/location/neighborhood/neighborhood_of"]
    assert surfaces(docs[1]) == [("Medellin", NME), ("Colombia", NME)]  # "Medellín" found without diacritics
    assert stats == Counter(nyt_triples=4, nyt_triples_unlocated=1)


def test_rebel_realigns_shifted_boundaries_and_keeps_literals():
    stats = Counter()
    (doc,) = read_documents("rebel", FIXTURES / "rebel.jsonl", stats=stats)
    assert surfaces(doc) == [("Transportation Journal", "Q7835172"), ("academic journal", "Q737498"),
                             ("Penn State University Press", "Q7163300"), ("1961", NME)]
    assert doc.spans[-1].type == "literal" and stats["rebel_spans_realigned"] == 1
    assert [(t.relation, doc.text[t.object.start:t.object.end]) for t in doc.triplets] == [
        ("P123", "Penn State University Press"), ("P571", "1961")]


def test_mewsli_documents():
    docs = read_documents("mewsli", FIXTURES / "mewsli")
    assert [d.id for d in docs] == ["es-1", "es-2"] and {d.language for d in docs} == {"es"}
    assert surfaces(docs[1]) == [("misil balístico", "Q179348"), ("Seúl", "Q8684")]
    assert len(read_documents("mewsli", FIXTURES / "mewsli" / "es")[0].spans) == 4


def test_nel_mentions_and_kb():
    docs = read_documents("nel", FIXTURES / "nel_mentions.jsonl")
    assert surfaces(docs[0]) == [("bagavathi", "Bagavathi")] and surfaces(docs[1]) == [("state of siege", NME)]
    kb = read_passages("nel-kb", FIXTURES / "nel_kb.jsonl")
    assert kb[0].id == "Bagavathi" and "::;" not in kb[0].text


def test_kilt_passages_and_anchor_documents():
    passages = read_passages("kilt", FIXTURES / "kilt_ks.jsonl", max_words=5)
    assert passages[0].id == "Ada Lovelace" and passages[0].text == "Augusta Ada King, Countess of"
    assert read_passages("kilt", FIXTURES / "kilt_ks.jsonl", text_mode="title")[1].text == "Analytical Engine"
    stats = Counter()
    docs = read_documents("kilt-anchors", FIXTURES / "kilt_ks.jsonl", stats=stats)
    assert surfaces(docs[0]) == [("Charles Babbage", "Charles Babbage"), ("Analytical Engine", "Analytical Engine"),
                                 ("Lord Byron", "Lord Byron")]
    assert stats["kilt_anchors_unresolved"] == 1


def test_wikidata_filters():
    path = FIXTURES / "wikidata_properties.json"
    assert [p.id for p in read_passages("wikidata", path)] == ["P6", "P31", "P2201"]
    assert [p.id for p in read_passages("wikidata", path, require_description=True)] == ["P6", "P31"]
    assert len(read_passages("wikidata", path, drop_datatypes=())) == 4


def test_damuel_passages_links_and_contexts(tmp_path):
    packed = tmp_path / "es.part-00000.xz"
    packed.write_bytes(lzma.compress((FIXTURES / "damuel.jsonl").read_bytes()))
    passages = read_passages("damuel", packed)
    assert [p.text for p in passages[:3]] == ["política estadounidense", "[M] Mecynotarsus bordonii [M] especie de insecto",
                                              "[M] Artūrs Vanags [M]"]
    assert passages[3].text == "[M] Pakistán [M] Pakistán es un país de Asia." and passages[3].language == "es"
    docs = read_documents("damuel-links", packed)
    # token-index end is exclusive; end_offset 9 cuts "coleópteros" to the linked "coleóptero"
    assert surfaces(docs[0]) == [("coleóptero", "Q22671"), ("Anthicidae", "Q887250"), ("Pakistán", "Q843")]
    everything = read_documents("damuel-links", packed, wiki_links_only=False)
    assert ("Mecynotarsus bordonii", "Q2518030") in surfaces(everything[0])
    contexts = read_mention_contexts(packed, context_chars=12)
    assert [(c.text[c.start:c.end], c.label) for c in contexts][:2] == [("coleóptero", "Q22671"), ("Anthicidae", "Q887250")]
    assert all(len(c.text) <= c.end - c.start + 24 for c in contexts)


def test_registry_names_and_errors():
    assert {"aida", "elevant", "elevant-titles", "nif", "kilt-el", "conll04", "nyt", "rebel", "mewsli", "nel", "kilt-anchors",
            "damuel-links"} == set(DOCUMENT_FORMATS)
    assert {"kilt", "wikidata", "damuel", "nel-kb"} == set(PASSAGE_FORMATS)
    with pytest.raises(ValueError, match="unknown document format"):
        read_documents("nope", FIXTURES / "nyt.json")


def test_duplicate_ids_across_files_are_refused():
    with pytest.raises(Exception, match="duplicate id '0'"):
        read_documents("elevant", [FIXTURES / "elevant.jsonl", FIXTURES / "elevant.jsonl"])
