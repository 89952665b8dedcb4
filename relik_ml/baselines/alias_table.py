"""The thesis's alias table (Alg. 1-2): a mention string -> KB entities ranked by training anchor counts.

Aliases come from three sources: each entity's KB title, redirect aliases (alias -> target title) and
training anchors (mention string -> gold entity, counted). Each alias is looked up *cased* (the string
as written) or *uncased* (through `key`, the KB's normalised key, e.g. lower-cased ASCII). The entities
of an alias are ranked by anchor count (descending), then by source (exact title before redirect alias
before anchor-only), then by KB row. An unknown alias gives an empty list (the thesis's NIL).

Memory: one dict entry per distinct alias and case; an entry's entities are packed ints
`row * 2 + source` (a bare int when the alias has one entity), anchors a small separate dict.
"""
from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from relik_ml.errors import InputError
from relik_ml.io import atomic_directory, iter_jsonl, read_manifest, write_manifest

Case = Literal["cased", "uncased"]
CASES: tuple[Case, ...] = ("cased", "uncased")
TITLE, ALIAS, ANCHOR = 0, 1, 2  # source ranks: lower is preferred at equal anchor counts
SOURCES = ("title", "alias", "anchor")
ARTIFACT = "alias_table"
ENTITIES_FILE = "entities.jsonl.gz"  # {"id": entity id} per line, in KB row order
ALIASES_FILE = "aliases.jsonl.gz"  # {"case", "alias", "entities": [[row, anchor count, source], ...]}

Packed = int | list[int]  # row * 2 + (TITLE | ALIAS); a list when the alias has several


@dataclass(frozen=True)
class AliasTableConfig:
    """What the table keeps."""

    max_entities: int = 100  # entities kept per alias at save time (Alg. 2's K; 100 serves R@100)

    def __post_init__(self) -> None:
        if self.max_entities < 1:
            raise ValueError(f"max_entities must be >= 1, got {self.max_entities}")


@dataclass(frozen=True)
class Ranked:
    """One entity of an alias's ranked list."""

    entity_id: str
    row: int  # KB row
    anchor_count: int  # training anchors of this alias linking to the entity
    source: str  # best source: "title", "alias" or "anchor"


class AliasTable:
    """Alias -> ranked entities, cased and uncased; build with `AliasTableBuilder`, or `load`."""

    def __init__(self, key: Callable[[str], str], config: AliasTableConfig = AliasTableConfig()) -> None:
        self.key = key
        self.config = config
        self.entity_ids: list[str] = []
        self.static: dict[Case, dict[str, Packed]] = {case: {} for case in CASES}  # titles and redirects
        self.anchors: dict[Case, dict[str, Counter[int]]] = {case: {} for case in CASES}  # alias -> row -> count

    def lookup(self, mention: str, k: int | None = None, case: Case = "uncased") -> list[str]:
        """Entity ids for `mention`, best first (at most k); [] when the alias is unknown."""
        return [r.entity_id for r in self.ranked(mention, case)[:k]]

    def ranked(self, mention: str, case: Case = "uncased") -> list[Ranked]:
        """Every entity of the alias `mention` (keyed first when uncased), best first."""
        return self.ranked_alias(mention if case == "cased" else self.key(mention), case)

    def ranked_alias(self, alias: str, case: Case) -> list[Ranked]:
        """Every entity of a stored alias (already keyed when uncased), best first."""
        best: dict[int, int] = {}
        packed = self.static[case].get(alias, ())
        for code in (packed,) if isinstance(packed, int) else packed:
            row, source = divmod(code, 2)
            best[row] = min(best.get(row, ANCHOR), source)
        counts = self.anchors[case].get(alias, Counter())
        for row in counts:
            best.setdefault(row, ANCHOR)
        order = sorted(best, key=lambda row: (-counts[row], best[row], row))
        return [Ranked(self.entity_ids[row], row, counts[row], SOURCES[best[row]]) for row in order]

    def aliases(self, case: Case = "uncased") -> list[str]:
        """Every distinct alias of a case (titles, redirects and anchors), in first-seen order."""
        static = self.static[case]
        return [*static, *(a for a in self.anchors[case] if a not in static)]

    def counts(self) -> dict[str, int]:
        """Entities, distinct aliases per case and anchor (alias, entity) pairs per case."""
        out = {"entities": len(self.entity_ids)}
        for case in CASES:
            out[f"{case}_aliases"] = len(self.aliases(case))
            out[f"{case}_anchor_pairs"] = sum(len(c) for c in self.anchors[case].values())
        return out

    def save(self, directory: str | Path, extra: dict[str, Any] | None = None) -> None:
        """Write the table atomically: gzipped JSON lines plus `manifest.json` (config, key name, counts)."""
        with atomic_directory(directory) as tmp:
            with gzip.open(tmp / ENTITIES_FILE, "wt", encoding="utf-8", compresslevel=1) as handle:
                handle.writelines(json.dumps({"id": e}, ensure_ascii=False) + "\n" for e in self.entity_ids)
            with gzip.open(tmp / ALIASES_FILE, "wt", encoding="utf-8", compresslevel=1) as handle:
                handle.writelines(json.dumps(obj, ensure_ascii=False) + "\n" for obj in self._alias_records())
            write_manifest(tmp, artifact=ARTIFACT, config=self.config, counts=self.counts(),
                           extra={"key": key_name(self.key), **(extra or {})})

    def _alias_records(self) -> Iterator[dict[str, Any]]:
        for case in CASES:
            for alias in self.aliases(case):
                entities = self.ranked_alias(alias, case)[: self.config.max_entities]
                yield {"case": case, "alias": alias,
                       "entities": [[r.row, r.anchor_count, SOURCES.index(r.source)] for r in entities]}

    @classmethod
    def load(cls, directory: str | Path, key: Callable[[str], str]) -> AliasTable:
        """Read a saved table; `key` must be the function it was built with (checked by name)."""
        directory = Path(directory)
        manifest = read_manifest(directory)
        if manifest.get("key") != key_name(key):
            raise InputError(f"built with key {manifest.get('key')!r}, loaded with {key_name(key)!r}",
                             path=directory / "manifest.json", field="key")
        table = cls(key, AliasTableConfig(**manifest.get("config", {})))
        for number, obj in iter_jsonl(directory / ENTITIES_FILE):
            table.entity_ids.append(_field(obj, "id", str, directory / ENTITIES_FILE, number))
        for number, obj in iter_jsonl(directory / ALIASES_FILE):
            table._read_alias(obj, directory / ALIASES_FILE, number)
        return table

    def _read_alias(self, obj: dict[str, Any], path: Path, number: int) -> None:
        case = _field(obj, "case", str, path, number)
        if case not in CASES:
            raise InputError(f"must be one of {CASES}, got {case!r}", path=path, line=number, field="case")
        alias = _field(obj, "alias", str, path, number)
        static: list[int] = []
        for entry in _field(obj, "entities", list, path, number):
            if not (isinstance(entry, list) and len(entry) == 3 and all(isinstance(x, int) for x in entry)
                    and 0 <= entry[0] < len(self.entity_ids) and entry[2] in (TITLE, ALIAS, ANCHOR)):
                raise InputError(f"expected [row, anchor count, source], got {entry!r}", path=path, line=number,
                                 field="entities")
            row, count, source = entry
            if count:
                self.anchors[case].setdefault(alias, Counter())[row] = count
            if source != ANCHOR:
                static.append(row * 2 + source)
        if static:
            self.static[case][alias] = static[0] if len(static) == 1 else static


