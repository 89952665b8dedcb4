"""`kill -9` at chosen points of real writes (issue 22): the reader sees the old or the new artifact,
never a partial one, and the re-run redoes the write cleanly and leaves no temporary behind.

Each case builds version v1 of an artifact here, then a subprocess writes v2 and SIGKILLs itself at a
chosen point of `relik_ml.io` (the child wraps `atomic_directory`, `atomic_file`, `_exchange` or
`Path.rename`; the library has no test hook), so the kill lands at an exact place rather than after a
guessed sleep. The embedding-shard kill from the outside, mid-shard, is in
tests/retriever/test_embedding_shards.py; here the shard is killed at its commit points.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import relik_ml.io as io

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import contextlib, os, pathlib, signal, sys
import relik_ml.io as io

POINT, TARGET = os.environ["KILL_POINT"], os.environ["KILL_TARGET"]


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def hit(path, point):
    return POINT == point and pathlib.Path(path).name == TARGET


real_directory, real_file, real_exchange, real_rename = io.atomic_directory, io.atomic_file, io._exchange, pathlib.Path.rename


@contextlib.contextmanager
def atomic_directory(final, **kwargs):
    with real_directory(final, **kwargs) as tmp:
        if hit(final, "enter"):
            die()
        yield tmp
        if hit(final, "written"):
            die()


@contextlib.contextmanager
def atomic_file(final, **kwargs):
    with real_file(final, **kwargs) as handle:
        yield handle
        if hit(final, "written"):
            handle.flush()
            die()


def exchange(first, second):
    if POINT == "aside":  # as on a file system without renameat2 exchange: two renames
        return False
    done = real_exchange(first, second)
    if hit(second, "swapped"):
        die()
    return done


def rename(self, target):
    moved = real_rename(self, target)
    if POINT == "aside" and pathlib.Path(target).name.endswith(".old"):
        die()
    return moved


io.atomic_directory, io.atomic_file, io._exchange, pathlib.Path.rename = atomic_directory, atomic_file, exchange, rename
if POINT == "training":
    from relik_ml.retriever.module import RetrieverModule

    step = RetrieverModule.training_step

    def training_step(self, batch, batch_idx):
        if batch_idx == 1:
            die()
        return step(self, batch, batch_idx)

    RetrieverModule.training_step = training_step

from tests.test_kill_resume import JOBS

JOBS[sys.argv[1]](pathlib.Path(sys.argv[2]), sys.argv[3])
"""


