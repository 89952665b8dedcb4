"""The landing folder for new KB dumps: which files are dumps, and their version keys.

Layout (one sub-folder per dump kind; anything else is ignored and reported):

```
<landing>/kilt/<name>.jsonl[.gz|.bz2|.xz]          KILT knowledge source
<landing>/wikidata_properties/<name>.json[...]      Wikidata properties
<landing>/damuel/<language>/<name>[...]             one DaMuEL language part
```

A dump's key (its dump version, a Dagster dynamic partition) is `<kind>[-<language>]-<name>-<sha12>`,
`sha12` being the start of the file's SHA-256: the same bytes always get the same key, and a
changed file a new one. Files still being written are skipped: names starting with `.` or `_` or
ending in `.part`/`.tmp`, and files modified less than `settle_s` seconds ago (copy, then rename).
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from relik_ml.errors import InputError
from relik_ml.io import file_sha256

KINDS = ("kilt", "wikidata_properties", "damuel")
PARTIAL_SUFFIXES = (".part", ".tmp", ".partial")
COMPRESSED = (".gz", ".bz2", ".xz")
KEY_PATTERN = re.compile(r"^(kilt|wikidata_properties|damuel)(?:-([a-z]{2,3}))?-([A-Za-z0-9_]+)-([0-9a-f]{12})$")


@dataclass(frozen=True)
class Dump:
    """One landed KB dump file and its version key."""

    kind: str  # one of KINDS
    language: str | None  # DaMuEL parts only
    path: Path
    key: str


@dataclass(frozen=True)
class Scan:
    """Dumps found (sorted by key), files ignored with the reason, and the updated stat cache."""

    dumps: tuple[Dump, ...]
    ignored: tuple[str, ...]
    cache: dict[str, list]  # relative path -> [size, mtime_ns, key]: unchanged files are not hashed again


def dump_key(kind: str, language: str | None, path: Path, sha256: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", _stem(path))[:40] or "dump"
    return "-".join(part for part in (kind, language, name, sha256[:12]) if part)


def parse_key(key: str) -> tuple[str, str | None]:
    """(kind, language) of a dump key; a malformed key is an `InputError`."""
    match = KEY_PATTERN.match(key)
    if match is None:
        raise InputError(f"not a KB dump key: {key!r} (expected <kind>[-<language>]-<name>-<sha12>)", field="partition")
    return match.group(1), match.group(2)


def scan_landing(landing: Path, cache: Mapping[str, list] | None = None, settle_s: float = 0.0) -> Scan:
    """Every settled dump file under `landing` (an absent folder holds none)."""
    cache = dict(cache or {})
    dumps, ignored, seen = [], [], {}
    now = time.time()
    for relative, path, kind, language, problem in _candidates(landing):
        if problem:
            ignored.append(f"{relative}: {problem}")
            continue
        stat = path.stat()
        if now - stat.st_mtime < settle_s:
            continue
        entry = cache.get(str(relative))
        if entry and entry[:2] == [stat.st_size, stat.st_mtime_ns]:
            key = entry[2]
        else:
            key = dump_key(kind, language, path, file_sha256(path))
        seen[str(relative)] = [stat.st_size, stat.st_mtime_ns, key]
        dumps.append(Dump(kind, language, path, key))
    return Scan(tuple(sorted(dumps, key=lambda d: d.key)), tuple(ignored), seen)


def find_dump(landing: Path, key: str) -> Dump:
    """The landed file whose content has version `key`; `InputError` when it is not there."""
    kind, language = parse_key(key)
    for _, path, found_kind, found_language, problem in _candidates(landing):
        # Only files whose kind, language and name match the key's are hashed.
        if problem or dump_key(found_kind, found_language, path, "") != key[:-13]:
            continue
        if file_sha256(path)[:12] == key[-12:]:
            return Dump(kind, language, path, key)
    raise InputError(f"no {kind} dump with key {key!r} in the landing folder", path=landing)


def _candidates(landing: Path) -> Iterator[tuple[Path, Path, str, str | None, str]]:
    """(relative path, path, kind, language, problem) of each file not still being written, sorted."""
    for path in sorted(landing.rglob("*")) if landing.is_dir() else ():
        if not path.is_file():
            continue
        relative = path.relative_to(landing)
        if any(part.startswith((".", "_")) for part in relative.parts) or path.name.endswith(PARTIAL_SUFFIXES):
            continue
        yield relative, path, *_classify(relative)


def _classify(relative: Path) -> tuple[str, str | None, str]:
    """(kind, language, problem) from a path relative to the landing folder."""
    parts = relative.parts
    if parts[0] not in KINDS:
        return "", None, f"not under one of {', '.join(KINDS)}/"
    if parts[0] == "damuel":
        if len(parts) != 3 or not re.fullmatch(r"[a-z]{2,3}", parts[1]):
            return "", None, "DaMuEL parts go in damuel/<language>/<file>"
        return "damuel", parts[1], ""
    if len(parts) != 2:
        return "", None, f"{parts[0]} dumps go directly in {parts[0]}/"
    return parts[0], None, ""


def _stem(path: Path) -> str:
    name = path.name
    for suffix in COMPRESSED:
        name = name.removesuffix(suffix)
    return name.rsplit(".", 1)[0] if "." in name else name
