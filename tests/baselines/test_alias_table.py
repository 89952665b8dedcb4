from __future__ import annotations

import gzip
import json

import pytest

from relik_ml.baselines import AliasTable, AliasTableBuilder, AliasTableConfig
from relik_ml.errors import InputError
from tests.baselines.conftest import fold


def test_anchor_counts_rank_first_then_title_before_alias(table):
    ranked = table.ranked("Paris", "cased")
    assert [(r.entity_id, r.anchor_count, r.source) for r in ranked] == [
        ("Paris Hilton", 2, "anchor"),  # two anchors, although "Paris" is not its title
        ("Paris", 1, "title"),
        ("Paris (mythology)", 0, "alias"),  # redirect only
    ]
    assert table.lookup("Paris", k=1, case="cased") == ["Paris Hilton"]


def test_title_beats_alias_without_anchors(table):
    assert table.lookup("city of light") == ["Paris"]
    assert table.lookup("Man Utd", case="cased") == ["Manchester United F.C."]


def test_cased_lookup_is_exact_and_uncased_goes_through_the_key(table):
    assert table.lookup("PARIS", case="cased") == []
    assert table.lookup("PARIS", case="uncased") == ["Paris Hilton", "Paris", "Paris (mythology)"]
    assert table.lookup("ile de france", case="cased") == []
    assert table.lookup("Ile-de-France", case="cased") == []  # the title is written with Î
    assert table.lookup("ILE-DE-FRANCE", case="uncased") == ["Ile-de-France"]
    assert table.lookup("us", case="cased") == ["US"] and table.lookup("US", case="cased") == ["US"]


def test_unknown_mention_gives_an_empty_list(table):
    assert table.lookup("Lutetia") == [] and table.lookup("nowhere", case="cased") == []


def test_unresolved_targets_are_counted_not_linked(builder):
    assert builder.skipped == {"alias_target_unknown": 1}
    builder.add_anchors([("Rome", "Rome"), ("  ", "Paris")])
    assert builder.skipped == {"alias_target_unknown": 1, "anchor_target_unknown": 1, "empty": 1}


def test_entities_must_come_before_aliases(builder):
    with pytest.raises(ValueError, match="before aliases"):
        builder.add_entities([("Rome", "Rome")])


def test_counts(table):
    counts = table.counts()
    assert counts["entities"] == 8
    assert counts["cased_anchor_pairs"] == 5  # (Paris, Hilton), (Paris, Paris), Man United, French, us
    assert "man united" in table.aliases("uncased") and "paris" in table.aliases("uncased")


def test_save_and_load_round_trip(table, tmp_path):
    table.save(tmp_path / "alias_table", extra={"kb": "hand-made"})
    loaded = AliasTable.load(tmp_path / "alias_table", table.key)
    manifest = json.loads((tmp_path / "alias_table" / "manifest.json").read_text())
    assert manifest["key"].endswith("conftest.fold") and manifest["kb"] == "hand-made"
    assert loaded.counts() == table.counts()
    for case in ("cased", "uncased"):
        for alias in table.aliases(case):
            assert loaded.ranked_alias(alias, case) == table.ranked_alias(alias, case)


def test_save_keeps_the_top_k_per_alias(builder, tmp_path):
    table = builder.build()
    table.config = AliasTableConfig(max_entities=1)
    table.save(tmp_path / "top1")
    assert AliasTable.load(tmp_path / "top1", table.key).lookup("paris") == ["Paris Hilton"]


def test_load_refuses_another_key_and_names_bad_lines(table, tmp_path):
    table.save(tmp_path / "t")
    with pytest.raises(InputError, match="key"):
        AliasTable.load(tmp_path / "t", str.lower)
    with gzip.open(tmp_path / "t" / "aliases.jsonl.gz", "at", encoding="utf-8") as handle:
        handle.write(json.dumps({"case": "cased", "alias": "x", "entities": [[99, 0, 0]]}) + "\n")
    with pytest.raises(InputError, match=r"aliases\.jsonl\.gz:\d+: field 'entities'"):
        AliasTable.load(tmp_path / "t", table.key)


def test_empty_builder_gives_an_empty_table():
    table = AliasTableBuilder(fold).build()
    assert table.lookup("anything") == [] and table.counts()["entities"] == 0
