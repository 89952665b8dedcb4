"""Stage calls of the entity-linking branch (`el/` prefix): retrieval, reading, evaluation."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relik_ml.config import Params, build_section
from relik_ml.index import IndexConfig
from relik_ml.evaluation.promotion import GateConfig
from relik_ml.evaluation.retrieval_report import RecallGateConfig, RetrievalReportConfig
from relik_ml.pipeline import evaluation, reading, retrieval
from relik_ml.retriever.config import RetrieverConfig, RetrieverTrainConfig
from relik_ml.stages.core import Stage, StageCall
from relik_ml.tracking import TrackingConfig

PREFIX = "el"


@dataclass(frozen=True)
class TaskSplits:
    """Which task-window partitions a branch trains, selects and reports on."""

    dataset: str = "aida"  # a raw.datasets name
    train_split: str = "train"  # training split
    dev_split: str = "testa"  # model selection split
    eval_splits: tuple[str, ...] = ("testa",)  # splits in the evaluation reports

    def key(self, split: str) -> str:
        return f"{self.dataset}-{split}"


def params_section(params: Params, *path: str) -> dict[str, Any]:
    """The nested params.yaml section at `path` (an empty dict where it is missing)."""
    section: Any = params.sections
    for key in path:
        section = (section or {}).get(key, {})
    return dict(section or {})


def warm_start_input(train: dict[str, Any]) -> dict[str, Path]:
    """The reader directory a run continues from (`train.init_from`), hashed like any other input."""
    return {"init_from": Path(train["init_from"])} if train.get("init_from") else {}


def splits(params: Params) -> TaskSplits:
    section = {k: v for k, v in params_section(params, PREFIX).items() if k in TaskSplits.__dataclass_fields__}
    return build_section(TaskSplits, section, name=PREFIX, source=params.root / "params.yaml")


def tracking(params: Params) -> TrackingConfig:
    return build_section(TrackingConfig, params_section(params, "tracking"), name="tracking", source=params.root / "params.yaml")


def typed_section(cls: type, params: Params, *path: str) -> Any:
    """The section at `path` as an instance of the dataclass `cls` (unknown keys rejected)."""
    return build_section(cls, params_section(params, *path), name=".".join(path), source=params.root / "params.yaml")


def _windows_dir(params: Params, split: str) -> Path:
    return params.artifact_dir("task_windows", splits(params).key(split))


def _artifact(params: Params, name: str) -> Path:
    return params.artifact_dir(f"{PREFIX}/{name}")


def _retriever_call(params: Params, name: str, backbone: str | Path, train_dirs: list[Path], extra: dict[str, Path]) -> StageCall:
    model = typed_section(RetrieverConfig, params, PREFIX, name, "model")
    train = typed_section(RetrieverTrainConfig, params, PREFIX, name, "train")
    task = splits(params)
    dev_dirs = [_windows_dir(params, task.dev_split)]
    passages, out = params.artifact_dir("entity_passages"), _artifact(params, name)
    inputs = {**extra, "passages": passages, **{f"train{i}": d for i, d in enumerate(train_dirs)},
              **{f"dev{i}": d for i, d in enumerate(dev_dirs)}}
    config = {"backbone": str(backbone), "model": model, "train": train}
    return StageCall(
        f"{PREFIX}/{name}", None, out, config, inputs,
        lambda: retrieval.retriever(f"{PREFIX}/{name}", backbone, train_dirs, dev_dirs, passages, model, train,
                                    tracking(params), params.root, out, params.work_dir(f"{PREFIX}/{name}")),
    )


def retriever_pretrained_call(params: Params, _: str | None) -> StageCall:
    backbone = str(params_section(params, PREFIX, "retriever_pretrained").get("backbone", "minilm-l6"))
    windows = params.artifact_dir("pretraining_windows")
    return _retriever_call(params, "retriever_pretrained", backbone, [windows], {"backbones": params.artifact_dir("backbones")})


def retriever_call(params: Params, _: str | None) -> StageCall:
    pretrained = _artifact(params, "retriever_pretrained")
    train_dirs = [_windows_dir(params, splits(params).train_split)]
    return _retriever_call(params, "retriever", pretrained, train_dirs, {"retriever_pretrained": pretrained})


def shard_keys(params: Params) -> list[str]:
    shards = typed_section(retrieval.EmbeddingConfig, params, PREFIX, "passage_embeddings").shards
    return [f"shard-{i}" for i in range(shards)]


def passage_embeddings_call(params: Params, shard: str | None) -> StageCall:
    assert shard is not None, "passage_embeddings is partitioned by shard"
    config = typed_section(retrieval.EmbeddingConfig, params, PREFIX, "passage_embeddings")
    model, passages = _artifact(params, "retriever"), params.artifact_dir("entity_passages")
    out = params.artifact_dir(f"{PREFIX}/passage_embeddings", shard)
    number = int(shard.removeprefix("shard-"))
    return StageCall(
        f"{PREFIX}/passage_embeddings", shard, out, config, {"retriever": model, "passages": passages},
        lambda: retrieval.passage_embeddings(model, passages, number, config, out),
    )


def passage_index_call(params: Params, _: str | None) -> StageCall:
    config = typed_section(IndexConfig, params, PREFIX, "passage_index")
    shards = [params.artifact_dir(f"{PREFIX}/passage_embeddings", key) for key in shard_keys(params)]
    out = _artifact(params, "passage_index")
    return StageCall(
        f"{PREFIX}/passage_index", None, out, config, {f"shard{i}": d for i, d in enumerate(shards)},
        lambda: retrieval.passage_index(shards, config, out),
    )


def zero_shot_backbone(params: Params) -> str:
    """The untrained backbone the retriever branch starts from (the pretraining stage's backbone)."""
    return str(params_section(params, PREFIX, "retriever_pretrained").get("backbone", "minilm-l6"))


def retriever_eval_report_call(params: Params, _: str | None) -> StageCall:
    section = params_section(params, PREFIX, "retriever_eval_report")
    source = params.root / "params.yaml"
    gate = build_section(RecallGateConfig, section.pop("gate", None), name=f"{PREFIX}.retriever_eval_report.gate",
                         source=source)
    config = build_section(RetrievalReportConfig, section, name=f"{PREFIX}.retriever_eval_report", source=source)
    task = splits(params)
    model, index = _artifact(params, "retriever"), _artifact(params, "passage_index")
    passages, backbone = params.artifact_dir("entity_passages"), zero_shot_backbone(params)
    eval_dirs = {split: _windows_dir(params, split) for split in dict.fromkeys([task.dev_split, *task.eval_splits])}
    out = _artifact(params, "retriever_eval_report")
    inputs = {"retriever": model, "index": index, "passages": passages,
              **{f"windows_{s}": d for s, d in eval_dirs.items()}}
    return StageCall(
        f"{PREFIX}/retriever_eval_report", None, out, {"backbone": backbone, "report": config, "gate": gate}, inputs,
        lambda: retrieval.retriever_eval_report(model, index, passages, backbone, eval_dirs, config, gate, out),
    )


def _all_splits(params: Params) -> list[str]:
    task = splits(params)
    return list(dict.fromkeys([task.train_split, task.dev_split, *task.eval_splits]))


def candidates_call(params: Params, _: str | None) -> StageCall:
    config = typed_section(retrieval.CandidatesConfig, params, PREFIX, "candidates")
    model, index = _artifact(params, "retriever"), _artifact(params, "passage_index")
    windows = {split: _windows_dir(params, split) for split in _all_splits(params)}
    out = _artifact(params, "candidates")
    inputs = {"retriever": model, "index": index, **{f"windows_{s}": d for s, d in windows.items()}}
    return StageCall(
        f"{PREFIX}/candidates", None, out, config, inputs,
        lambda: retrieval.candidates(model, index, windows, config, out),
    )


def reader_call(params: Params, _: str | None) -> StageCall:
    from relik_ml.backbones import resolve_backbone

    section = params_section(params, PREFIX, "reader")
    task = splits(params)
    train_dirs, dev_dirs = [_windows_dir(params, task.train_split)], [_windows_dir(params, task.dev_split)]
    candidates, passages = _artifact(params, "candidates"), params.artifact_dir("entity_passages")
    out = _artifact(params, "reader")
    config = {"backbone": section.get("backbone", "minilm-l6"), "model": section.get("model", {}),
              "train": section.get("train", {})}
    inputs = {"candidates": candidates, "passages": passages, "backbones": params.artifact_dir("backbones"),
              "train": train_dirs[0], "dev": dev_dirs[0], **warm_start_input(config["train"])}
    return StageCall(
        f"{PREFIX}/reader", None, out, config, inputs,
        lambda: reading.reader(
            f"{PREFIX}/reader", resolve_backbone(config["backbone"]), train_dirs, dev_dirs, candidates,
            (task.train_split, task.dev_split), passages, config["model"], config["train"], tracking(params),
            params.root, out,
        ),
    )


def _gate(params: Params) -> GateConfig:
    return typed_section(GateConfig, params, PREFIX, "evaluation_report", "gate")


def evaluation_report_call(params: Params, _: str | None) -> StageCall:
    task = splits(params)
    components = {"retriever": _artifact(params, "retriever"), "index": _artifact(params, "passage_index"),
                  "reader": _artifact(params, "reader"), "passages": params.artifact_dir("entity_passages")}
    eval_dirs = {task.key(split): _windows_dir(params, split) for split in task.eval_splits}
    settings = dict(params_section(params, PREFIX, "evaluation_report").get("settings", {}))
    gate, out = _gate(params), _artifact(params, "evaluation_report")
    inputs = {**components, **{f"eval_{k}": d for k, d in eval_dirs.items()}}
    return StageCall(
        f"{PREFIX}/evaluation_report", None, out, {"settings": settings, "gate": gate}, inputs,
        lambda: evaluation.evaluation_report(components, eval_dirs, settings, gate,
                                             _artifact(params, "promoted_model"), out),
    )


def promoted_model_call(params: Params, _: str | None) -> StageCall:
    report, gate, out = _artifact(params, "evaluation_report"), _gate(params), _artifact(params, "promoted_model")
    return StageCall(f"{PREFIX}/promoted_model", None, out, gate, {"evaluation_report": report},
                     lambda: evaluation.promoted_model(report, gate, out))


STAGES = (
    Stage(f"{PREFIX}/retriever_pretrained", "retrieval", (f"{PREFIX}.retriever_pretrained", "tracking"),
          retriever_pretrained_call, upstream=("backbones", "pretraining_windows", "entity_passages", "task_windows"),
          heavy=True, description="Bi-encoder pretrained on BLINK-style hyperlink windows (multi-label NCE, mined negatives)."),
    Stage(f"{PREFIX}/retriever", "retrieval", (f"{PREFIX}.retriever", "tracking"), retriever_call,
          upstream=(f"{PREFIX}/retriever_pretrained", "entity_passages", "task_windows"), heavy=True,
          description="Retriever fine-tuned on the task's windows; early stopping on dev recall."),
    Stage(f"{PREFIX}/passage_embeddings", "retrieval", (f"{PREFIX}.passage_embeddings",), passage_embeddings_call,
          upstream=(f"{PREFIX}/retriever", "entity_passages"), partitions=shard_keys, heavy=True,
          description="Passage embeddings (.npy + ids), one partition per passage shard."),
    Stage(f"{PREFIX}/passage_index", "retrieval", (f"{PREFIX}.passage_index",), passage_index_call,
          upstream=(f"{PREFIX}/passage_embeddings",),
          description="FAISS index over all shards, stable string ids, build-time recall vs exact search."),
    Stage(f"{PREFIX}/retriever_eval_report", "retrieval",
          (f"{PREFIX}.retriever_eval_report", f"{PREFIX}.dev_split", f"{PREFIX}.eval_splits",
           f"{PREFIX}.retriever_pretrained.backbone"),
          retriever_eval_report_call,
          upstream=(f"{PREFIX}/retriever", f"{PREFIX}/passage_index", "entity_passages", "task_windows"),
          description="Recall@1/10/50/100 per eval split: fine-tuned retriever, untrained backbone, BM25; recall gate."),
    Stage(f"{PREFIX}/candidates", "reading", (f"{PREFIX}.candidates",), candidates_call,
          upstream=(f"{PREFIX}/retriever", f"{PREFIX}/passage_index", "task_windows"),
          description="Top-K retrieved passages per window (the reader's candidates), cached."),
    Stage(f"{PREFIX}/reader", "reading", (f"{PREFIX}.reader", "tracking"), reader_call,
          upstream=(f"{PREFIX}/candidates", "entity_passages", "backbones", "task_windows"), heavy=True,
          description="Span + EL reader over window [SEP] candidates; span thresholds tuned on dev."),
    Stage(f"{PREFIX}/evaluation_report", "evaluation", (f"{PREFIX}.evaluation_report", f"{PREFIX}.eval_splits"),
          evaluation_report_call,
          upstream=(f"{PREFIX}/retriever", f"{PREFIX}/passage_index", f"{PREFIX}/reader", "entity_passages",
                    "task_windows"),
          description="Candidate model assembled and evaluated (InKB F1, MD F1, ED accuracy, AIT); gate decision."),
    Stage(f"{PREFIX}/promoted_model", "evaluation", (f"{PREFIX}.evaluation_report.gate",), promoted_model_call,
          upstream=(f"{PREFIX}/evaluation_report",), persist=True,
          description="Self-contained model directory (Relik.from_pretrained), replaced only when the gate passes."),
)
