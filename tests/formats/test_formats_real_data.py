"""The readers on the real datasets in ../shared/data: counts from each SOURCE.md, offsets that read true."""
from __future__ import annotations

from collections import Counter

import pytest

from relik_ml.formats import read_documents, read_mention_contexts, read_passages
from relik_ml.formats.damuel import iter_damuel
from relik_ml.types import NME

pytestmark = pytest.mark.shared_data


def counts(docs, split):
    spans = [s for d in docs if d.split == split for s in d.spans]
    return sum(d.split == split for d in docs), len(spans), sum(s.label == NME for s in spans)


@pytest.fixture(scope="module")
def aida(shared_data):
    root = shared_data / "aida-conll-yago"
    return read_documents("aida", [root / "aida-annotations" / "AIDA-YAGO2-annotations.train+testa.tsv",
                                   root / "conll2003-eng" / "eng.train", root / "conll2003-eng" / "eng.testa"])


def test_aida_train_and_testa(aida):
    assert counts(aida, "train") == (946, 23396, 4855)
    assert counts(aida, "testa") == (216, 5917, 1126)
    assert sum(len(d.text.split(" ")) for d in aida if d.split == "train") == 203621


def test_aida_testa_spans_agree_with_elevant(aida, shared_data):
    """ELEVANT's full-text copy of testa joins the same tokens: same texts, same mention offsets."""
    ours = [d for d in aida if d.split == "testa"]
    theirs = read_documents("elevant", shared_data / "aida-conll-yago" / "elevant-jsonl"
                            / "aida-conll-dev.fulltext.2022-03-17.jsonl", renumber=True)
    assert [d.text for d in ours] == [d.text for d in theirs]
    assert [[(s.start, s.end) for s in d.spans] for d in ours] == [[(s.start, s.end) for s in d.spans] for d in theirs]


def test_wikidata_properties(shared_data):
    path = shared_data / "wikidata-properties" / "wikidata_properties.json"
    assert len(read_passages("wikidata", path, drop_datatypes=())) == 13347
    assert len(read_passages("wikidata", path)) == 3237
    assert len(read_passages("wikidata", path, require_description=True)) == 3229


def test_damuel_parts(shared_data):
    parts = [shared_data / "damuel-sample" / name for name in ("es.part-00001.xz", "es.part_example-0.jsonl")]
    entries = [iter_damuel(p) for p in parts]
    assert [len(e) for e in entries] == [26, 12]
    assert [sum(len(x.links) for x in e) for e in entries] == [9, 173]
    assert len(read_passages("damuel", parts)) == 38
    surfaces = {e.text[link.start:link.end]: link.title for es in entries for e in es for link in e.links}
    assert surfaces["Pakistán"] == "Pakistán" and surfaces["La Fura dels Baus"] == "La Fura dels Baus"
    assert surfaces["humedal"] == "Humedal"  # end_offset cuts "humedales"
    contexts = read_mention_contexts(parts)
    assert all(c.text[c.start:c.end].strip() == c.text[c.start:c.end] != "" for c in contexts)
    assert len(read_documents("damuel-links", parts, wiki_links_only=False)) == 4


def test_mewsli_sample(shared_data):
    docs = read_documents("mewsli", shared_data / "mewsli-9-sample")
    assert sum(len(d.spans) for d in docs) == 9 and {d.language for d in docs} == {"es"}


@pytest.mark.parametrize("path,docs,mentions,linked", [
    ("n3-reuters-128/Reuters-128.ttl", 128, 880, 634),
    ("nif-extra-reuters30-aquaint/Reuters-30_DBpedia.ttl", 30, 143, 138),
    ("nif-extra-reuters30-aquaint/Reuters-30_Wikidata.ttl", 30, 141, 141),
    ("nif-extra-reuters30-aquaint/AQUAINT_DBpedia.ttl", 50, 727, 727),
    ("oke-2015/oke2015_task1_training_dataset_task_1.ttl", 95, 341, 305),
    ("oke-2015/oke2015_task1_evaluation-dataset-task1.ttl", 101, 664, 535),
    ("oke-2016-train/oke2016_task1_training_dataset_task_1.ttl", 196, 1050, 875),
])
def test_nif_sets(shared_data, path, docs, mentions, linked):
    read = read_documents("nif", shared_data / path)
    spans = [s for d in read for s in d.spans]
    assert (len(read), len(spans), sum(s.label != NME for s in spans)) == (docs, mentions, linked)


@pytest.mark.parametrize("path,docs,labels,qids", [
    ("msnbc/msnbc-updated.benchmark.jsonl", 20, 739, 653),
    ("n3-reuters-128/reuters-128.benchmark.jsonl", 128, 880, 623),
    ("aida-conll-yago/elevant-jsonl/aida-conll-dev.obscured.benchmark.jsonl", 216, 5917, 4789),
])
def test_elevant_benchmarks(shared_data, path, docs, labels, qids):
    read = read_documents("elevant", shared_data / path)
    spans = [s for d in read for s in d.spans]
    assert (len(read), len(spans), sum(s.label != NME for s in spans)) == (docs, labels, qids)


def test_kilt_el_samples(shared_data):
    docs = read_documents("kilt-el", sorted((shared_data / "kilt-el-samples").glob("*.jsonl")))
    assert len(docs) == 10
    assert all(d.text[d.spans[0].start:d.spans[0].end].strip() for d in docs)


def test_conll04(shared_data):
    for name, expected in (("train", (922, 3377, 1283)), ("valid", (231, 893, 343))):
        docs = read_documents("conll04", shared_data / "conll04" / f"{name}.CoNLL04.json")
        assert (len(docs), sum(len(d.spans) for d in docs), sum(len(d.triplets) for d in docs)) == expected


def test_nyt_dev(shared_data):
    stats = Counter()
    docs = read_documents("nyt", shared_data / "nyt" / "NYT.dev_triples.json", stats=stats)
    assert len(docs) == 5000 and stats["nyt_triples"] == 7985
    assert sum(len(d.triplets) for d in docs) == 7985 - stats["nyt_triples_unlocated"] == 7985


def test_rebel_sample(shared_data):
    stats = Counter()
    docs = read_documents("rebel", shared_data / "rebel-sample" / "sample.jsonl", stats=stats)
    assert len(docs) == 1000 and sum(len(d.triplets) for d in docs) == 2868
    assert sum(len(d.spans) for d in docs) == 10977 and stats["rebel_spans_dropped"] == 0


def test_nel(shared_data):
    root = shared_data / "nel-nil-el"
    assert len(read_passages("nel-kb", root / "kb.jsonl")) == 3815
    sizes = {name: read_documents("nel", root / f"{name}.jsonl") for name in ("train", "valid", "test")}
    assert [len(v) for v in sizes.values()] == [7939, 992, 993]
    assert sum(d.spans[0].label == NME for d in sizes["test"]) == 333