class AliasTableBuilder:
    """Streams entities first, then redirect aliases and training anchors, into an `AliasTable`.

    Aliases and anchors name their entity by id or title; it is resolved through `key` to the KB
    entity whose title has that key (all of them if several share it). Unresolved ones are counted.
    """

    def __init__(self, key: Callable[[str], str], config: AliasTableConfig = AliasTableConfig()) -> None:
        self.table = AliasTable(key, config)
        self.skipped: Counter[str] = Counter()  # "alias_target_unknown", "anchor_target_unknown", "empty"
        self._entities_done = False  # set by the first alias or anchor: rows must exist before they resolve

    def add_entities(self, entities: Iterable[tuple[str, str]]) -> None:
        """(entity id, display title) pairs in KB row order; the title becomes a cased and an uncased alias."""
        if self._entities_done:
            raise ValueError("add every entity before aliases and anchors")
        for entity_id, title in entities:
            row = len(self.table.entity_ids)
            self.table.entity_ids.append(entity_id)
            self._add_static(title, row, TITLE)

    def add_aliases(self, aliases: Iterable[tuple[str, str]]) -> None:
        """(alias, target entity id or title) pairs, e.g. Wikipedia redirects."""
        self._entities_done = True
        for alias, target in aliases:
            rows = self._rows(target)
            if not rows:
                self.skipped["alias_target_unknown"] += 1
            for row in rows:
                self._add_static(alias, row, ALIAS)

    def add_anchors(self, anchors: Iterable[tuple[str, str]]) -> None:
        """(mention string, gold entity id or title) pairs from training data; each occurrence counts once."""
        self._entities_done = True
        for mention, target in anchors:
            rows = self._rows(target)
            if not rows or not mention.strip():
                self.skipped["anchor_target_unknown" if mention.strip() else "empty"] += 1
            for row in rows:
                for case, alias in self._cases(mention):
                    self.table.anchors[case].setdefault(alias, Counter())[row] += 1

    def build(self) -> AliasTable:
        return self.table

    def _rows(self, target: str) -> list[int]:
        packed = self.table.static["uncased"].get(self.table.key(target), ())
        codes = (packed,) if isinstance(packed, int) else packed
        return [code // 2 for code in codes if code % 2 == TITLE]

    def _cases(self, alias: str) -> list[tuple[Case, str]]:
        keyed = self.table.key(alias)
        return [("cased", alias), ("uncased", alias if keyed == alias else keyed)]  # one string object when equal

    def _add_static(self, alias: str, row: int, source: int) -> None:
        if not alias.strip():
            self.skipped["empty"] += 1
            return
        for case, text in self._cases(alias):
            entries = self.table.static[case]
            code = row * 2 + source
            old = entries.get(text)
            if old is None:
                entries[text] = code
            elif isinstance(old, int):
                if old != code:
                    entries[text] = [old, code]
            else:
                old.append(code)  # a repeated (alias, row, source) is merged when ranked


def key_name(key: Callable[[str], str]) -> str:
    """`module.qualname` of a key function: what a saved table records and `load` checks."""
    return f"{getattr(key, '__module__', '?')}.{getattr(key, '__qualname__', repr(key))}"


def _field(obj: dict[str, Any], name: str, kind: type, path: Path, number: int) -> Any:
    value = obj.get(name)
    if not isinstance(value, kind):
        raise InputError(f"expected {kind.__name__}, got {type(value).__name__}", path=path, line=number, field=name)
    return value
