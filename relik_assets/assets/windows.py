"""Window assets: BLINK-style pretraining windows and task windows per dataset split."""
# No `from __future__ import annotations`: Dagster inspects the context/resource annotations at runtime.

import dagster as dg

from relik_assets.checks.quality import (
    DOCUMENTS_CHECK,
    KB_COVERAGE_CHECK,
    WINDOWS_CHECK,
    task_windows_checks,
    windows_check,
)
from relik_assets.partitions import Layout
from relik_assets.resources import DvcResource, ProjectResource
from relik_assets.stage import materialize_stage

EAGER = dg.AutomationCondition.eager()


def build_window_assets(layout: Layout) -> list:
    @dg.asset(
        group_name="windows", code_version="1", deps=["raw_kilt"], automation_condition=EAGER,
        check_specs=[dg.AssetCheckSpec(WINDOWS_CHECK, asset="pretraining_windows", blocking=True)],
        description="BLINK-style hyperlink windows (W words, stride S) for retriever pretraining.",
    )
    def pretraining_windows(context: dg.AssetExecutionContext, project: ProjectResource, dvc: DvcResource):
        return materialize_stage(context, "pretraining_windows", project.load(), dvc, windows_check)

    @dg.asset(
        group_name="windows", code_version="1", deps=["raw_task_datasets", "entity_passages"],
        partitions_def=layout.task_splits, automation_condition=EAGER,
        check_specs=[
            dg.AssetCheckSpec(DOCUMENTS_CHECK, asset="task_windows", blocking=True),
            dg.AssetCheckSpec(WINDOWS_CHECK, asset="task_windows", blocking=True),
            dg.AssetCheckSpec(KB_COVERAGE_CHECK, asset="task_windows", description="gold labels found in the KB"),
        ],
        description="Documents of one dataset split and their windows (spans and triplets projected).",
    )
    def task_windows(context: dg.AssetExecutionContext, project: ProjectResource, dvc: DvcResource):
        params = project.load()
        kb = params.artifact_dir("entity_passages")
        return materialize_stage(context, "task_windows", params, dvc, lambda d: task_windows_checks(d, kb))

    return [pretraining_windows, task_windows]
