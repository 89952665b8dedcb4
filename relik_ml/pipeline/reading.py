"""Reader stage: train the span + EL (or RE / cIE) reader on windows and their retrieved candidates."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from relik_ml.pipeline.artifacts import CANDIDATES_SUFFIX, load_candidates, load_passages, load_windows
from relik_ml.pipeline.summary import Summary
from relik_ml.tracking import TrackingConfig, start_run
from relik_ml.types import Passage, Window


def candidate_passages(
    windows: Sequence[Window], candidates: Mapping[str, list[tuple[str, float]]], kb: Mapping[str, Passage]
) -> dict[str, list[Passage]]:
    """window id -> its retrieved passages, best first (ids missing from the KB skipped)."""
    return {w.id: [kb[i] for i, _ in candidates.get(w.id, ()) if i in kb] for w in windows}


def reader(
    name: str,
    backbone: Path,
    train_dirs: Sequence[Path],
    dev_dirs: Sequence[Path],
    candidates_dir: Path,
    splits: tuple[str, str],
    passages_dir: Path,
    model_config: dict[str, Any],
    train_config: dict[str, Any],
    tracking: TrackingConfig,
    root: Path,
    out: Path,
) -> Summary:
    """Train a reader on the train split's windows with their top-K candidates (gold always included)."""
    from relik_ml.reader.configuration import RelikReaderConfig
    from relik_ml.reader.data import build_examples
    from relik_ml.reader.train import ReaderTrainConfig, train_reader

    config = RelikReaderConfig(**model_config)
    train_cfg = ReaderTrainConfig(backbone_path=str(backbone), **train_config)
    kb = {p.id: p for p in load_passages(passages_dir)}
    examples = []
    for directories, split, training in ((train_dirs, splits[0], True), (dev_dirs, splits[1], False)):
        windows = load_windows(directories)
        ranked = candidate_passages(windows, load_candidates(candidates_dir / f"{split}{CANDIDATES_SUFFIX}"), kb)
        examples.append(build_examples(windows, ranked, passages=kb, k=config.max_candidates, training=training))
    run = start_run(tracking, name, root, {"model": model_config, "train": asdict(train_cfg)})
    try:
        result = train_reader(examples[0], examples[1], config, train_cfg, out, loggers=run.loggers)
        run.log_model(out, name)
    finally:
        run.finish()
    counts = {"train_windows": result.train_windows, "dev_windows": result.dev_windows, "steps": result.steps}
    extra = {"wandb_run_id": run.run_id, "wandb_run_dir": run.run_dir, "seconds": round(result.seconds, 1),
             "best_metric": result.best_metric, **{f"dev/{k}": v for k, v in result.dev_scores.items()}}
    return Summary(name, out, counts, extra=extra)
