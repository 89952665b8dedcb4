"""Run expectation suites on DataFrames in an ephemeral Great Expectations context (lazy import).

GX is imported only here, on first use (it takes seconds). Its context is ephemeral: it writes no
files, and analytics are switched off before it is created, so it makes no network calls.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from relik_assets.validation.result import MAX_EXAMPLES, ExpectationOutcome, SuiteResult, plain


@dataclass(frozen=True)
class Expect:
    """An expectation in code: the GX class name and its arguments (instantiated at run time)."""

    name: str  # a class in great_expectations.expectations, e.g. "ExpectColumnValuesToBeUnique"
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Table:
    """A DataFrame and the expectations it must meet."""

    name: str
    frame: pd.DataFrame
    expectations: tuple[Expect, ...]


def run_suite(suite: str, tables: list[Table]) -> SuiteResult:
    """Validate every table against its expectations; the suite succeeds when all of them pass."""
    context = _ephemeral_context()
    outcomes: list[ExpectationOutcome] = []
    for table in tables:
        outcomes += _validate_table(context, f"{suite}.{table.name}", table)
    return SuiteResult(
        name=suite,
        success=all(o.success for o in outcomes),
        results=tuple(outcomes),
        rows=tuple((t.name, len(t.frame)) for t in tables),
    )


def _ephemeral_context():
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),  # no docs site on disk
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(project_config=config, mode="ephemeral")


def _validate_table(context, name: str, table: Table) -> list[ExpectationOutcome]:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    asset = context.data_sources.add_pandas(name).add_dataframe_asset(table.name)
    batch = asset.add_batch_definition_whole_dataframe(table.name).get_batch(
        batch_parameters={"dataframe": table.frame}
    )
    suite = context.suites.add(gx.ExpectationSuite(name=name))
    for spec in table.expectations:
        suite.add_expectation(getattr(gxe, spec.name)(**spec.kwargs))
    return [_outcome(table.name, r) for r in batch.validate(suite).results]


def _outcome(table: str, result) -> ExpectationOutcome:
    kwargs = result.expectation_config.kwargs
    column = kwargs.get("column") or f"{kwargs.get('column_A')},{kwargs.get('column_B')}"
    details = result.result or {}
    error = (result.exception_info or {}).get("exception_message") or ""
    return ExpectationOutcome(
        table=table,
        expectation=result.expectation_config.type,
        column=column,
        success=bool(result.success),
        unexpected_count=int(details.get("unexpected_count") or 0),
        examples=plain(details.get("partial_unexpected_list") or [])[:MAX_EXAMPLES],
        error=str(error),
    )
