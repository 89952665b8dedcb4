from __future__ import annotations

from rapidfuzz import fuzz

from relik_ml.baselines import StringSimilarity, StringSimilarityConfig


def test_exact_name_ranks_its_entities_in_alias_table_order(table):
    ranker = StringSimilarity(table)
    hits = ranker.ranked("PARIS", 3)
    assert [h.entity_id for h in hits] == table.lookup("paris")
    assert all(h.score == 100.0 and h.name == "paris" for h in hits)


def test_misspelling_is_ranked_by_indel_similarity(table):
    ranker = StringSimilarity(table)
    hits = ranker.ranked("Manchestr United", 3)
    assert [(h.entity_id, h.name) for h in hits[:2]] == [
        ("Manchester United F.C.", "manchester united f.c."),  # 84.2 beats its anchor "man united" (76.9)
        ("Manchester", "manchester"),  # 69.2
    ]
    assert hits[0].score == fuzz.ratio("manchestr united", "manchester united f.c.")
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len({h.entity_id for h in hits}) == len(hits)


def test_blocking_finds_the_exact_title_and_matches_a_full_scan(table):
    ranker = StringSimilarity(table, StringSimilarityConfig(block_size=2))
    assert ranker.lookup("manchester", 1) == ["Manchester"]
    full = ranker.full_scan("manchester", 1)
    assert full == [("manchester", 100.0)] == ranker.ranked_names("Manchester", 1)


def test_unknown_mention_gives_an_empty_list(table):
    assert StringSimilarity(table).lookup("qqq", 10) == []
    assert StringSimilarity(table).lookup("", 10) == []


def test_min_score_drops_weak_names(table):
    ranker = StringSimilarity(table, StringSimilarityConfig(min_score=95))
    assert ranker.lookup("Frnce", 5) == []
    assert ranker.lookup("France", 5) == ["France"]
