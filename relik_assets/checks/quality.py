"""Great Expectations suites over artifacts, reported as (blocking) asset check results."""
from __future__ import annotations

from pathlib import Path

import dagster as dg

from relik_ml.pipeline import PASSAGES_FILE
from relik_ml.pipeline.artifacts import load_documents, load_passages
from relik_ml.stages.data_checks import artifact_tables
from relik_ml.types import NME

from relik_assets.validation.suites import run_tables

PASSAGES_CHECK = "passages_suite"
DOCUMENTS_CHECK = "documents_suite"
WINDOWS_CHECK = "windows_suite"
KB_COVERAGE_CHECK = "kb_coverage"


def _result(check_name: str, suite) -> dg.AssetCheckResult:
    failed = [r for r in suite.results if not r.success]
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=suite.success,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "suite": suite.name,
            "expectations": len(suite.results),
            "failed": dg.MetadataValue.json([r.to_json() for r in failed]),
        },
    )


def _suites(role: str, directory: Path, checks: dict[str, str]) -> list[dg.AssetCheckResult]:
    """The role's suites on the artifact: the rule tables the stage runner checks (`artifact_tables`), run by GX."""
    tables = artifact_tables(role, directory)
    return [_result(checks[suite], run_tables(suite, suite_tables)) for suite, suite_tables in tables.items()]


def passages_check(directory: Path) -> list[dg.AssetCheckResult]:
    """The passages suite (a KB whose manifest states a `title_only_text` mode may hold empty texts)."""
    return _suites("passages", directory, {"passages": PASSAGES_CHECK})


def windows_check(directory: Path) -> list[dg.AssetCheckResult]:
    return _suites("windows", directory, {"windows": WINDOWS_CHECK})


def task_windows_checks(directory: Path, kb_dir: Path) -> list[dg.AssetCheckResult]:
    """Documents and windows suites (blocking) plus KB coverage of the gold labels (a warning)."""
    results = _suites("task_windows", directory, {"documents": DOCUMENTS_CHECK, "windows": WINDOWS_CHECK})
    documents = load_documents(directory)
    labels = [s.label for d in documents for s in d.spans if s.label != NME]
    kb_ids = {p.id for p in load_passages(kb_dir)} if (kb_dir / PASSAGES_FILE).exists() else set()
    covered = sum(label in kb_ids for label in labels)
    coverage = covered / len(labels) if labels else 1.0
    results.append(
        dg.AssetCheckResult(
            check_name=KB_COVERAGE_CHECK,
            passed=coverage == 1.0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"linked_mentions": len(labels), "in_kb": covered, "coverage": coverage},
        )
    )
    return results
