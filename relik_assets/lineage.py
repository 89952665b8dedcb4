"""Materialise the whole lineage in dependency order on a real Dagster instance (`make demo`).

Assets with different partitions cannot share one run, so the topologically sorted assets are
cut into consecutive batches with the same partitions; a partitioned batch runs once per key.
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg


QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass(frozen=True)
class Batch:
    keys: tuple[dg.AssetKey, ...]
    partition_keys: tuple[str | None, ...]


def lineage_batches(defs: dg.Definitions, selection: set[dg.AssetKey] | None = None) -> list[Batch]:
    """Consecutive runs of same-partitioned assets, in topological order."""
    graph = defs.resolve_asset_graph()
    batches: list[Batch] = []
    current: list[dg.AssetKey] = []
    current_parts = None
    for key in graph.toposorted_asset_keys:
        node = graph.get(key)
        if not node.is_materializable or (selection is not None and key not in selection):
            continue
        parts = node.partitions_def
        if isinstance(parts, dg.DynamicPartitionsDefinition):
            continue  # KB dump versions: run by the landing-folder sensor, not by the lineage
        if current and parts != current_parts:
            batches.append(_batch(current, current_parts))
            current = []
        current.append(key)
        current_parts = parts
    if current:
        batches.append(_batch(current, current_parts))
    return batches


def _batch(keys: list[dg.AssetKey], parts: dg.PartitionsDefinition | None) -> Batch:
    partition_keys = tuple(parts.get_partition_keys()) if parts is not None else (None,)
    return Batch(tuple(keys), partition_keys)


def materialize_lineage(
    defs: dg.Definitions, instance: dg.DagsterInstance, selection: set[dg.AssetKey] | None = None
) -> list[dg.ExecuteInProcessResult]:
    """Run every batch (and every partition) in order, or only `selection`; stop at the first failure."""
    assets = list(defs.assets or [])
    results = []
    for batch in lineage_batches(defs, selection):
        for partition in batch.partition_keys:
            label = ", ".join(k.to_user_string() for k in batch.keys) + (f" [{partition}]" if partition else "")
            started = time.perf_counter()
            result = dg.materialize(
                assets, instance=instance, resources=defs.resources, partition_key=partition,
                selection=list(batch.keys), raise_on_error=False, run_config=QUIET,
            )
            print(f"{'ok  ' if result.success else 'FAIL'} {time.perf_counter() - started:6.1f}s  {label}", flush=True)
            results.append(result)
            if not result.success:
                return results
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description="Materialise the full lineage on the configured params.")
    parser.parse_args()
    from relik_assets.definitions import defs

    home = os.environ.setdefault("DAGSTER_HOME", str(Path("dagster_home").resolve()))
    instance = dg.DagsterInstance.get()
    results = materialize_lineage(defs, instance)
    ok = all(r.success for r in results)
    print(f"\nlineage {'succeeded' if ok else 'FAILED'}; run history in {home} (open it with `make ui`)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
