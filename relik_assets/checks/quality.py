"""Great Expectations suites over artifacts, reported as (blocking) asset check results."""
from __future__ import annotations

from pathlib import Path

import dagster as dg

from relik_ml.io import read_manifest
from relik_ml.pipeline import PASSAGES_FILE
from relik_ml.pipeline.artifacts import load_documents, load_passages, load_windows
from relik_ml.types import NME

from relik_assets.validation import validate_documents, validate_passages, validate_windows

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


def passages_check(directory: Path) -> list[dg.AssetCheckResult]:
    """The passages suite; a KB whose manifest states a `title_only_text` mode (the Wikipedia-scale KB)
    holds title-only entities, so its empty texts are allowed."""
    title_only = "title_only_text" in read_manifest(directory).get("config", {})
    return [_result(PASSAGES_CHECK, validate_passages(load_passages(directory), title_only=title_only))]


def windows_check(directory: Path) -> list[dg.AssetCheckResult]:
    return [_result(WINDOWS_CHECK, validate_windows(load_windows([directory])))]


def task_windows_checks(directory: Path, kb_dir: Path) -> list[dg.AssetCheckResult]:
    """Documents and windows suites (blocking) plus KB coverage of the gold labels (a warning)."""
    documents = load_documents(directory)
    results = [
        _result(DOCUMENTS_CHECK, validate_documents(documents)),
        _result(WINDOWS_CHECK, validate_windows(load_windows([directory]))),
    ]
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
