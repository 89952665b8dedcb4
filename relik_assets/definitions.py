"""The composition root: the whole system in one place.

raw inputs -> kb (KB texts, backbones) -> windows -> retrieval (retriever, embeddings, index)
-> reading (candidates, reader) -> evaluation (report, gate, promoted model). Every asset is a row
of the stage table in `relik_ml.stages`; this file adds the checks that guard each one, the
resources, and the automation. `defs` is what `dagster dev` and `dagster definitions validate`
load; `build_definitions` lets tests point it at their own params.
"""
from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from relik_ml.config import Params, load_params
from relik_ml.stages import STAGES
from relik_ml.stages.linking import shard_keys

from relik_assets.assets.raw import build_raw_assets
from relik_assets.assets.stages import StageChecks, stage_asset
from relik_assets.automation import build_automation
from relik_assets.checks import integrity, quality
from relik_assets.resources import DeviceResource, DvcResource, ProjectResource

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PARAMS = PROJECT_ROOT / "params.yaml"

PASSAGES = StageChecks(((quality.PASSAGES_CHECK, True, "GX passages suite"),),
                       lambda _p, out: quality.passages_check(out))
MODEL = StageChecks(((integrity.MODEL_CHECK, True, "weights load and are finite; answers a smoke query"),),
                    lambda _p, out: integrity.model_check(out))
INDEX_SPECS = ((integrity.INDEX_CHECK, True, "size and ids equal the passages; search agrees with exact search"),)


CHECKS: dict[str, StageChecks] = {
    "entity_passages": PASSAGES,
    "relation_passages": PASSAGES,
    "damuel_passages": PASSAGES,
    "pretraining_windows": StageChecks(((quality.WINDOWS_CHECK, True, "GX windows suite"),),
                                       lambda _p, out: quality.windows_check(out)),
    "task_windows": StageChecks(
        ((quality.DOCUMENTS_CHECK, True, "GX documents suite"), (quality.WINDOWS_CHECK, True, "GX windows suite"),
         (quality.KB_COVERAGE_CHECK, False, "gold labels found in the KB")),
        lambda p, out: quality.task_windows_checks(out, p.artifact_dir("entity_passages")),
    ),
    "el/retriever_pretrained": MODEL,
    "el/retriever": MODEL,
    "el/reader": MODEL,
    "el/passage_embeddings": StageChecks(((integrity.EMBEDDINGS_CHECK, True, "finite, one row per passage"),),
                                         lambda _p, out: integrity.embeddings_check(out)),
    "el/passage_index": StageChecks(
        INDEX_SPECS,
        lambda p, out: integrity.index_check(out, p.artifact_dir("entity_passages"),
                                             [p.artifact_dir("el/passage_embeddings", k) for k in shard_keys(p)]),
    ),
    "el/retriever_eval_report": StageChecks(((integrity.RECALL_GATE_CHECK, True, "fine-tuned recall@k clears the floor"),),
                                            lambda _p, out: integrity.recall_gate_check(out)),
}


def _index_checks(passages: str, embeddings: str) -> StageChecks:
    return StageChecks(INDEX_SPECS,
                       lambda p, out: integrity.index_check(out, p.artifact_dir(passages), [p.artifact_dir(embeddings)]))


RE_CIE_INDEXES = {  # re/ and cie/ indexes: (their passages, their single-shard embeddings)
    "re/relation_index": ("re/relation_passages", "re/relation_embeddings"),
    "cie/passage_index": ("cie/entity_passages", "cie/passage_embeddings"),
    "cie/relation_index": ("relation_passages", "cie/relation_embeddings"),
}
CHECKS.update({
    **{name: MODEL for name in ("re/relation_retriever", "re/reader", "cie/retriever", "cie/relation_retriever",
                                "cie/reader", "el/promoted_model", "re/promoted_model", "cie/promoted_model")},
    "re/relation_passages": PASSAGES,
    "cie/entity_passages": PASSAGES,
    **{embeddings: CHECKS["el/passage_embeddings"] for _, embeddings in RE_CIE_INDEXES.values()},
    **{index: _index_checks(passages, embeddings) for index, (passages, embeddings) in RE_CIE_INDEXES.items()},
})


def build_assets(params: Params) -> list:
    return [*build_raw_assets(params), *(stage_asset(s, params, CHECKS.get(name, StageChecks()))
                                         for name, s in STAGES.items())]


def build_definitions(params_path: str | Path = DEFAULT_PARAMS, *, dvc_enabled: bool = True) -> dg.Definitions:
    """All assets, checks, jobs and resources for the params file at `params_path`."""
    params = load_params(params_path)
    automation = build_automation(params)
    return dg.Definitions(
        assets=[*build_assets(params), *automation.assets],
        jobs=automation.jobs,
        sensors=automation.sensors,
        schedules=automation.schedules,
        resources={
            "project": ProjectResource(params_path=str(Path(params_path).resolve())),
            "dvc": DvcResource(enabled=dvc_enabled, repo=str(params.root)),
            "device": DeviceResource(),
        },
    )


defs = build_definitions(
    os.environ.get("RELIK_PARAMS", DEFAULT_PARAMS),
    dvc_enabled=os.environ.get("RELIK_DVC", "1") != "0",
)
