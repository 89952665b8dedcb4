"""The branch factory: the stages of a task branch, built from its description (`stages.branch`).

[own windows] -> [own KBs] -> per retrieval: [retriever_pretrained] -> retriever -> embeddings ->
index -> [retriever_eval_report] -> candidates; then reader -> evaluation_report -> promoted_model.
Each stage call below reads the branch's typed section (`branch_config`) and hands paths and
configs to one pipeline function; nothing here is specific to a branch.
"""
from __future__ import annotations

from functools import partial
from pathlib import Path

from relik_ml.config import Params, build_section
from relik_ml.pipeline import evaluation, reading, retrieval, task_windows
from relik_ml.pipeline import relations as relation_stages
from relik_ml.pipeline.retrieval import EmbeddingConfig
from relik_ml.pipeline.run_results import RunRecord
from relik_ml.stages.branch import Branch, Retrieval
from relik_ml.stages.branch_config import BranchConfig, branch_config
from relik_ml.stages.core import Stage, StageCall
from relik_ml.stages.kinds import KBS, KINDS, Kind, kb_artifact
from relik_ml.tracking import TrackingConfig

PARTS = ("train", "dev")  # partitions of an own `<prefix>/task_windows`; "test" too when the report reads it
RESULTS_FILE = "results.json"  # default result file of a run, under <data_root>/<prefix>/


def tracking(params: Params) -> TrackingConfig:
    return build_section(TrackingConfig, params.sections.get("tracking"), name="tracking",
                         source=params.root / "params.yaml")


class _Wiring:
    """Paths of one branch under one params: windows, KBs, artifacts, splits."""

    def __init__(self, branch: Branch, params: Params) -> None:
        self.branch, self.params, self.p = branch, params, branch.prefix
        self.config: BranchConfig = branch_config(params, branch)
        self.settings = self.config.settings

    def dir(self, name: str, part: str | None = None) -> Path:
        return self.params.artifact_dir(f"{self.p}/{name}", part)

    def kb(self, retrieval: Retrieval) -> Path:
        return self.params.artifact_dir(kb_artifact(self.p, KBS[retrieval.kb]))

    def windows(self, split: str) -> Path:
        if self.branch.windows == "own":
            return self.dir("task_windows", split)
        if not self.settings.dataset:
            raise KeyError(f"{self.p}.dataset is not set")
        return self.params.artifact_dir("task_windows", f"{self.settings.dataset}-{split}")

    @property
    def train_dev(self) -> tuple[str, str]:
        return PARTS if self.branch.windows == "own" else (self.settings.train_split, self.settings.dev_split)

    @property
    def eval_splits(self) -> list[str]:
        if self.branch.windows == "own":
            return [self.config.sections["evaluation_report"].options.held_out_part]
        return list(self.settings.eval_splits or (self.settings.dev_split,))

    def split_windows(self, splits: list[str]) -> dict[str, Path]:
        return {split: self.windows(split) for split in dict.fromkeys(splits)}

    def report_windows(self) -> dict[str, Path]:
        """Report row name (`<dataset>-<split>`) -> windows of each evaluated split."""
        dataset = self.settings.dataset
        return {f"{dataset}-{split}": self.windows(split) for split in self.eval_splits}

    def warm_start(self, train: dict) -> dict[str, Path]:
        """The reader directory a run continues from (`train.init_from`), hashed like any other input."""
        return {"init_from": Path(train["init_from"])} if train.get("init_from") else {}


def own_parts(branch: Branch, params: Params) -> list[str]:
    """Partitions of an own `<prefix>/task_windows`: train, dev, and the held-out test part when reported."""
    return list(dict.fromkeys([*PARTS, *_Wiring(branch, params).eval_splits]))


def own_windows_call(branch: Branch, params: Params, part: str | None) -> StageCall:
    assert part in own_parts(branch, params), "an own task_windows is partitioned by train / dev (/ test)"
    w = _Wiring(branch, params)
    data, held_out = w.settings, w.settings.held_out
    if data.dataset not in params.raw.datasets:
        raise KeyError(f"{w.p}.dataset {data.dataset!r} is not in raw.datasets")
    source = params.raw.datasets[data.dataset]
    split = held_out.source_split or (data.train_split if part == "train" else data.dev_split)
    if split not in source.splits:
        raise KeyError(f"raw.datasets.{data.dataset} has no split {split!r}")
    out, windows = w.dir("task_windows", part), params.task_windows
    inputs = {f"file{i}": params.resolve(f) for i, f in enumerate(source.splits[split])}
    config = {"windows": windows, "held_out": held_out, "split": split}
    if held_out.source_split:
        build = partial(relation_stages.held_out_windows, source, held_out, part, windows, params.root, out)
    else:
        build = partial(task_windows, source, split, windows, params.root, out)
    return StageCall(f"{w.p}/task_windows", part, out, config, inputs, build)


