"""KB-dump automation: passages of a landed dump, and the refresh of the promoted model against them.

These are not rows of the stage table, on purpose. A dump version is a key discovered at run time
(a Dagster dynamic partition created by the landing-folder sensor); DVC's `foreach` needs its keys in
`params.yaml` before `dvc repro`, so the DVC graph cannot hold them. And the refresh does not build an
artifact of its own: it updates the promoted model in place (atomically), so the only DVC-visible
change is that model's new content, which `refresh_promoted_model` re-stamps (and the Dagster asset
re-commits) so that neither the stage runner nor `dvc status` takes it for a stale output.
"""
from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from relik_ml import pipeline
from relik_ml.config import Params, build_section
from relik_ml.errors import InputError
from relik_ml.inference import model_dir as names
from relik_ml.inference.settings import RelikSettings
from relik_ml.io import MANIFEST, read_json
from relik_ml.landing import KINDS, find_dump, parse_key
from relik_ml.pipeline.refresh import refresh_model_dir
from relik_ml.pipeline.summary import Summary
from relik_ml.stages import STAGES, stage_call
from relik_ml.stages.core import StageCall
from relik_ml.stages.memo import record, run_memoized, stamp_path, up_to_date

DUMP_PASSAGES = "kb_dump_passages"  # artifact: <data_root>/kb_dump_passages/<dump key>/passages.jsonl


@dataclass(frozen=True)
class AutomationConfig:
    """The `automation` section of `params.yaml`: landing-folder sensor, refresh schedule, retraining."""

    landing: str = "data/landing"  # folder watched for new KB dumps (layout: relik_ml.landing)
    model: str = "el/promoted_model"  # artifact refreshed in place by a new dump (a model directory)
    prune: tuple[str, ...] = ("kilt", "wikidata_properties")  # full-snapshot kinds: ids they lack are removed
    batch_size: int = 128  # passages per embedding batch during a refresh
    sensor_interval_s: int = 30  # seconds between two looks at the landing folder
    settle_s: float = 10.0  # a file must be this many seconds old to count as landed
    sensor_running: bool = True  # the sensor starts with `dagster dev` (else switch it on in the UI)
    schedule: str = "0 3 * * *"  # cron of the emerging-entity refresh (newest dump per kind)
    schedule_running: bool = True  # the schedule starts with `dagster dev`
    retrain: bool = False  # a new dump also requests the EL retrain job (trains on params.yaml's raw inputs)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.prune) - set(KINDS))
        if unknown:
            raise InputError(f"unknown dump kinds {unknown}; kinds: {list(KINDS)}", field="automation.prune")
        if self.batch_size < 1 or self.sensor_interval_s < 1 or self.settle_s < 0:
            raise InputError("batch_size and sensor_interval_s must be >= 1, settle_s >= 0", field="automation")


def automation_config(params: Params) -> AutomationConfig:
    return build_section(AutomationConfig, params.sections.get("automation"), name="automation",
                         source=params.root / "params.yaml")


def landing_dir(params: Params) -> Path:
    return params.resolve(automation_config(params).landing)


def dump_passages_call(params: Params, key: str) -> StageCall:
    """The passages of one landed dump, read with the same configs as the lineage's KB stages.

    The key names the dump's content, so the config is the whole fingerprint: the landed file is
    looked up only when the passages must be built.
    """
    kind, language = parse_key(key)
    out = params.artifact_dir(DUMP_PASSAGES, key)

    def source() -> Path:
        return find_dump(landing_dir(params), key).path

    if kind == "kilt":
        config, build = params.entity_passages, lambda: pipeline.entity_passages(source(), config, out)
    elif kind == "wikidata_properties":
        config, build = params.relation_passages, lambda: pipeline.relation_passages(source(), config, out)
    else:
        config, build = params.damuel_passages, lambda: pipeline.damuel_passages(source(), language, config, out)
    return StageCall(DUMP_PASSAGES, key, out, config, {}, build)


def dump_passages(params: Params, key: str) -> tuple[Summary, str, bool]:
    """Build (or reuse: the key names the content) the dump's passages: (summary, content hash, reused)."""
    return run_memoized(dump_passages_call(params, key), params)


def refresh_promoted_model(params: Params, key: str) -> Summary:
    """Refresh the configured model directory in place against the passages of dump `key`.

    Entity dumps (KILT, DaMuEL) refresh the entity index, Wikidata properties the relation index
    (skipped, with a reason in `extra`, when the model has none). Runs one at a time per model (a lock
    file beside it). When the model is a stage's output that was up to date, its stamp is renewed.
    """
    config = automation_config(params)
    kind, _ = parse_key(key)
    model = params.artifact_dir(config.model)
    passages = params.artifact_dir(DUMP_PASSAGES, key)
    if not (passages / MANIFEST).exists():
        raise InputError(f"passages of dump {key} not built yet (materialise {DUMP_PASSAGES} first)", path=passages)
    relations = kind == "wikidata_properties"
    with _locked(model):
        if relations and not _has_relation_index(model):
            return Summary("refreshed_model", model, {"skipped": 1},
                           extra={"skipped": "the model has no relation retriever/index to refresh"})
        call = stage_call(config.model, params) if config.model in STAGES else None
        was_current = call is not None and up_to_date(call, params)
        summary = refresh_model_dir(model, passages, relations=relations, prune=kind in config.prune,
                                    batch_size=config.batch_size)
        if was_current:
            stamp = read_json(stamp_path(call, params))
            record(call, params, Summary(call.artifact, model, stamp.get("counts", {}), extra=stamp.get("extra", {})))
    return Summary(summary.artifact, summary.path, summary.counts,
                   extra={**summary.extra, "dump": key, "restamped": was_current})


def retrain(params: Params, log=print) -> None:
    """The EL branch up to promotion, rebuilding what is stale (the same runner as `relik-ml gate`)."""
    from relik_ml.stages.closure import run_closure

    run_closure([automation_config(params).model], params, log=log)


def _has_relation_index(model: Path) -> bool:
    settings = RelikSettings.from_json(read_json(model / names.SETTINGS_FILE), path=model / names.SETTINGS_FILE)
    return bool(settings.relations) and (model / names.RELATION_INDEX_DIR).is_dir()


@contextlib.contextmanager
def _locked(model: Path) -> Iterator[None]:
    """An exclusive lock on `<model>.lock`, so concurrent refreshes of one model run one after another."""
    if not model.is_dir():
        raise InputError("no model directory to refresh (promote a model first)", path=model)
    lock = model.with_name(f".{model.name}.lock")
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
