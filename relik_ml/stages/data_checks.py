"""Blocking data checks: an artifact of a checked role meets its integrity rules before anything uses it.

The rules are the tables of `relik_ml.validate`, the one source the Great Expectations suites of the
Dagster layer are generated from; `artifact_tables` is also what those suites validate
(`relik_assets.checks.quality`), so every path checks the same rows against the same rules. The stage
runner (`relik_ml.stages.memo.run_memoized`, behind `relik-ml run`/`build`/`gate`, `dvc repro` and the
Dagster assets) checks a stage's upstream artifacts before it runs and its own artifact before stamping
it, and records the content hash that passed (`memo.ensure_checked`), so unchanged content is read once.
"""
from __future__ import annotations

from pathlib import Path

from relik_ml.config import Params
from relik_ml.errors import InputError
from relik_ml.io import read_manifest
from relik_ml.pipeline import DOCUMENTS_FILE, PASSAGES_FILE, WINDOWS_FILE
from relik_ml.pipeline.artifacts import load_documents, load_passages, load_windows
from relik_ml.stages import STAGES, stage_call
from relik_ml.stages.core import StageCall
from relik_ml.validate import Problem, Table, check, document_tables, passage_tables, window_tables

SUITES = {  # stage role -> the blocking suites of its artifact (the GX suites of the same names)
    "passages": ("passages",),
    "windows": ("windows",),
    "task_windows": ("documents", "windows"),
}
SUITE_FILES = {"passages": PASSAGES_FILE, "documents": DOCUMENTS_FILE, "windows": WINDOWS_FILE}
LISTED_PROBLEMS = 5  # failing rows quoted in the error (the count covers them all)


class DataCheckError(InputError):
    """An artifact broke a blocking suite: the artifact, the suite, the file and every failing row."""

    def __init__(self, artifact: str, suite: str, path: Path, problems: list[Problem], blocked: str = "") -> None:
        self.artifact, self.suite, self.problems = artifact, suite, problems
        self._arguments = (artifact, suite, path, problems, blocked)
        rows = len({p.index for p in problems})
        plural = "row" if rows == 1 else "rows"
        listed = "; ".join(str(p) for p in problems[:LISTED_PROBLEMS])
        more = f"; and {len(problems) - LISTED_PROBLEMS} more" if len(problems) > LISTED_PROBLEMS else ""
        stopped = f"; {blocked} not run" if blocked else ""
        super().__init__(f"{artifact} failed the blocking '{suite}' check on {rows} {plural}: {listed}{more}{stopped}",
                         path=path, field=problems[0].field)

    def __reduce__(self):  # rebuilt from its arguments where it crosses processes (a Dask worker's failure)
        return DataCheckError, self._arguments


def suites(artifact: str) -> tuple[str, ...]:
    """The blocking suites of a stage's artifact (none for a role without suites or an artifact outside the table)."""
    stage = STAGES.get(artifact)
    return SUITES.get(stage.role, ()) if stage is not None else ()


def artifact_tables(role: str, directory: Path) -> dict[str, list[Table]]:
    """Suite name -> the rule tables of the artifact in `directory`. A passages artifact whose manifest
    states a `title_only_text` mode (the Wikipedia-scale KB) holds title-only entities: empty texts pass."""
    if role == "passages":
        title_only = "title_only_text" in read_manifest(directory).get("config", {})
        return {"passages": passage_tables(load_passages(directory), title_only=title_only)}
    if role == "windows":
        return {"windows": window_tables(load_windows([directory]))}
    if role == "task_windows":
        return {"documents": document_tables(load_documents(directory)),
                "windows": window_tables(load_windows([directory]))}
    return {}


def check_artifact(call: StageCall, blocked: StageCall | None = None) -> tuple[str, ...]:
    """Run the artifact's blocking suites; the names of those passed, else a `DataCheckError` on the first
    failing suite (naming `blocked`, the stage it stops, when the artifact is an upstream one)."""
    stage = STAGES.get(call.artifact)
    tables = artifact_tables(stage.role, call.out) if stage is not None else {}
    for suite, suite_tables in tables.items():
        problems = check(suite_tables)
        if problems:
            raise DataCheckError(label(call), suite, call.out / SUITE_FILES[suite], problems,
                                 blocked=label(blocked) if blocked is not None else "")
    return tuple(tables)


def checked_upstream(call: StageCall, params: Params) -> list[StageCall]:
    """The built upstream artifacts of the stage (every partition present) that have blocking suites:
    the stage's dependencies in the Dagster and DVC graphs, read or not, as Dagster's blocking checks."""
    stage = STAGES.get(call.artifact)
    calls = []
    for name in stage.upstream if stage is not None else ():
        upstream = STAGES[name]
        if upstream.role not in SUITES:
            continue
        for partition in upstream.partitions(params) if upstream.partitions else [None]:
            if params.artifact_dir(name, partition).is_dir():
                calls.append(stage_call(name, params, partition))
    return calls


def label(call: StageCall) -> str:
    return f"{call.artifact} [{call.partition}]" if call.partition else call.artifact