def definitions_kb_call(branch: Branch, params: Params, _: str | None) -> StageCall:
    w = _Wiring(branch, params)
    if not w.settings.relations:
        raise KeyError(f"{w.p}.relations (a JSON file of relation definitions) is not set")
    source, out = params.resolve(w.settings.relations), w.dir("relation_passages")
    return StageCall(f"{w.p}/relation_passages", None, out, {"relations": w.settings.relations},
                     {"definitions": source}, partial(relation_stages.definition_passages, source, out))


def qid_kb_call(branch: Branch, params: Params, _: str | None) -> StageCall:
    kilt, out = params.resolve(params.raw.kilt), params.artifact_dir(f"{branch.prefix}/entity_passages")
    config = params.entity_passages
    return StageCall(f"{branch.prefix}/entity_passages", None, out, config, {"kilt": kilt},
                     partial(relation_stages.qid_entity_passages, kilt, config, out))


def retriever_call(branch: Branch, r: Retrieval, name: str, params: Params, _: str | None) -> StageCall:
    """`name`: the retrieval's retriever or its `retriever_pretrained` (trained on hyperlink windows)."""
    w = _Wiring(branch, params)
    section = w.config.sections[name]
    train, dev = w.train_dev
    passages, out, stage = w.kb(r), w.dir(name), f"{w.p}/{name}"
    if name == "retriever_pretrained":
        backbone, train_dir = section.backbone, params.artifact_dir("pretraining_windows")
        extra = {"backbones": params.artifact_dir("backbones")}
    elif r.pretrained:
        backbone, train_dir = w.dir("retriever_pretrained"), w.windows(train)
        extra = {"retriever_pretrained": backbone}
    else:
        backbone, train_dir = section.backbone, w.windows(train)
        extra = {"backbones": params.artifact_dir("backbones")}
    dev_dir = w.windows(dev)
    inputs = {**extra, "passages": passages, "train": train_dir, "dev": dev_dir}
    config = {"backbone": str(backbone), "model": section.model, "train": section.train}
    return StageCall(stage, None, out, config, inputs, partial(
        retrieval.retriever, stage, str(backbone), [train_dir], [dev_dir], passages, section.model, section.train,
        tracking(params), params.root, out, params.work_dir(stage)))


def shard_keys(branch: Branch, r: Retrieval, params: Params) -> list[str]:
    shards = branch_config(params, branch).sections[KINDS[r.kind].embeddings].shards
    return [f"shard-{i}" for i in range(shards)]


def embeddings_call(branch: Branch, r: Retrieval, params: Params, shard: str | None) -> StageCall:
    w, kind = _Wiring(branch, params), KINDS[r.kind]
    config = w.config.sections[kind.embeddings]
    model, passages = w.dir(kind.retriever), w.kb(r)
    if r.sharded:
        assert shard is not None, "sharded embeddings are partitioned by shard"
        number, pieces = int(shard.removeprefix("shard-")), config
    else:
        number, pieces = 0, EmbeddingConfig(shards=1, batch_size=config.batch_size)
    out = w.dir(kind.embeddings, shard)
    return StageCall(f"{w.p}/{kind.embeddings}", shard, out, config, {"retriever": model, "passages": passages},
                     partial(retrieval.passage_embeddings, model, passages, number, pieces, out))


def embedding_dirs(branch: Branch, r: Retrieval, params: Params) -> dict[str, Path]:
    kind = KINDS[r.kind]
    name = f"{branch.prefix}/{kind.embeddings}"
    if r.sharded:
        return {f"shard{i}": params.artifact_dir(name, key) for i, key in enumerate(shard_keys(branch, r, params))}
    return {"embeddings": params.artifact_dir(name)}


def index_call(branch: Branch, r: Retrieval, params: Params, _: str | None) -> StageCall:
    w, kind = _Wiring(branch, params), KINDS[r.kind]
    config, shards, out = w.config.sections[kind.index], embedding_dirs(branch, r, params), w.dir(kind.index)
    return StageCall(f"{w.p}/{kind.index}", None, out, config, shards,
                     partial(retrieval.passage_index, list(shards.values()), config, out))


