"""Which checks guard a stage's asset, derived from the stage's role (`relik_ml.stages.Stage.role`)."""
# No `from __future__ import annotations`: kept like the asset factory beside it.
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from relik_ml.config import Params
from relik_ml.stages import STAGES, Stage, stage_call

from relik_assets.checks import integrity, quality

CheckRunner = Callable[[Params, Path], Sequence[dg.AssetCheckResult]]


@dataclass(frozen=True)
class StageChecks:
    """The checks a stage's asset reports: (name, blocking, description) specs and their runner."""

    specs: tuple[tuple[str, bool, str], ...] = ()
    run: CheckRunner = field(default=lambda _params, _dir: ())


def _index_check(name: str) -> CheckRunner:
    """Index size, ids and search against its passages and embeddings (read from the index's own inputs)."""
    embeddings = STAGES[name].upstream[0]

    def run(params: Params, out: Path) -> Sequence[dg.AssetCheckResult]:
        shards = list(stage_call(name, params).inputs.values())
        first = STAGES[embeddings].partitions(params)[0] if STAGES[embeddings].partitions else None
        passages = stage_call(embeddings, params, first).inputs["passages"]
        return integrity.index_check(out, passages, shards)

    return run


def stage_checks(stage: Stage) -> StageChecks:
    """The checks of a stage's role; none for a role without checks."""
    if stage.role == "passages":
        return StageChecks(((quality.PASSAGES_CHECK, True, "GX passages suite"),),
                           lambda _p, out: quality.passages_check(out))
    if stage.role == "windows":
        return StageChecks(((quality.WINDOWS_CHECK, True, "GX windows suite"),),
                           lambda _p, out: quality.windows_check(out))
    if stage.role == "task_windows":
        return StageChecks(
            ((quality.DOCUMENTS_CHECK, True, "GX documents suite"), (quality.WINDOWS_CHECK, True, "GX windows suite"),
             (quality.KB_COVERAGE_CHECK, False, "gold labels found in the KB")),
            lambda p, out: quality.task_windows_checks(out, p.artifact_dir("entity_passages")))
    if stage.role == "model":
        return StageChecks(((integrity.MODEL_CHECK, True, "weights load and are finite; answers a smoke query"),),
                           lambda _p, out: integrity.model_check(out))
    if stage.role == "embeddings":
        return StageChecks(((integrity.EMBEDDINGS_CHECK, True, "finite, one row per passage"),),
                           lambda _p, out: integrity.embeddings_check(out))
    if stage.role == "index":
        return StageChecks(((integrity.INDEX_CHECK, True, "size and ids equal the passages; search agrees with exact "
                                                          "search"),), _index_check(stage.name))
    if stage.role == "recall_report":
        return StageChecks(((integrity.RECALL_GATE_CHECK, True, "fine-tuned recall@k clears the floor"),),
                           lambda _p, out: integrity.recall_gate_check(out))
    return StageChecks()
