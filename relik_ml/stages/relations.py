"""Stage calls of the relation extraction (`re/`) and closed IE (`cie/`) branches.

Both mirror the EL chain (`relik_ml.stages.linking`) and reuse its pipeline functions:

re/:  task_windows[train|dev] → relation_passages (label + definition from `re.relations`) →
      relation_retriever → relation_embeddings → relation_index → relation_candidates →
      reader (task "re") → evaluation_report → promoted_model
cie/: task_windows[train|dev] → entity_passages (KILT pages keyed by QID) → retriever →
      passage_embeddings → passage_index → candidates, and the Wikidata `relation_passages` →
      relation_retriever → relation_embeddings → relation_index → relation_candidates;
      both candidate sets → one shared reader (task "cie") → evaluation_report → promoted_model

`{branch}/task_windows` is the branch's train and dev windows: the dataset's own `train_split` /
`dev_split`, or (with `held_out.source_split`) a stable hash split of one source split (NYT ships
only dev in ../shared/data, the REBEL sample one file). With `{branch}.all_relations` every
relation is a candidate of every window, in the order of the relation passages, in training and
at inference, and the promoted model has no relation index (an option for CoNLL04's 5 and NYT's
24 relations). The reader learns the candidate order it is trained with, so the two never mix.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from relik_ml.config import Params, build_section
from relik_ml.evaluation.promotion import GateConfig
from relik_ml.index import IndexConfig
from relik_ml.pipeline import evaluation, reading, retrieval
from relik_ml.pipeline import relations as relation_stages
from relik_ml.retriever.config import RetrieverConfig, RetrieverTrainConfig
from relik_ml.stages.core import Stage, StageCall
from relik_ml.stages.linking import params_section, tracking, typed_section, warm_start_input

PARTS = ("train", "dev")  # partitions of `{branch}/task_windows`


@dataclass(frozen=True)
class BranchData:
    """The task dataset of an RE / cIE branch and how its train / dev windows are made."""

    dataset: str = "conll04"  # a raw.datasets name
    train_split: str = "train"  # the dataset's training split (unused with held_out.source_split)
    dev_split: str = "dev"  # the dataset's model-selection split (unused with held_out.source_split)
    relations: str = ""  # RE: JSON {relation id: definition}; empty for cIE (Wikidata relation_passages)
    all_relations: bool = False  # every relation a candidate of every window, fixed order, no relation index


@dataclass(frozen=True)
class EmbeddingsConfig:
    batch_size: int = 128  # passages per forward pass (one shard: relation sets and the cIE KB are small)


@dataclass(frozen=True)
class ReportOptions:
    """Evaluation-report options beyond the `relik.json` settings and the gate."""

    title: str = ""  # report title ("" = the branch's default)


def branch_data(params: Params, prefix: str) -> BranchData:
    fields = BranchData.__dataclass_fields__
    section = {k: v for k, v in params_section(params, prefix).items() if k in fields}
    return build_section(BranchData, section, name=prefix, source=params.root / "params.yaml")


def _held_out(params: Params, prefix: str) -> relation_stages.HeldOutConfig:
    return typed_section(relation_stages.HeldOutConfig, params, prefix, "held_out")


def _artifact(params: Params, prefix: str, name: str) -> Path:
    return params.artifact_dir(f"{prefix}/{name}")


def _windows(params: Params, prefix: str, part: str) -> Path:
    return params.artifact_dir(f"{prefix}/task_windows", part)


def _parts(_: Params) -> list[str]:
    return list(PARTS)


def task_windows_call(prefix: str, params: Params, part: str | None) -> StageCall:
    assert part in PARTS, "task_windows is partitioned by train / dev"
    data, held_out = branch_data(params, prefix), _held_out(params, prefix)
    if data.dataset not in params.raw.datasets:
        raise KeyError(f"{prefix}.dataset {data.dataset!r} is not in raw.datasets")
    source = params.raw.datasets[data.dataset]
    out, windows = _windows(params, prefix, part), params.task_windows
    split = held_out.source_split or (data.train_split if part == "train" else data.dev_split)
    if split not in source.splits:
        raise KeyError(f"raw.datasets.{data.dataset} has no split {split!r}")
    inputs = {f"file{i}": params.resolve(f) for i, f in enumerate(source.splits[split])}
    config = {"windows": windows, "held_out": held_out, "split": split}
    if held_out.source_split:
        build = partial(relation_stages.held_out_windows, source, held_out, part, windows, params.root, out)
    else:
        from relik_ml.pipeline import task_windows

        build = partial(task_windows, source, split, windows, params.root, out)
    return StageCall(f"{prefix}/task_windows", part, out, config, inputs, build)


def _relation_passages_dir(params: Params, prefix: str) -> Path:
    if prefix == "re":
        return _artifact(params, prefix, "relation_passages")
    return params.artifact_dir("relation_passages")  # cIE: the Wikidata properties


def _entity_passages_dir(params: Params, prefix: str) -> Path:
    return _artifact(params, prefix, "entity_passages")


def relation_passages_call(prefix: str, params: Params, _: str | None) -> StageCall:
    data = branch_data(params, prefix)
    if not data.relations:
        raise KeyError(f"{prefix}.relations (a JSON file of relation definitions) is not set")
    source, out = params.resolve(data.relations), _artifact(params, prefix, "relation_passages")
    return StageCall(f"{prefix}/relation_passages", None, out, {"relations": data.relations}, {"definitions": source},
                     partial(relation_stages.definition_passages, source, out))


def entity_passages_call(prefix: str, params: Params, _: str | None) -> StageCall:
    kilt, out = params.resolve(params.raw.kilt), _entity_passages_dir(params, prefix)
    config = params.entity_passages
    return StageCall(f"{prefix}/entity_passages", None, out, config, {"kilt": kilt},
                     partial(relation_stages.qid_entity_passages, kilt, config, out))


@dataclass(frozen=True)
class _Kind:
    """Entity or relation sub-chain: stage names and the passages / retriever task they use."""

    retriever: str
    embeddings: str
    index: str
    candidates: str
    task: str


ENTITY = _Kind("retriever", "passage_embeddings", "passage_index", "candidates", "el")
RELATION = _Kind("relation_retriever", "relation_embeddings", "relation_index", "relation_candidates", "re")


def _noun(kind: _Kind) -> str:
    return "relation" if kind.task == "re" else "entity"


def _passages(params: Params, prefix: str, kind: _Kind) -> Path:
    return _entity_passages_dir(params, prefix) if kind is ENTITY else _relation_passages_dir(params, prefix)


def retriever_call(prefix: str, kind: _Kind, params: Params, _: str | None) -> StageCall:
    name = f"{prefix}/{kind.retriever}"
    backbone = str(params_section(params, prefix, kind.retriever).get("backbone", "me5-small"))
    model = typed_section(RetrieverConfig, params, prefix, kind.retriever, "model")
    train = replace(typed_section(RetrieverTrainConfig, params, prefix, kind.retriever, "train"), task=kind.task)
    train_dirs, dev_dirs = [_windows(params, prefix, "train")], [_windows(params, prefix, "dev")]
    passages, out = _passages(params, prefix, kind), _artifact(params, prefix, kind.retriever)
    inputs = {"passages": passages, "train": train_dirs[0], "dev": dev_dirs[0],
              "backbones": params.artifact_dir("backbones")}
    return StageCall(
        name, None, out, {"backbone": backbone, "model": model, "train": train}, inputs,
        lambda: retrieval.retriever(name, backbone, train_dirs, dev_dirs, passages, model, train, tracking(params),
                                    params.root, out, params.work_dir(name)),
    )


def embeddings_call(prefix: str, kind: _Kind, params: Params, _: str | None) -> StageCall:
    config = typed_section(EmbeddingsConfig, params, prefix, kind.embeddings)
    model, passages = _artifact(params, prefix, kind.retriever), _passages(params, prefix, kind)
    out = _artifact(params, prefix, kind.embeddings)
    one_shard = retrieval.EmbeddingConfig(shards=1, batch_size=config.batch_size)
    return StageCall(f"{prefix}/{kind.embeddings}", None, out, config, {"retriever": model, "passages": passages},
                     partial(retrieval.passage_embeddings, model, passages, 0, one_shard, out))


def index_call(prefix: str, kind: _Kind, params: Params, _: str | None) -> StageCall:
    config = typed_section(IndexConfig, params, prefix, kind.index)
    embeddings, out = _artifact(params, prefix, kind.embeddings), _artifact(params, prefix, kind.index)
    return StageCall(f"{prefix}/{kind.index}", None, out, config, {"embeddings": embeddings},
                     partial(retrieval.passage_index, [embeddings], config, out))


def candidates_call(prefix: str, kind: _Kind, params: Params, _: str | None) -> StageCall:
    config = typed_section(retrieval.CandidatesConfig, params, prefix, kind.candidates)
    model, index = _artifact(params, prefix, kind.retriever), _artifact(params, prefix, kind.index)
    windows = {part: _windows(params, prefix, part) for part in PARTS}
    out = _artifact(params, prefix, kind.candidates)
    inputs = {"retriever": model, "index": index, **{f"windows_{p}": d for p, d in windows.items()}}
    build = partial(retrieval.candidates, model, index, windows, config, out)
    if kind is RELATION and branch_data(params, prefix).all_relations:
        config = {"all_relations": True}
        build = partial(relation_stages.all_candidates, _passages(params, prefix, kind), windows, out)
    return StageCall(f"{prefix}/{kind.candidates}", None, out, config, inputs, build)


def reader_call(prefix: str, params: Params, _: str | None) -> StageCall:
    from relik_ml.backbones import resolve_backbone

    section = params_section(params, prefix, "reader")
    train_dirs, dev_dirs = [_windows(params, prefix, "train")], [_windows(params, prefix, "dev")]
    entity = {"candidates": _artifact(params, prefix, ENTITY.candidates),
              "passages": _entity_passages_dir(params, prefix)} if prefix == "cie" else {}
    relation = {"relation_candidates": _artifact(params, prefix, RELATION.candidates),
                "relations": _relation_passages_dir(params, prefix)}
    out = _artifact(params, prefix, "reader")
    config = {"backbone": section.get("backbone", "minilm-l6"), "model": section.get("model", {}),
              "train": section.get("train", {})}
    inputs = {**entity, **relation, "backbones": params.artifact_dir("backbones"), "train": train_dirs[0],
              "dev": dev_dirs[0], **warm_start_input(config["train"])}

    def build():
        summary = reading.reader(
            f"{prefix}/reader", resolve_backbone(config["backbone"]), train_dirs, dev_dirs, entity.get("candidates"),
            PARTS, entity.get("passages"), config["model"], config["train"], tracking(params), params.root, out,
            relation_candidates_dir=relation["relation_candidates"], relation_passages_dir=relation["relations"],
        )
        tuning = relation_stages.tune_reader_threshold(
            out, dev_dirs, "dev", candidates_dir=entity.get("candidates"), passages_dir=entity.get("passages"),
            relation_candidates_dir=relation["relation_candidates"], relation_passages_dir=relation["relations"],
        )
        return replace(summary, extra={**summary.extra, **{f"threshold/{k}": v for k, v in tuning.items()}})

    return StageCall(f"{prefix}/reader", None, out, config, inputs, build)


def _gate(params: Params, prefix: str) -> GateConfig:
    return typed_section(GateConfig, params, prefix, "evaluation_report", "gate")


TITLES = {"re": "Relation extraction evaluation", "cie": "Closed information extraction evaluation"}


def evaluation_report_call(prefix: str, params: Params, _: str | None) -> StageCall:
    section = params_section(params, prefix, "evaluation_report")
    options = build_section(ReportOptions, {k: v for k, v in section.items() if k not in ("settings", "gate")},
                            name=f"{prefix}.evaluation_report", source=params.root / "params.yaml")
    components = {"reader": _artifact(params, prefix, "reader"), "relations": _relation_passages_dir(params, prefix)}
    relation_search = {"relation_retriever": _artifact(params, prefix, RELATION.retriever),
                       "relation_index": _artifact(params, prefix, RELATION.index)}
    data = branch_data(params, prefix)
    if not data.all_relations:
        components.update(relation_search)
    if prefix == "cie":
        components.update(retriever=_artifact(params, prefix, ENTITY.retriever),
                          index=_artifact(params, prefix, ENTITY.index), passages=_entity_passages_dir(params, prefix))
    eval_dirs = {f"{data.dataset}-dev": _windows(params, prefix, "dev")}
    settings = dict(section.get("settings", {}))
    gate, out = _gate(params, prefix), _artifact(params, prefix, "evaluation_report")
    title = options.title or TITLES[prefix]
    # the relation retriever / index stay inputs either way: the lineage graph does not depend on the option
    inputs = {**relation_search, **components, **{f"eval_{k}": d for k, d in eval_dirs.items()}}
    return StageCall(
        f"{prefix}/evaluation_report", None, out, {"settings": settings, "gate": gate, "options": options}, inputs,
        lambda: evaluation.evaluation_report(components, eval_dirs, settings, gate,
                                             _artifact(params, prefix, "promoted_model"), out, title=title),
    )


def promoted_model_call(prefix: str, params: Params, _: str | None) -> StageCall:
    report, gate = _artifact(params, prefix, "evaluation_report"), _gate(params, prefix)
    out = _artifact(params, prefix, "promoted_model")
    return StageCall(f"{prefix}/promoted_model", None, out, gate, {"evaluation_report": report},
                     partial(evaluation.promoted_model, report, gate, out))


def _sub_chain(prefix: str, kind: _Kind, passages: str) -> tuple[Stage, ...]:
    """retriever → embeddings → index → candidates over one passage set."""
    windows = f"{prefix}/task_windows"
    names = [f"{prefix}/{n}" for n in (kind.retriever, kind.embeddings, kind.index, kind.candidates)]
    return (
        Stage(names[0], "retrieval", (names[0].replace("/", "."), "tracking"), partial(retriever_call, prefix, kind),
              upstream=(passages, windows, "backbones"), heavy=True,
              description=f"{_noun(kind).title()} retriever of the {prefix}/ branch (same bi-encoder code)."),
        Stage(names[1], "retrieval", (names[1].replace("/", "."),), partial(embeddings_call, prefix, kind),
              upstream=(names[0], passages), heavy=True,
              description=f"{_noun(kind).title()} passage embeddings (.npy + ids) of the {prefix}/ branch."),
        Stage(names[2], "retrieval", (names[2].replace("/", "."),), partial(index_call, prefix, kind),
              upstream=(names[1],),
              description=f"FAISS index of the {prefix}/ branch's {_noun(kind)} passages."),
        Stage(names[3], "reading", (names[3].replace("/", "."), f"{prefix}.all_relations"),
              partial(candidates_call, prefix, kind),
              upstream=(names[0], names[2], windows),
              description=f"Top-K {_noun(kind)} candidates per window for the {prefix}/ reader."),
    )


def _tail(prefix: str, reader_upstream: tuple[str, ...], report_upstream: tuple[str, ...], what: str
          ) -> tuple[Stage, ...]:
    """reader → evaluation_report → promoted_model."""
    p = prefix
    return (
        Stage(f"{p}/reader", "reading", (f"{p}.reader", "tracking"), partial(reader_call, p),
              upstream=(*reader_upstream, "backbones", f"{p}/task_windows"), heavy=True,
              description=f"Triplet reader (task {p}); relation threshold tuned on dev."),
        Stage(f"{p}/evaluation_report", "evaluation", (f"{p}.evaluation_report", f"{p}.all_relations"),
              partial(evaluation_report_call, p),
              upstream=(f"{p}/reader", *report_upstream, f"{p}/task_windows"),
              description=f"Candidate {what} model assembled and evaluated; gate decision."),
        Stage(f"{p}/promoted_model", "evaluation", (f"{p}.evaluation_report.gate",), partial(promoted_model_call, p),
              upstream=(f"{p}/evaluation_report",), persist=True,
              description=f"Self-contained {what} model (Relik.from_pretrained), replaced only when the gate passes."),
    )


def _windows_stage(prefix: str) -> Stage:
    return Stage(f"{prefix}/task_windows", "windows", (f"{prefix}.dataset", f"{prefix}.held_out", "task_windows"),
                 partial(task_windows_call, prefix), raw=("raw_task_datasets",), partitions=_parts,
                 description="The branch's train / dev windows (dataset splits or a held-out hash split).")


RE_STAGES = (
    _windows_stage("re"),
    Stage("re/relation_passages", "kb", ("re.relations",), partial(relation_passages_call, "re"),
          raw=("raw_task_datasets",), description="Relation passages: label + definition of each relation."),
    *_sub_chain("re", RELATION, "re/relation_passages"),
    *_tail("re", ("re/relation_candidates", "re/relation_passages"),
           ("re/relation_retriever", "re/relation_index", "re/relation_passages"), "RE"),
)

CIE_STAGES = (
    _windows_stage("cie"),
    Stage("cie/entity_passages", "kb", ("entity_passages",), partial(entity_passages_call, "cie"), raw=("raw_kilt",),
          description="Entity passages keyed by Wikidata QID (KILT pages with a wikidata_id)."),
    *_sub_chain("cie", ENTITY, "cie/entity_passages"),
    *_sub_chain("cie", RELATION, "relation_passages"),
    *_tail("cie", ("cie/candidates", "cie/entity_passages", "cie/relation_candidates", "relation_passages"),
           ("cie/retriever", "cie/passage_index", "cie/entity_passages", "cie/relation_retriever",
            "cie/relation_index", "relation_passages"), "cIE"),
)

STAGES = (*RE_STAGES, *CIE_STAGES)
