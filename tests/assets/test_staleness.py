"""`relik-ml build` (the stamps), `dvc status` (dvc.lock) and Dagster (data and code versions) agree
on what is stale: a cheap stage (`entity_passages`) on the bundled KILT sample in a fresh DVC repo."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import dagster as dg
import yaml
from dagster._core.definitions.data_version import StaleStatus
from dagster._core.definitions.observe import observe
from dagster._utils.test.data_versions import get_stale_status_resolver

from relik_ml.cli import main
from relik_ml.config import load_params
from relik_ml.dvc_yaml import render_dvc_yaml
from relik_ml.stages import stage_call
from relik_ml.stages.memo import up_to_date
from tests.paths import SAMPLE, temp_params

STAGE = "entity_passages"
KEY = dg.AssetKey(STAGE)


def _dvc(repo, *args: str) -> str:
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])  # relik-ml for dvc repro
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "PATH": path}
    result = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=repo, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _project(tmp_path):
    """params.yaml + dvc.yaml in a fresh DVC repo whose KILT dump is a copy (so the test may edit it)."""
    kilt = tmp_path / "raw" / "kilt.jsonl"
    kilt.parent.mkdir()
    shutil.copy(SAMPLE / "kilt" / "knowledge_source.jsonl", kilt)
    path = temp_params(tmp_path, {"raw": {"kilt": str(kilt)}, "paths": {"data_root": "data"}})
    _dvc(tmp_path, "init", "--no-scm", "-q")
    (tmp_path / "dvc.yaml").write_text(render_dvc_yaml(load_params(path)))
    return path


class _Views:
    """The three answers to "is the stage stale?"."""

    def __init__(self, path, instance: dg.DagsterInstance) -> None:
        self.path, self.instance = path, instance

    def assets(self) -> tuple[dg.SourceAsset, dg.AssetsDefinition, dict]:
        """The raw KILT source, the stage's asset and resources, as the composition root builds them."""
        from relik_assets.assets.raw import build_raw_assets
        from relik_assets.assets.stages import stage_asset
        from relik_assets.resources import DvcResource, ProjectResource
        from relik_ml.stages import STAGES

        params = load_params(self.path)
        resources = {"project": ProjectResource(params_path=str(self.path)),
                     "dvc": DvcResource(enabled=True, repo=str(self.path.parent))}  # a build commits to dvc.lock
        kilt = next(a for a in build_raw_assets(params) if a.key == dg.AssetKey("raw_kilt"))
        return kilt, stage_asset(STAGES[STAGE], params), resources

    def stamps(self) -> bool:
        params = load_params(self.path)
        return not up_to_date(stage_call(STAGE, params), params)

    def dvc(self) -> bool:
        return STAGE in _dvc(self.path.parent, "status", STAGE)

    def dagster(self) -> bool:
        kilt, asset, resources = self.assets()
        observe([kilt], instance=self.instance, resources=resources)  # the UI's "Observe sources"
        # the resolver behind the UI's "Unsynced" badge (Dagster's own helper builds its loading context)
        return get_stale_status_resolver(self.instance, [kilt, asset]).get_status(KEY) != StaleStatus.FRESH

    def all(self) -> tuple[bool, bool, bool]:
        return self.stamps(), self.dvc(), self.dagster()

    def build(self) -> bool:
        """Materialise the stage in Dagster; True when it reused the artifact (the stamp matched)."""
        kilt, asset, resources = self.assets()
        result = dg.materialize([kilt, asset], instance=self.instance, resources=resources, selection=[KEY])
        return result.asset_materializations_for_node(STAGE)[0].metadata["reused"].value


def test_build_dvc_and_dagster_agree_on_what_is_stale(tmp_path):
    path = _project(tmp_path)
    views = _Views(path, dg.DagsterInstance.ephemeral())
    assert views.all() == (True, True, True)  # never built
    assert not views.build()
    assert views.all() == (False, False, False)

    params = yaml.safe_load(path.read_text())
    params["entity_passages"]["max_words"] = 16  # a param the stage reads
    path.write_text(yaml.safe_dump(params))
    assert views.all() == (True, True, True)
    assert not views.build()
    assert views.all() == (False, False, False)

    kilt = tmp_path / "raw" / "kilt.jsonl"  # an input: one page fewer
    kilt.write_text("".join(kilt.read_text().splitlines(keepends=True)[1:]))
    assert views.all() == (True, True, True)
    assert main(["build", STAGE, "--params", str(path)]) == 0  # outside Dagster: stamps and dvc.lock follow
    assert (views.stamps(), views.dvc()) == (False, False)
    assert views.dagster()  # the UI knows only what it ran or observed: still "unsynced" ...
    assert views.build()  # ... until a materialisation, which reuses the artifact
    assert views.all() == (False, False, False)

    params["entity_passages"]["max_words"] = 24
    path.write_text(yaml.safe_dump(params))
    assert views.all() == (True, True, True)
    _dvc(tmp_path, "repro", "--quiet", STAGE)  # DVC runs `relik-ml run`, which stamps what it builds
    assert (views.stamps(), views.dvc()) == (False, False)
    assert views.build() and views.all() == (False, False, False)
