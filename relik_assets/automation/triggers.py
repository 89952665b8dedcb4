"""The landing-folder sensor and the emerging-entity schedule (configured by `automation` in params.yaml)."""
# No `from __future__ import annotations`: Dagster inspects the context/resource annotations at runtime.
import json

import dagster as dg

from relik_ml.config import Params
from relik_ml.landing import parse_key, scan_landing
from relik_ml.stages.refresh import automation_config, landing_dir

from relik_assets.automation.assets import KB_DUMPS
from relik_assets.automation.jobs import AssetJob
from relik_assets.resources import ProjectResource


def _sensor_status(running: bool) -> dg.DefaultSensorStatus:
    return dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED


def _schedule_status(running: bool) -> dg.DefaultScheduleStatus:
    return dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED


def build_sensor(params: Params, dump_refresh: AssetJob,
                 retrain: dg.JobDefinition) -> dg.SensorDefinition:
    config = automation_config(params)

    @dg.sensor(
        name="kb_dump_sensor", jobs=[dump_refresh, retrain], minimum_interval_seconds=config.sensor_interval_s,
        default_status=_sensor_status(config.sensor_running),
        description=f"A new KB dump in {config.landing}/ becomes a kb_dumps partition and refreshes the promoted model.",
    )
    def kb_dump_sensor(context: dg.SensorEvaluationContext, project: ProjectResource) -> dg.SensorResult:
        params_now = project.load()
        settings = automation_config(params_now)
        scan = scan_landing(landing_dir(params_now), json.loads(context.cursor or "{}"), settings.settle_s)
        for problem in scan.ignored:
            context.log.warning(f"landing folder: ignored {problem}")
        new = [d for d in scan.dumps if not context.instance.has_dynamic_partition(KB_DUMPS.name, d.key)]
        cursor = json.dumps(scan.cache, sort_keys=True)
        if not new:
            return dg.SensorResult(skip_reason=f"no new dump among {len(scan.dumps)} landed", cursor=cursor)
        requests = [dg.RunRequest(run_key=d.key, partition_key=d.key, job_name=dump_refresh.name,
                                  tags={"relik/dump": str(d.path), "relik/dump_kind": d.kind}) for d in new]
        if settings.retrain:
            keys = ",".join(d.key for d in new)
            requests.append(dg.RunRequest(run_key=f"retrain:{keys}", job_name=retrain.name, tags={"relik/dumps": keys}))
        return dg.SensorResult(run_requests=requests, cursor=cursor,
                               dynamic_partitions_requests=[KB_DUMPS.build_add_request([d.key for d in new])])

    return kb_dump_sensor


def newest_per_source(keys: list[str]) -> list[str]:
    """The last-registered dump key of each (kind, language), in registration order."""
    newest: dict[tuple[str, str | None], str] = {}
    for key in keys:
        source = parse_key(key)
        newest.pop(source, None)
        newest[source] = key
    return list(newest.values())


def build_schedule(params: Params, refresh: AssetJob) -> dg.ScheduleDefinition:
    config = automation_config(params)

    @dg.schedule(
        name="emerging_entities_schedule", job=refresh, cron_schedule=config.schedule,
        default_status=_schedule_status(config.schedule_running),
        description="Re-diff the newest dump of each kind against the promoted index; embed only new/changed.",
    )
    def emerging_entities_schedule(context: dg.ScheduleEvaluationContext):
        keys = newest_per_source(context.instance.get_dynamic_partitions(KB_DUMPS.name))
        if not keys:
            return dg.SkipReason("no KB dump registered yet")
        tick = context.scheduled_execution_time.isoformat() if context.scheduled_execution_time else "now"
        return [dg.RunRequest(run_key=f"{key}@{tick}", partition_key=key) for key in keys]

    return emerging_entities_schedule
