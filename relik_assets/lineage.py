"""Materialise the whole lineage in dependency order on a real Dagster instance (`make demo`).

Each asset runs on its own (once per partition), in topological order, so the screen gets one line
per asset as it finishes, with its duration, and a progress bar while a long step (training,
embedding) runs. Everything else (Dagster's, Lightning's and W&B's logs, warnings, weight-loading
bars) goes to a log file under `$DAGSTER_HOME/logs/`; `--verbose` shows it instead.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

import dagster as dg

from relik_ml import progress

from relik_assets.console import ProgressBar, asset_line, duration, routed_to, shown

EXAMPLE_TEXT = "Home Depot CEO Nardelli quits."
AIDA_SAMPLE = "data/sample/aida/annotations.tsv data/sample/aida/eng.{train,testa,testb}"


@dataclass(frozen=True)
class Step:
    """One asset and the partitions it runs for (`(None,)` when unpartitioned)."""

    key: dg.AssetKey
    partition_keys: tuple[str | None, ...]

    @property
    def label(self) -> str:
        return self.labelled()

    def labelled(self, failed_at: str | None = None) -> str:
        """`el/reader`, `task_windows (8 partitions)` or `task_windows (8 partitions, failed at aida-testa)`."""
        name = self.key.to_user_string()
        if self.partition_keys == (None,):
            return name
        return f"{name} ({len(self.partition_keys)} partitions{f', failed at {failed_at}' if failed_at else ''})"


@dataclass(frozen=True)
class Outcome:
    """How one step went: its runs (one per partition, up to the first failure) and their time."""

    step: Step
    results: tuple[dg.ExecuteInProcessResult, ...]
    seconds: float

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    @property
    def reused(self) -> bool:
        """Every partition was reused unchanged (its stage stamp matched)."""
        flags = [event.materialization.metadata.get("reused") for r in self.results
                 for event in r.get_asset_materialization_events()]
        return bool(flags) and all(flag is not None and flag.value is True for flag in flags)

    @property
    def label(self) -> str:
        """The step's label, and the partition that failed if one did."""
        return self.step.labelled(None if self.success else self.step.partition_keys[len(self.results) - 1])

    @property
    def status(self) -> str:
        return "FAILED" if not self.success else "reused" if self.reused else "built"


def lineage_steps(defs: dg.Definitions, selection: set[dg.AssetKey] | None = None) -> list[Step]:
    """Every materialisable asset (or those in `selection`) in topological order, with its partitions."""
    graph = defs.resolve_asset_graph()
    steps = []
    for key in graph.toposorted_asset_keys:
        node = graph.get(key)
        if not node.is_materializable or (selection is not None and key not in selection):
            continue
        parts = node.partitions_def
        if isinstance(parts, dg.DynamicPartitionsDefinition):
            continue  # KB dump versions: run by the landing-folder sensor, not by the lineage
        steps.append(Step(key, tuple(parts.get_partition_keys()) if parts is not None else (None,)))
    return steps


def with_upstream(defs: dg.Definitions, names: Iterable[str]) -> set[dg.AssetKey]:
    """The named assets (e.g. `el/reader`) and everything they are built from."""
    keys = [dg.AssetKey.from_user_string(name) for name in names]
    graph = defs.resolve_asset_graph()
    unknown = [k.to_user_string() for k in keys if not graph.has(k)]
    if unknown:
        raise SystemExit(f"unknown assets: {', '.join(unknown)}")
    return set(dg.AssetSelection.assets(*keys).upstream().resolve(graph))


def run_step(
    defs: dg.Definitions, instance: dg.DagsterInstance, step: Step, out: TextIO | None = None
) -> Outcome:
    """Materialise one asset, partition by partition; stop at the first failed partition."""
    started = time.perf_counter()
    results = []
    for partition in step.partition_keys:
        label = step.key.to_user_string() + (f"[{partition}]" if partition else "")
        bar = ProgressBar(label, out) if out is not None else None
        with progress.listening(bar) if bar is not None else contextlib.nullcontext():
            try:
                result = dg.materialize(
                    list(defs.assets or []), instance=instance, resources=defs.resources,
                    partition_key=partition, selection=[step.key], raise_on_error=False,
                )
            finally:
                if bar is not None:
                    bar.close()
        results.append(result)
        if not result.success:
            break
    outcome = Outcome(step, tuple(results), time.perf_counter() - started)
    if out is not None:
        print(asset_line(outcome.status, outcome.seconds, outcome.label), file=out, flush=True)
    return outcome


