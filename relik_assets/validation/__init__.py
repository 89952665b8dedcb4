"""Great Expectations suites, defined in code, for passages, documents and windows."""
from __future__ import annotations

from relik_assets.validation.result import ExpectationOutcome, SuiteResult
from relik_assets.validation.suites import validate_documents, validate_passages, validate_windows

__all__ = ["ExpectationOutcome", "SuiteResult", "validate_documents", "validate_passages", "validate_windows"]