def recall_report_call(branch: Branch, r: Retrieval, params: Params, _: str | None) -> StageCall:
    w, kind = _Wiring(branch, params), KINDS[r.kind]
    section = w.config.sections["retriever_eval_report"]
    model, index, passages = w.dir(kind.retriever), w.dir(kind.index), w.kb(r)
    backbone = w.config.sections["retriever_pretrained" if r.pretrained else kind.retriever].backbone
    eval_dirs = w.split_windows([w.train_dev[1], *w.eval_splits])
    out = w.dir("retriever_eval_report")
    inputs = {"retriever": model, "index": index, "passages": passages,
              **{f"windows_{s}": d for s, d in eval_dirs.items()}}
    config = {"backbone": backbone, "report": section.report, "gate": section.gate}
    return StageCall(f"{w.p}/retriever_eval_report", None, out, config, inputs, partial(
        retrieval.retriever_eval_report, model, index, passages, backbone, eval_dirs, section.report, section.gate,
        out))


def candidates_call(branch: Branch, r: Retrieval, params: Params, _: str | None) -> StageCall:
    w, kind = _Wiring(branch, params), KINDS[r.kind]
    config, model, index = w.config.sections[kind.candidates], w.dir(kind.retriever), w.dir(kind.index)
    windows = w.split_windows([*w.train_dev, *w.eval_splits])
    out = w.dir(kind.candidates)
    inputs = {"retriever": model, "index": index, **{f"windows_{s}": d for s, d in windows.items()}}
    build = partial(retrieval.candidates, model, index, windows, config, out)
    if r.kind == "relation" and w.settings.all_relations:
        config, build = {"all_relations": True}, partial(relation_stages.all_candidates, w.kb(r), windows, out)
    return StageCall(f"{w.p}/{kind.candidates}", None, out, config, inputs, build)


def reader_call(branch: Branch, params: Params, _: str | None) -> StageCall:
    from relik_ml.backbones import resolve_backbone

    w = _Wiring(branch, params)
    section, (train, dev), out = w.config.sections["reader"], w.train_dev, w.dir("reader")
    reads: dict[str, Path] = {}  # per retrieval: its candidates and its KB
    for r in branch.retrievals:
        kind = KINDS[r.kind]
        reads.update({kind.candidates: w.dir(kind.candidates), kind.passages_input: w.kb(r)})
    config = {"backbone": section.backbone, "model": section.model, "train": section.train}
    inputs = {**reads, "backbones": params.artifact_dir("backbones"), "train": w.windows(train),
              "dev": w.windows(dev), **w.warm_start(section.train)}
    train_reader = relation_stages.triplet_reader if branch.retrieval("relation") else reading.reader
    return StageCall(f"{w.p}/reader", None, out, config, inputs, lambda: train_reader(
        f"{w.p}/reader", resolve_backbone(section.backbone), [w.windows(train)], [w.windows(dev)],
        reads.get("candidates"), (train, dev), reads.get("passages"), section.model, section.train, tracking(params),
        params.root, out, relation_candidates_dir=reads.get("relation_candidates"),
        relation_passages_dir=reads.get("relations")))


def evaluation_report_call(branch: Branch, params: Params, _: str | None) -> StageCall:
    w = _Wiring(branch, params)
    section = w.config.sections["evaluation_report"]
    search: dict[str, Path] = {}  # per retrieval: its retriever and index, and its KB
    kbs: dict[str, Path] = {}
    for r in branch.retrievals:
        kind = KINDS[r.kind]
        search.update({kind.retriever: w.dir(kind.retriever), kind.index_input: w.dir(kind.index)})
        kbs[kind.passages_input] = w.kb(r)
    eval_dirs, out = w.report_windows(), w.dir("evaluation_report")
    # every relation a candidate: the model has no relation index (it stays an input: the graph is fixed)
    every_relation = ("relation_retriever", "relation_index") if w.settings.all_relations else ()
    components = {**{k: d for k, d in search.items() if k not in every_relation}, "reader": w.dir("reader"), **kbs}
    inputs = {**search, "reader": w.dir("reader"), **kbs, **{f"eval_{k}": d for k, d in eval_dirs.items()}}
    config = {"settings": section.settings, "gate": section.gate, "options": section.options}
    return StageCall(f"{w.p}/evaluation_report", None, out, config, inputs, lambda: evaluation.evaluation_report(
        components, eval_dirs, section.settings, section.gate, w.dir("promoted_model"), out,
        title=section.options.title or branch.title, record=run_record(branch, params)))


