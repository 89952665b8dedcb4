"""Plain records for a suite run, free of Great Expectations types (usable by asset checks)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's verdict on one table, with a few offending values."""

    table: str  # which flattened table it ran on (e.g. "passages", "spans")
    expectation: str  # GX expectation type, e.g. "expect_column_values_to_be_unique"
    column: str  # the column, or "A,B" for column-pair expectations
    success: bool
    unexpected_count: int
    examples: tuple[Any, ...] = ()  # up to MAX_EXAMPLES unexpected values (JSON-friendly)
    error: str = ""  # the exception message when GX could not evaluate the expectation

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return {**asdict(self), "examples": list(self.examples)}


@dataclass(frozen=True)
class SuiteResult:
    """The verdict of one suite: overall success and one outcome per expectation."""

    name: str  # suite name: "passages", "documents" or "windows"
    success: bool
    results: tuple[ExpectationOutcome, ...]
    rows: tuple[tuple[str, int], ...] = ()  # (table, number of rows validated)

    def failures(self) -> list[ExpectationOutcome]:
        """The outcomes that failed."""
        return [r for r in self.results if not r.success]

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict (for asset-check metadata or reports)."""
        return {
            "name": self.name,
            "success": self.success,
            "rows": dict(self.rows),
            "results": [r.to_json() for r in self.results],
        }


def plain(value: Any) -> Any:
    """Turn numpy scalars, NaN and tuples from GX results into JSON-friendly Python values."""
    if isinstance(value, (tuple, list)):
        return tuple(plain(v) for v in value)
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value