def run_killed(job: str, root: Path, version: str, point: str, target: str) -> None:
    """Run `JOBS[job](root, version)` in a subprocess that SIGKILLs itself at `point` of the write of `target`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "KILL_POINT": point, "KILL_TARGET": target}
    done = subprocess.run([sys.executable, "-c", CHILD, job, str(root), version], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, f"not killed at {point} (exit {done.returncode}):\n{done.stderr[-3000:]}"


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if ".tmp-" in p.name or p.name.endswith(".old")]


# --- the artifacts: setup (here), write (here and in the child), read (with the real reader) -> version seen


def write_artifact(root: Path, version: str) -> None:
    with io.atomic_directory(root / "art", artifact="thing") as tmp:
        (tmp / "data.txt").write_text(version * 100_000)
        io.write_manifest(tmp, artifact="thing", counts={"version": version})


def read_artifact(root: Path) -> str | None:
    if not (root / "art").exists():
        return None
    version = io.read_manifest(root / "art")["counts"]["version"]
    assert (root / "art" / "data.txt").read_text() == version * 100_000
    return version


def write_index(root: Path, version: str) -> None:
    import numpy as np

    from relik_ml.index import IndexConfig, PassageIndex

    vectors = np.random.default_rng(int(version[1:])).standard_normal((64, 8)).astype(np.float32)
    PassageIndex.build(vectors, [f"{version}-{i}" for i in range(64)], IndexConfig(recall_check_queries=0)).save(
        root / "index")


def read_index(root: Path) -> str | None:
    from relik_ml.index import PassageIndex

    if not (root / "index").exists():
        return None
    ids = PassageIndex.load(root / "index").ids
    assert len(ids) == 64 and len({i.split("-")[0] for i in ids}) == 1
    return ids[0].split("-")[0]


def setup_shard(root: Path, model_dir: Path) -> None:
    shutil.copytree(model_dir.parent / "retriever", root / "retriever")
    for version in ("v1", "v2"):
        (root / f"passages-{version}").mkdir()
        io.write_jsonl(root / f"passages-{version}" / "passages.jsonl",
                       [{"id": f"{version}-{i}", "title": f"entity {i}", "text": f"text {i} of {version}"}
                        for i in range(40)])


def write_shard(root: Path, version: str) -> None:
    from relik_ml.pipeline import retrieval

    config = retrieval.EmbeddingConfig(shards=1, batch_size=8)
    retrieval.passage_embeddings(root / "retriever", root / f"passages-{version}", 0, config, root / "shard-0")


def read_shard(root: Path) -> str | None:
    from relik_ml.pipeline.embedding_shards import load_shard

    if not (root / "shard-0").exists():
        return None
    embeddings, ids = load_shard(root / "shard-0")
    assert embeddings.shape[0] == len(ids) == 40
    return ids[0].split("-")[0]


F1 = {"v1": 0.5, "v2": 0.6}


def setup_promotion(root: Path, model_dir: Path) -> None:
    for version, f1 in F1.items():
        report = root / f"report-{version}"
        shutil.copytree(model_dir, report / "model")
        (report / "report").mkdir()
        results = [{"dataset": "dev", "metrics": {"inkb_el": {"f1": f1}}}]
        (report / "report" / "report.json").write_text(json.dumps({"results": results}))


def write_promotion(root: Path, version: str) -> None:
    from relik_ml.evaluation.promotion import GateConfig
    from relik_ml.pipeline.evaluation import promoted_model

    promoted_model(root / f"report-{version}", GateConfig(dataset="dev"), root / "promoted")


def read_promotion(root: Path) -> str | None:
    if not (root / "promoted").exists():
        return None
    complete_model_dir(root / "promoted")
    f1 = io.read_json(root / "promoted" / "evaluation.json")["results"][0]["metrics"]["inkb_el"]["f1"]
    return next(version for version, value in F1.items() if value == f1)


NEW_PASSAGE = {"v1": ("Q999001", "Ilse Varenkamp"), "v2": ("Q999002", "Mirela Vantongeren")}


def setup_refresh(root: Path, model_dir: Path) -> None:
    shutil.copytree(model_dir, root / "model")
    kb = [obj for _, obj in io.iter_jsonl(model_dir / "passages.jsonl")]
    for version, (pid, title) in NEW_PASSAGE.items():
        io.write_jsonl(root / f"newer-{version}.jsonl", [*kb, {"id": pid, "title": title, "text": "a new entity"}])


def write_refresh(root: Path, version: str) -> None:
    from relik_ml.pipeline.refresh import refresh_model_dir

    refresh_model_dir(root / "model", root / f"newer-{version}.jsonl")


def read_refresh(root: Path) -> str | None:
    from relik_ml.index import PassageIndex

    complete_model_dir(root / "model")
    ids = set(PassageIndex.load(root / "model" / "index").ids)
    (version,) = [v for v, (pid, _) in NEW_PASSAGE.items() if pid in ids]
    return version


def complete_model_dir(directory: Path) -> None:
    """Every component the manifest hashed is there with that content (what a reader loads is whole)."""
    manifest = io.read_manifest(directory)
    assert manifest["inputs"] and all(io.tree_sha256(directory / name) == digest
                                      for name, digest in manifest["inputs"].items())


JOBS = {"art": write_artifact, "index": write_index, "shard-0": write_shard, "promoted": write_promotion,
        "model": write_refresh}
READERS = {"art": read_artifact, "index": read_index, "shard-0": read_shard, "promoted": read_promotion,
           "model": read_refresh}
SETUPS = {"shard-0": setup_shard, "promoted": setup_promotion, "model": setup_refresh}

CASES = [("art", "enter"), ("art", "written"), ("art", "swapped"), ("art", "aside"),
         ("index", "written"), ("index", "swapped"),
         ("shard-0", "written"), ("shard-0", "swapped"),
         ("promoted", "written"), ("promoted", "swapped"),
         ("model", "written"), ("model", "swapped")]


@pytest.mark.parametrize(("name", "point"), CASES)
def test_killed_write_keeps_a_whole_artifact_and_the_rerun_cleans_up(name, point, tmp_path, retriever_only_dir):
    if name in SETUPS:
        SETUPS[name](tmp_path, retriever_only_dir)
    JOBS[name](tmp_path, "v1")
    assert READERS[name](tmp_path) == "v1" and leftovers(tmp_path) == []

    run_killed(name, tmp_path, "v2", point, name)

    assert leftovers(tmp_path), "the kill left no temporary: it did not land inside the write"
    seen = {"swapped": "v2", "aside": None}.get(point, "v1")  # aside: between the two renames, no exchange
    assert READERS[name](tmp_path) == seen
    JOBS[name](tmp_path, "v2")
    assert READERS[name](tmp_path) == "v2"
    assert leftovers(tmp_path) == []


TRAIN = {"max_steps": 3, "max_epochs": 1, "batch_size": 8, "passages_per_batch": 5, "val_every_n_steps": 3,
         "eval_k": 5}
STAGE = "re/relation_retriever"


def stage_params(root: Path) -> Path:
    from relik_ml.backbones import tiny_backbone
    from tests.paths import SAMPLE, temp_params

    backbone = tiny_backbone(root / "backbone")
    return temp_params(root, {"tracking": {"mode": "disabled"}, "re": {
        "relations": str(SAMPLE / "conll04" / "relations.json"),
        "relation_retriever": {"backbone": str(backbone), "train": TRAIN}}})


def build_stage(root: Path, _version: str) -> list[str]:
    from relik_ml.config import load_params
    from relik_ml.stages.closure import run_closure

    lines: list[str] = []
    run_closure([STAGE], load_params(root / "params.yaml"), log=lines.append)
    return lines


JOBS["stage"] = build_stage


@pytest.mark.parametrize(("point", "target"), [("training", ""), ("written", "relation_retriever"),
                                               ("written", "re__relation_retriever.json")])
def test_training_stage_killed_is_redone_and_stamped(point, target, tmp_path):
    """A kill mid-training, inside the artifact write, or inside the stamp write: the re-run rebuilds the
    stage, every stamp is whole JSON, nothing temporary stays, and a third run reuses everything."""
    from relik_ml.config import load_params
    from relik_ml.retriever.encoder import Retriever

    stage_params(tmp_path)
    run_killed("stage", tmp_path, "v1", point, target)
    data = load_params(tmp_path / "params.yaml").artifact_dir(STAGE)
    if data.exists():  # a kill in the stamp write: the artifact itself is whole
        complete = io.read_manifest(data)
        assert complete["artifact"] == "retriever"
    assert build_stage(tmp_path, "v1")[-1] == f"built  {STAGE}"
    Retriever.from_pretrained(data)
    stamps = sorted((tmp_path / "data" / ".stamps").glob("*.json"))
    assert stamps and all(isinstance(io.read_json(path), dict) for path in stamps)
    assert leftovers(tmp_path / "data") == []
    assert all(line.startswith("reused") for line in build_stage(tmp_path, "v1"))