def results_path(branch: Branch, params: Params) -> Path:
    """The run's result file: `<prefix>.evaluation_report.results`, or `<data_root>/<prefix>/results.json`."""
    stated = branch_config(params, branch).sections["evaluation_report"].options.results
    return params.resolve(stated) if stated else params.data_root / branch.prefix / RESULTS_FILE


def run_record(branch: Branch, params: Params) -> RunRecord:
    """What the branch's result file records besides the report: splits, counts, budget, stage times."""
    from relik_ml.stages import STAGES, stage_call
    from relik_ml.stages.memo import stamp_path

    w = _Wiring(branch, params)
    train, dev = w.train_dev
    dataset, held_out = w.settings.dataset, w.settings.held_out

    def name(split: str) -> str:
        return f"{dataset}-{split}"

    splits = dict.fromkeys([train, dev, *w.eval_splits])
    reader = w.config.sections["reader"]
    budget = {"backbone": reader.backbone, "reader_train": reader.train,
              **{KINDS[r.kind].k_key: w.config.k(r) for r in branch.retrievals},
              **{f"{KINDS[r.kind].retriever}_max_steps": w.config.sections[KINDS[r.kind].retriever].train.max_steps
                 for r in branch.retrievals}}
    if branch.windows == "own" and held_out.source_split:
        budget["held_out"] = {"source_split": held_out.source_split, "dev_percent": held_out.dev_percent,
                              "test_percent": held_out.test_percent}
    stamps = {}
    for stage in (s for s in STAGES if s.startswith(f"{w.p}/") and STAGES[s].partitions is None
                  and s != f"{w.p}/evaluation_report" and s != f"{w.p}/promoted_model"):
        stamps[stage] = stamp_path(stage_call(stage, params), params)
    return RunRecord(
        path=results_path(branch, params), branch=w.p, params_file=params.source, root=params.root,
        trained_on=name(train), selected_on=name(dev), windows={name(s): w.windows(s) for s in splits},
        stamps=stamps, budget=budget)


def promoted_model_call(branch: Branch, params: Params, _: str | None) -> StageCall:
    w = _Wiring(branch, params)
    report, gate, out = w.dir("evaluation_report"), w.config.sections["evaluation_report"].gate, w.dir("promoted_model")
    return StageCall(f"{w.p}/promoted_model", None, out, gate, {"evaluation_report": report},
                     partial(evaluation.promoted_model, report, gate, out))


def _kinds(branch: Branch) -> list[Kind]:
    return [KINDS[r.kind] for r in branch.retrievals]


KB_BUILDS = {  # own KBs: (stage call, params keys, raw inputs, description)
    "definitions": (definitions_kb_call, lambda p: (f"{p}.relations",), ("raw_task_datasets",),
                    "Relation passages: label + definition of each relation."),
    "qid": (qid_kb_call, lambda p: ("entity_passages",), ("raw_kilt",),
            "Entity passages keyed by Wikidata QID (KILT pages with a wikidata_id)."),
}


def branch_stages(branch: Branch) -> tuple[Stage, ...]:
    """Every stage of `branch`, in topological order."""
    p, own = branch.prefix, branch.windows == "own"
    windows = f"{p}/task_windows" if own else "task_windows"
    stages = [Stage(windows, "windows", (f"{p}.dataset", f"{p}.held_out", "task_windows"),
                    partial(own_windows_call, branch), raw=("raw_task_datasets",),
                    partitions=partial(own_parts, branch),
                    description="The branch's train / dev (/ test) windows (dataset splits or a held-out hash "
                                "split).")] if own else []
    for r in branch.retrievals:
        kb = KBS[r.kb]
        if kb.builder:
            call, keys, raw, description = KB_BUILDS[kb.builder]
            stages.append(Stage(kb_artifact(p, kb), "kb", keys(p), partial(call, branch), raw=raw, role="passages",
                                description=description))
    for r in branch.retrievals:
        stages.extend(_retrieval_stages(branch, r, windows))
    return (*stages, *_reader_stages(branch, windows))