def run_lineage(
    defs: dg.Definitions, instance: dg.DagsterInstance, selection: set[dg.AssetKey] | None = None,
    out: TextIO | None = None,
) -> list[Outcome]:
    """Run every step in order, or only those in `selection`; stop at the first failure."""
    outcomes = []
    for step in lineage_steps(defs, selection):
        outcomes.append(run_step(defs, instance, step, out))
        if not outcomes[-1].success:
            break
    return outcomes


def materialize_lineage(
    defs: dg.Definitions, instance: dg.DagsterInstance, selection: set[dg.AssetKey] | None = None
) -> list[dg.ExecuteInProcessResult]:
    """The runs of `run_lineage` (one per asset and partition), printing nothing."""
    return [result for outcome in run_lineage(defs, instance, selection) for result in outcome.results]


def summary(outcomes: Sequence[Outcome], instance: dg.DagsterInstance, seconds: float, log: Path | None) -> list[str]:
    """The closing lines: the verdict, each branch's report and promoted model, what to try next."""
    ok = bool(outcomes) and outcomes[-1].success
    logged = f"; full log: {shown(log)}" if log is not None else ""
    if not ok:
        failed = outcomes[-1].step.key.to_user_string() if outcomes else "nothing ran"
        rerun = " (`make demo V=1` shows it as it runs)" if log is not None else ""
        return [f"lineage FAILED at {failed} after {duration(seconds)}{logged}{rerun}"]
    built = sum(o.status == "built" for o in outcomes)
    lines = [f"lineage succeeded in {duration(seconds)}: {len(outcomes)} assets, {built} built, "
             f"{len(outcomes) - built} reused{logged}"]
    models = {}
    for key in (o.step.key for o in outcomes if o.step.key.path[-1] == "promoted_model"):
        branch = key.path[0]
        model = shown(_metadata(instance, key)["path"])
        lines.append(_branch_line(branch, _metadata(instance, dg.AssetKey([branch, "evaluation_report"])), model))
        models[branch] = model
    return lines + _next_commands(models)


def _metadata(instance: dg.DagsterInstance, key: dg.AssetKey) -> dict:
    event = instance.get_latest_materialization_event(key)
    return {name: value.value for name, value in event.asset_materialization.metadata.items()}


def _branch_line(branch: str, report: dict, model: str) -> str:
    f1 = report.get("gated_f1", -1.0)
    gate = ("passed" if report.get("gate_passed") else "FAILED") + (f", F1 {100 * f1:.1f}" if f1 >= 0 else "")
    return f"{branch:<4} report {shown(report['report'])} (gate {gate}); model {model}"


def _next_commands(models: dict[str, str]) -> list[str]:
    commands = []
    if models:
        model = models.get("el") or next(iter(models.values()))
        commands.append(f'.venv/bin/relik-ml annotate --model {model} "{EXAMPLE_TEXT}"')
    if "el" in models:
        commands.append(f".venv/bin/relik-ml evaluate --model {models['el']} --format aida --split testa {AIDA_SAMPLE}")
    commands.append("make ui   # the lineage, its checks and this run in the Dagster UI")
    return [f"{'try' if i == 0 else '':<4} {command}" for i, command in enumerate(commands)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Materialise the lineage on the configured params (RELIK_PARAMS).")
    parser.add_argument("--select", nargs="+", metavar="ASSET",
                        help="only these assets (e.g. el/retriever) and what they are built from")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show every log line and warning instead of writing them to the log file")
    args = parser.parse_args(argv)
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path("dagster_home").resolve())))
    log = None if args.verbose else home / "logs" / f"lineage-{datetime.now():%Y%m%d-%H%M%S}.log"
    started = time.perf_counter()
    with routed_to(log) if log is not None else contextlib.nullcontext(sys.stdout) as out:
        from relik_assets.definitions import defs  # its import warnings go to the log as well

        instance = dg.DagsterInstance.get()
        selection = with_upstream(defs, args.select) if args.select else None
        outcomes = run_lineage(defs, instance, selection, out)
        lines = summary(outcomes, instance, time.perf_counter() - started, log)
        print("", *lines, sep="\n", file=out, flush=True)
    return 0 if outcomes and outcomes[-1].success else 1


if __name__ == "__main__":
    raise SystemExit(main())
