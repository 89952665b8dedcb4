"""Run a stage and everything upstream of it, in table order, skipping what is up to date."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from relik_ml.config import Params
from relik_ml.stages import STAGES, check_params, stage_call
from relik_ml.stages.dvc_lock import commit, tracked_by_dvc
from relik_ml.stages.memo import run_memoized


def upstream_closure(targets: Iterable[str]) -> list[str]:
    """The targets and all their upstream stages, in the (topological) order of the stage table."""
    needed: set[str] = set()
    pending = list(targets)
    while pending:
        name = pending.pop()
        if name not in needed:
            needed.add(name)
            pending.extend(STAGES[name].upstream)
    return [name for name in STAGES if name in needed]


def run_closure(targets: Iterable[str], params: Params, log: Callable[[str], None] = print) -> None:
    """Build every stage (and partition) the targets need; raises on the first failure (a bad
    params key before anything runs). Built stages of the project's params.yaml go to dvc.lock."""
    check_params(params)
    dvc = tracked_by_dvc(params)
    for name in upstream_closure(targets):
        stage = STAGES[name]
        for partition in stage.partitions(params) if stage.partitions else [None]:
            _, _, reused = run_memoized(stage_call(name, params, partition), params)
            if dvc and not reused:
                commit(params, name, partition)
            log(f"{'reused' if reused else 'built '} {name}{f' [{partition}]' if partition else ''}")
