"""A branch's params.yaml section, typed: every key known, K and the window stated once.

K (retrieval depth) is stated once per candidate kind, as `<prefix>.top_k` (entities) and
`<prefix>.relation_top_k` (relations); the window once for every branch, in `task_windows`. Both
are derived into the stages that use them: the candidates' `top_k`, the reader's `max_candidates` /
`max_relation_candidates`, the report's `relik.json` (`top_k`, `relation_top_k`, `window_size`,
`stride`, `topic`) and, unless set, the retriever's dev recall@K (`train.eval_k`). The reader and
report `task` follow the branch. Restating a derived key, or any unknown key, is an `InputError`
naming the key (and the one that states the setting).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from relik_ml.config import Params, build_section
from relik_ml.errors import InputError
from relik_ml.evaluation.promotion import GateConfig
from relik_ml.evaluation.retrieval_report import RecallGateConfig, RetrievalReportConfig
from relik_ml.index import IndexConfig
from relik_ml.pipeline.relations import HeldOutConfig
from relik_ml.pipeline.retrieval import CandidatesConfig, EmbeddingConfig
from relik_ml.retriever.config import RetrieverConfig, RetrieverTrainConfig
from relik_ml.stages.branch import Branch, Retrieval
from relik_ml.stages.kinds import KBS, KINDS

WINDOW_KEYS = ("window_size", "stride", "topic")  # relik.json keys stated once, in `task_windows`


@dataclass(frozen=True)
class BranchSettings:
    """Branch-level keys (each stage's own section is typed below)."""

    dataset: str = ""  # a raw.datasets name
    train_split: str = "train"  # the dataset's training split (own windows: unused with held_out.source_split)
    dev_split: str = "dev"  # the model-selection split (never a test split)
    eval_splits: tuple[str, ...] = ()  # shared windows: splits in the evaluation report (() = dev_split)
    held_out: HeldOutConfig = field(default_factory=HeldOutConfig)  # own windows: a hash split of one source split
    relations: str = ""  # relation_definitions KB: JSON {relation id: definition}
    all_relations: bool = False  # every relation a candidate of every window, fixed order, no relation index
    top_k: int = 20  # K of entity candidates per window
    relation_top_k: int = 24  # K of relation candidates per window


@dataclass(frozen=True)
class EmbeddingsConfig:
    batch_size: int = 128  # passages per forward pass (one shard: relation sets and branch KBs are small)


@dataclass(frozen=True)
class RetrieverSection:
    backbone: str = "minilm-l6"  # backbone name; a pretrained chain's retriever starts from retriever_pretrained
    model: RetrieverConfig = field(default_factory=RetrieverConfig)
    train: RetrieverTrainConfig = field(default_factory=RetrieverTrainConfig)


@dataclass(frozen=True)
class ModelSection:
    """A training stage's section as stated: the reader's (model: RelikReaderConfig keys with task and K
    derived in; train: ReaderTrainConfig keys), or a retriever's before typing."""

    backbone: str = "minilm-l6"  # backbone name (relik_ml.backbones)
    model: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportOptions:
    """Evaluation-report options beyond the `relik.json` settings and the gate."""

    title: str = ""  # report title ("" = the branch's default)
    # the run's result file (relik_ml.pipeline.run_results), relative to the params file's folder;
    # "" = <data_root>/<prefix>/results.json (git-ignored: a build of the sample dirties no committed file)
    results: str = ""
    held_out_part: str = "dev"  # own windows: the held_out part reported, "dev" (it also selects) or "test"


HELD_OUT_PARTS = ("dev", "test")


@dataclass(frozen=True)
class ReportSection:
    settings: dict[str, Any]  # relik.json of the evaluated model: the stated keys plus the derived ones
    gate: GateConfig
    options: ReportOptions


@dataclass(frozen=True)
class RecallReportSection:
    report: RetrievalReportConfig
    gate: RecallGateConfig


@dataclass(frozen=True)
class BranchConfig:
    """A branch section, typed: branch-level settings and each stage's section by stage name."""

    settings: BranchSettings
    sections: Mapping[str, Any]

    def k(self, retrieval: Retrieval) -> int:
        return getattr(self.settings, KINDS[retrieval.kind].k_key)


def stage_sections(branch: Branch) -> list[str]:
    """The params sections of the branch's stages (a stage's section is its name without the prefix)."""
    names = []
    for retrieval in branch.retrievals:
        kind = KINDS[retrieval.kind]
        names += ["retriever_pretrained"] if retrieval.pretrained else []
        names += [kind.retriever, kind.embeddings, kind.index]
        names += ["retriever_eval_report"] if retrieval.recall_report else []
        names += [kind.candidates]
    return [*names, "reader", "evaluation_report"]


def branch_keys(branch: Branch) -> list[str]:
    """The branch-level keys this branch reads."""
    keys = ["dataset", "train_split", "dev_split", "eval_splits" if branch.windows == "shared" else "held_out"]
    for retrieval in branch.retrievals:
        keys.append(KINDS[retrieval.kind].k_key)
        keys += ["all_relations"] if retrieval.kind == "relation" else []
        keys += ["relations"] if KBS[retrieval.kb].builder == "definitions" else []
    return keys


class _Section:
    """One branch section being typed: where it is, for errors."""

    def __init__(self, params: Params, branch: Branch) -> None:
        self.params, self.branch, self.source = params, branch, params.source or params.root / "params.yaml"
        raw = params.sections.get(branch.prefix) or {}
        if not isinstance(raw, dict):
            raise InputError("expected a mapping", path=self.source, field=branch.prefix)
        self.raw = raw

    def key(self, *path: str) -> str:
        return ".".join((self.branch.prefix, *path))

    def get(self, *path: str) -> dict[str, Any]:
        section: Any = self.raw
        for part in path:
            section = (section or {}).get(part)
        if section is not None and not isinstance(section, dict):
            raise InputError("expected a mapping", path=self.source, field=self.key(*path))
        return dict(section or {})

    def typed(self, cls: type, section: dict[str, Any] | None, *path: str) -> Any:
        return build_section(cls, section, name=self.key(*path), source=self.source)

    def derived(self, section: Mapping[str, Any], key: str, stated_as: str, *path: str) -> None:
        """A key whose setting is stated elsewhere must not be restated."""
        if key in section:
            raise InputError(f"restates {stated_as}, where the setting is stated once; remove this key",
                             path=self.source, field=self.key(*path, key))


def branch_config(params: Params, branch: Branch) -> BranchConfig:
    """The typed section of `branch` in `params` (an `InputError` naming any unknown or restated key)."""
    s = _Section(params, branch)
    known_keys = [*branch_keys(branch), *stage_sections(branch)]
    unknown = sorted(set(s.raw) - set(known_keys))
    if unknown:
        raise InputError(f"unknown keys {unknown}; expected some of {sorted(known_keys)}", path=s.source,
                         field=branch.prefix)
    stated = {k: v for k, v in s.raw.items() if k in branch_keys(branch) and k != "held_out"}
    settings = s.typed(BranchSettings, {**stated, "held_out": s.typed(HeldOutConfig, s.get("held_out"), "held_out")})
    config = BranchConfig(settings, {})
    sections: dict[str, Any] = {}
    for retrieval in branch.retrievals:
        kind, k = KINDS[retrieval.kind], config.k(retrieval)
        if retrieval.pretrained:
            sections["retriever_pretrained"] = _retriever(s, "retriever_pretrained", retrieval, k)
        sections[kind.retriever] = _retriever(s, kind.retriever, retrieval, k, backbone=not retrieval.pretrained)
        embeddings = EmbeddingConfig if retrieval.sharded else EmbeddingsConfig
        sections[kind.embeddings] = s.typed(embeddings, s.get(kind.embeddings), kind.embeddings)
        sections[kind.index] = s.typed(IndexConfig, s.get(kind.index), kind.index)
        if retrieval.recall_report:
            report = s.get("retriever_eval_report")
            gate = s.typed(RecallGateConfig, report.pop("gate", None), "retriever_eval_report", "gate")
            sections["retriever_eval_report"] = RecallReportSection(
                s.typed(RetrievalReportConfig, report, "retriever_eval_report"), gate)
        candidates = s.get(kind.candidates)
        s.derived(candidates, "top_k", s.key(kind.k_key), kind.candidates)
        sections[kind.candidates] = s.typed(CandidatesConfig, {**candidates, "top_k": k}, kind.candidates)
    sections["reader"] = _reader(s, config)
    sections["evaluation_report"] = _report(s, config)
    return BranchConfig(settings, sections)


def _retriever(s: _Section, name: str, retrieval: Retrieval, k: int, *, backbone: bool = True) -> RetrieverSection:
    section = s.typed(ModelSection, s.get(name), name)
    if not backbone and "backbone" in s.get(name):
        raise InputError(f"the retriever starts from {s.branch.prefix}/retriever_pretrained; set "
                         f"{s.key('retriever_pretrained', 'backbone')} instead", path=s.source, field=s.key(name, "backbone"))
    s.derived(section.train, "task", f"the {retrieval.kind} retrieval of the branch", name, "train")
    train = {"eval_k": k, **section.train, "task": KINDS[retrieval.kind].retriever_task}
    try:
        model = RetrieverConfig.from_settings(section.model, field=s.key(name, "model"))
    except InputError as exc:
        raise InputError(exc.message, path=s.source, field=exc.field) from None
    return RetrieverSection(section.backbone, model, s.typed(RetrieverTrainConfig, train, name, "train"))


def _reader(s: _Section, config: BranchConfig) -> ModelSection:
    from relik_ml.reader.configuration import RelikReaderConfig
    from relik_ml.reader.train import ReaderTrainConfig

    section = s.typed(ModelSection, s.get("reader"), "reader")
    s.derived(section.model, "task", f"the branch task ({s.branch.task})", "reader", "model")
    model = {**section.model, "task": s.branch.task}
    for retrieval in s.branch.retrievals:
        kind = KINDS[retrieval.kind]
        s.derived(section.model, kind.reader_k, s.key(kind.k_key), "reader", "model")
        model[kind.reader_k] = config.k(retrieval)
    try:
        RelikReaderConfig.from_settings(model, field=s.key("reader", "model"))
    except InputError as exc:
        raise InputError(exc.message, path=s.source, field=exc.field) from None
    if "phases" in section.train and "max_steps" in section.train:
        raise InputError("with phases, max_steps is the sum of the phases' max_steps; remove this key",
                         path=s.source, field=s.key("reader", "train", "max_steps"))
    s.typed(ReaderTrainConfig, {"backbone_path": "", **section.train}, "reader", "train")
    return ModelSection(section.backbone, model, dict(section.train))


def _report(s: _Section, config: BranchConfig) -> ReportSection:
    from relik_ml.inference.settings import RelikSettings

    section = s.get("evaluation_report")
    settings = dict(section.pop("settings", None) or {})
    gate = s.typed(GateConfig, section.pop("gate", None), "evaluation_report", "gate")
    options = s.typed(ReportOptions, section, "evaluation_report")
    _check_held_out_part(s, config, options.held_out_part)
    windows = s.params.task_windows
    derived = {"task": (s.branch.task, f"the branch task ({s.branch.task})"),
               **{key: (getattr(windows, key), f"task_windows.{key}") for key in WINDOW_KEYS}}
    for retrieval in s.branch.retrievals:
        kind = KINDS[retrieval.kind]
        derived[kind.k_key] = (config.k(retrieval), s.key(kind.k_key))
    for key, (_, stated_as) in derived.items():
        s.derived(settings, key, stated_as, "evaluation_report", "settings")
    settings = {**{key: value for key, (value, _) in derived.items()}, **settings}
    s.typed(RelikSettings, settings, "evaluation_report", "settings")
    return ReportSection(settings, gate, options)


def _check_held_out_part(s: _Section, config: BranchConfig, part: str) -> None:
    field = s.key("evaluation_report", "held_out_part")
    if part not in HELD_OUT_PARTS:
        raise InputError(f"expected one of {list(HELD_OUT_PARTS)}, got {part!r}", path=s.source, field=field)
    held_out = config.settings.held_out
    if part == "test" and (s.branch.windows != "own" or not held_out.source_split or not held_out.test_percent):
        raise InputError(f"reports the held-out test part, which needs {s.key('held_out', 'source_split')} and "
                         f"{s.key('held_out', 'test_percent')} > 0", path=s.source, field=field)


def check_branches(params: Params, branches: list[Branch]) -> None:
    """Type every branch section now, so a bad key fails before any stage runs."""
    for branch in branches:
        branch_config(params, branch)

