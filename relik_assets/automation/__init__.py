"""KB-dump automation: a landing-folder sensor, the emerging-entity schedule and the jobs they run.

A KB dump dropped into the landing folder becomes a dump version (a dynamic partition of
`kb_dumps`); the sensor registers it and runs `kb_dump_refresh`: the dump's passages, then the
promoted model's index refreshed against them in place (new and changed passages embedded with the
promoted retriever, missing ones removed for full snapshots), no retraining. The schedule re-applies
the newest dump of each kind, so a model promoted later (whose KB is the configured one) gets the
emerging entities back. `el_retrain` (off by default) reruns the EL branch up to promotion.
"""
from dataclasses import dataclass

from relik_ml.config import Params

from relik_assets.automation.assets import KB_DUMPS, build_automation_assets
from relik_assets.automation.jobs import build_jobs
from relik_assets.automation.triggers import build_schedule, build_sensor


@dataclass(frozen=True)
class Automation:
    assets: list
    jobs: list
    sensors: list
    schedules: list


def build_automation(params: Params) -> Automation:
    """The dump assets, their jobs, the landing-folder sensor and the emerging-entity schedule."""
    dumps, refresh = build_automation_assets(params)
    jobs = build_jobs(dumps, refresh)
    return Automation(
        assets=[dumps, refresh],
        jobs=[jobs.dump_refresh, jobs.refresh, jobs.retrain],
        sensors=[build_sensor(params, jobs.dump_refresh, jobs.retrain)],
        schedules=[build_schedule(params, jobs.refresh)],
    )


__all__ = ["KB_DUMPS", "Automation", "build_automation"]
