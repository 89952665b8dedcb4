"""Reader stage: train the span + EL (or RE / cIE) reader on windows and their retrieved candidates."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from relik_ml.pipeline.artifacts import (
    CANDIDATES_SUFFIX,
    load_candidates,
    load_passages,
    load_redirects,
    load_windows,
    load_windows_for_kb,
)
from relik_ml.pipeline.summary import Summary
from relik_ml.tracking import TrackingConfig, start_run
from relik_ml.types import Passage, Window


def candidate_passages(
    windows: Sequence[Window], candidates: Mapping[str, list[tuple[str, float]]], kb: Mapping[str, Passage]
) -> dict[str, list[Passage]]:
    """window id -> its retrieved passages, best first (ids missing from the KB skipped)."""
    return {w.id: [kb[i] for i, _ in candidates.get(w.id, ()) if i in kb] for w in windows}


def reader_examples(
    windows: Sequence[Window],
    split: str,
    config: Any,
    *,
    candidates_dir: Path | None,
    kb: Mapping[str, Passage],
    relation_candidates_dir: Path | None = None,
    relations: Mapping[str, Passage] | None = None,
    training: bool = False,
) -> list:
    """Reader examples of one split: entity (EL / cIE) and relation (RE / cIE) candidates per window."""
    from relik_ml.reader.data import build_examples

    def ranked(directory: Path | None, passages: Mapping[str, Passage]) -> dict[str, list[Passage]] | None:
        if directory is None:
            return None
        return candidate_passages(windows, load_candidates(directory / f"{split}{CANDIDATES_SUFFIX}"), passages)

    return build_examples(
        windows, ranked(candidates_dir, kb) or {}, relation_candidates=ranked(relation_candidates_dir, relations or {}),
        passages={**kb, **(relations or {})}, k=config.max_candidates, k_relations=config.max_relation_candidates,
        training=training,
    )


def reader(
    name: str,
    backbone: Path,
    train_dirs: Sequence[Path],
    dev_dirs: Sequence[Path],
    candidates_dir: Path | None,
    splits: tuple[str, str],
    passages_dir: Path | None,
    model_config: dict[str, Any],
    train_config: dict[str, Any],
    tracking: TrackingConfig,
    root: Path,
    out: Path,
    *,
    relation_candidates_dir: Path | None = None,
    relation_passages_dir: Path | None = None,
) -> Summary:
    """Train a reader on the train split's windows with their top-K candidates (gold always included).

    RE readers take no entity candidates (`candidates_dir` / `passages_dir` None) and relation
    candidates instead; cIE readers take both.
    """
    from relik_ml.reader.configuration import RelikReaderConfig
    from relik_ml.reader.train import ReaderTrainConfig, train_reader

    config = RelikReaderConfig.from_settings(model_config, field=f"{name}.model")
    train_cfg = ReaderTrainConfig(backbone_path=str(backbone), **train_config)
    kb = {p.id: p for p in load_passages(passages_dir)} if passages_dir is not None else {}
    relations = {p.id: p for p in load_passages(relation_passages_dir)} if relation_passages_dir is not None else None
    redirects = load_redirects(passages_dir) if passages_dir is not None else None
    examples = []
    for directories, split, training in ((train_dirs, splits[0], True), (dev_dirs, splits[1], False)):
        examples.append(reader_examples(
            load_windows_for_kb(directories, kb, redirects) if passages_dir is not None else load_windows(directories),
            split, config, candidates_dir=candidates_dir, kb=kb,
            relation_candidates_dir=relation_candidates_dir, relations=relations, training=training,
        ))
    run = start_run(tracking, name, root, {"model": model_config, "train": asdict(train_cfg)})
    try:
        result = train_reader(examples[0], examples[1], config, train_cfg, out, loggers=run.loggers)
        run.log_model(out, name)
    finally:
        run.finish()
    counts = {"train_windows": result.train_windows, "dev_windows": result.dev_windows, "steps": result.steps}
    extra = {"wandb_run_id": run.run_id, "wandb_run_dir": run.run_dir, "seconds": round(result.seconds, 1),
             "best_metric": result.best_metric, **{f"dev/{k}": v for k, v in result.dev_scores.items()},
             **{f"span_thresholds/{k}": v for k, v in result.thresholds.items()}}
    return Summary(name, out, counts, extra=extra)