def _retrieval_stages(branch: Branch, r: Retrieval, windows: str) -> list[Stage]:
    p, kind, passages = branch.prefix, KINDS[r.kind], kb_artifact(branch.prefix, KBS[r.kb])
    k, noun = f"{p}.{kind.k_key}", kind.noun
    names = {role: f"{p}/{name}" for role, name in (("retriever", kind.retriever), ("embeddings", kind.embeddings),
                                                     ("index", kind.index), ("candidates", kind.candidates))}
    stages = []
    if r.pretrained:
        stages.append(Stage(f"{p}/retriever_pretrained", "retrieval", (f"{p}.retriever_pretrained", k),
                            partial(retriever_call, branch, r, "retriever_pretrained"),
                            upstream=("backbones", "pretraining_windows", passages, windows), heavy=True, role="model",
                            description="Bi-encoder pretrained on BLINK-style hyperlink windows (multi-label NCE, "
                                        "mined negatives)."))
    start = (f"{p}/retriever_pretrained",) if r.pretrained else ()
    stages += [
        Stage(names["retriever"], "retrieval", (f"{p}.{kind.retriever}", k), partial(retriever_call, branch, r,
                                                                                     kind.retriever),
              upstream=(*start, passages, windows, *(() if r.pretrained else ("backbones",))), heavy=True, role="model",
              description=f"{noun.title()} retriever of the {p}/ branch, trained on its windows; best by dev recall@K."),
        Stage(names["embeddings"], "retrieval", (f"{p}.{kind.embeddings}",), partial(embeddings_call, branch, r),
              upstream=(names["retriever"], passages), heavy=True, role="embeddings",
              partitions=partial(shard_keys, branch, r) if r.sharded else None,
              description=f"{noun.title()} passage embeddings (.npy + ids)"
                          f"{', one partition per passage shard' if r.sharded else ''}."),
        Stage(names["index"], "retrieval", (f"{p}.{kind.index}",), partial(index_call, branch, r),
              upstream=(names["embeddings"],), role="index",
              description=f"FAISS index of the {p}/ branch's {noun} passages, stable string ids, build-time recall "
                          "vs exact search."),
    ]
    if r.recall_report:
        stages.append(Stage(
            f"{p}/retriever_eval_report", "retrieval",
            (f"{p}.retriever_eval_report", f"{p}.dev_split", f"{p}.eval_splits",
             f"{p}.{'retriever_pretrained' if r.pretrained else kind.retriever}.backbone"),
            partial(recall_report_call, branch, r), upstream=(names["retriever"], names["index"], passages, windows),
            role="recall_report",
            description="Recall@1/10/50/100 per eval split: fine-tuned retriever, untrained backbone, BM25; recall gate."))
    every = (f"{p}.all_relations",) if r.kind == "relation" else ()
    stages.append(Stage(names["candidates"], "reading", (f"{p}.{kind.candidates}", k, *every),
                        partial(candidates_call, branch, r), upstream=(names["retriever"], names["index"], windows),
                        description=f"Top-K {noun} candidates per window for the {p}/ reader, cached."))
    return stages


def _reader_stages(branch: Branch, windows: str) -> list[Stage]:
    p, what = branch.prefix, branch.what
    ks = tuple(f"{p}.{kind.k_key}" for kind in _kinds(branch))
    kbs = tuple(kb_artifact(p, KBS[r.kb]) for r in branch.retrievals)
    reads = tuple(x for r, kb in zip(branch.retrievals, kbs) for x in (f"{p}/{KINDS[r.kind].candidates}", kb))
    search = tuple(f"{p}/{name}" for kind in _kinds(branch) for name in (kind.retriever, kind.index))
    relation = branch.retrieval("relation") is not None
    splits = (f"{p}.all_relations",) if relation else (f"{p}.eval_splits",) if branch.windows == "shared" else ()
    tuned = "span and relation thresholds" if relation else "span thresholds"
    return [
        Stage(f"{p}/reader", "reading", (f"{p}.reader", *ks), partial(reader_call, branch),
              upstream=(*reads, "backbones", windows), heavy=True, role="model",
              description=f"{what} reader (task {branch.task}) over window [SEP] candidates; {tuned} tuned on dev."),
        Stage(f"{p}/evaluation_report", "evaluation", (f"{p}.evaluation_report", *splits, *ks, "task_windows"),
              partial(evaluation_report_call, branch), upstream=(*search, f"{p}/reader", *kbs, windows),
              metrics=partial(results_path, branch),
              description=f"Candidate {what} model assembled and evaluated; gate decision."),
        Stage(f"{p}/promoted_model", "evaluation", (f"{p}.evaluation_report.gate",), partial(promoted_model_call, branch),
              upstream=(f"{p}/evaluation_report",), persist=True, role="model",
              description=f"Self-contained {what} model (Relik.from_pretrained), replaced only when the gate passes."),
    ]
