"""The sharded passage embeddings on a real Dask cluster (scheduler + 2 worker processes on 127.0.0.1)
through Dagster's `dask_executor`: shards are built by the cluster's workers, and a worker killed with
SIGKILL mid-shard costs only the unfinished shards (Dask re-runs the lost step; a whole re-run after a
killed run is tests/retriever/test_embedding_shards.py)."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import dagster as dg
import pytest
from distributed import Client, LocalCluster

from relik_ml.inference.model_dir import RETRIEVER_DIR
from relik_ml.io import write_jsonl
from relik_ml.pipeline import retrieval
from relik_ml.pipeline.summary import PASSAGES_FILE
from relik_ml.types import Passage

from relik_assets.distributed import (
    ClusterConfig,
    ShardEmbeddingResource,
    cluster_config,
    embedding_job,
    execute_embedding_job,
    lineage_embedding_job,
    lineage_resource,
    run_config,
)

SHARDS = 4


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as local, Client(local) as client:
        yield local, client


def _worker_pids(client: Client) -> dict[str, int]:
    return client.run(os.getpid)  # worker address -> pid


def _passages(directory: Path, count: int) -> Path:
    words = "apple river castle dragon forest guitar harbor island jungle kettle lemon mountain".split()
    directory.mkdir(parents=True)
    write_jsonl(directory / PASSAGES_FILE,
                [Passage(f"Q{i}", f"{words[i % 12]} {i}", " ".join(words[: i % 9])) for i in range(count)])
    return directory


def _resource(tmp_path: Path, retriever_only_dir: Path, count: int, batch_size: int) -> ShardEmbeddingResource:
    return ShardEmbeddingResource(retriever=str(retriever_only_dir / RETRIEVER_DIR),
                                  passages=str(_passages(tmp_path / "passages", count)),
                                  out=str(tmp_path / "emb"), shards=SHARDS, batch_size=batch_size)


def _built_by(resource: ShardEmbeddingResource, shard: int) -> int:
    return json.loads((resource.shard_dir(shard) / "manifest.json").read_text())["built_by"]["pid"]


def _stat(directory: Path) -> tuple[int, int]:
    return directory.stat().st_ino, directory.stat().st_mtime_ns


def _instance(tmp_path: Path) -> dg.DagsterInstance:
    (tmp_path / "dagster_home").mkdir()
    return dg.DagsterInstance.local_temp(str(tmp_path / "dagster_home"))


def test_every_shard_is_built_by_a_cluster_worker(tmp_path, cluster, retriever_only_dir):
    local, client = cluster
    resource = _resource(tmp_path, retriever_only_dir, 400, 16)
    with _instance(tmp_path) as instance:
        result = execute_embedding_job(resource, ClusterConfig(cluster="existing", address=local.scheduler_address),
                                       instance)
    assert result.success
    builders = {_built_by(resource, shard) for shard in range(SHARDS)}
    assert os.getpid() not in builders and builders <= set(_worker_pids(client).values())
    assert len(builders) == 2  # both worker processes took shards
    _, ids = retrieval.load_embeddings([resource.shard_dir(s) for s in range(SHARDS)])
    assert sorted(ids) == sorted(f"Q{i}" for i in range(400))


def test_worker_killed_mid_shard_redoes_only_unfinished_shards(tmp_path, cluster, retriever_only_dir):
    local, client = cluster
    resource = _resource(tmp_path, retriever_only_dir, 3000, 2)  # small batches: a shard takes seconds
    config, out = ClusterConfig(cluster="existing", address=local.scheduler_address), Path(resource.out)
    results = []
    with _instance(tmp_path) as instance:
        run = threading.Thread(target=lambda: results.append(execute_embedding_job(resource, config, instance)))
        run.start()
        killed, shard, finished = _kill_a_worker_mid_shard(client, out)
        committed_before_kill = (out / f"shard-{shard}" / "manifest.json").exists()  # SIGKILL is immediate
        run.join(timeout=300)
        assert results and results[0].success  # Dask re-ran the lost step on a live (or restarted) worker
        assert all(_stat(resource.shard_dir(s)) == stat for s, stat in finished.items())  # finished shards untouched
        assert not list(out.glob(".shard-*"))  # leftovers of the killed write gone
        if not committed_before_kill:  # the usual case; else the kill landed just after the shard's last rename
            assert _built_by(resource, shard) != killed  # redone by another (or the restarted) worker
    _, ids = retrieval.load_embeddings([resource.shard_dir(s) for s in range(SHARDS)])
    assert sorted(ids) == sorted(f"Q{i}" for i in range(3000))


def _kill_a_worker_mid_shard(client: Client, out: Path) -> tuple[int, int, dict[int, tuple[int, int]]]:
    """SIGKILL the worker building a shard (its temporary directory exists) once another shard is
    finished: (killed pid, the shard it was building, stat of the shards finished before the kill)."""
    deadline = time.monotonic() + 300  # a guard only
    pids = _worker_pids(client)  # asked once: a round trip per poll widened the window before the kill
    while time.monotonic() < deadline:
        finished = {s: _stat(out / f"shard-{s}") for s in range(SHARDS) if (out / f"shard-{s}/manifest.json").exists()}
        partial = [s for s in range(SHARDS) if s not in finished and list(out.glob(f".shard-{s}.tmp-*"))]
        if finished and partial:
            for address, keys in client.processing().items():
                if any(key.endswith(f"embed_shard_{partial[0]}") for key in keys):
                    os.kill(pids[address], signal.SIGKILL)
                    return pids[address], partial[0], finished
        time.sleep(0.05)
    raise AssertionError("no moment with a finished shard and a shard in progress")


def test_cluster_config_from_params_and_executor_config(tmp_path):
    from relik_ml.config import load_params
    from relik_ml.errors import InputError

    (tmp_path / "params.yaml").write_text("distributed: {cluster: existing, address: 'tcp://10.0.0.5:8786'}\n")
    remote = cluster_config(load_params(tmp_path / "params.yaml"))
    assert remote.executor_config() == {"cluster": {"existing": {"address": "tcp://10.0.0.5:8786"}}}
    local = ClusterConfig(workers=3).executor_config()["cluster"]["local"]
    assert local["n_workers"] == 3 and local["threads_per_worker"] == 1 and local["host"] == "127.0.0.1"
    (tmp_path / "params.yaml").write_text("distributed: {workerz: 2}\n")
    with pytest.raises(InputError, match="workerz"):
        cluster_config(load_params(tmp_path / "params.yaml"))
    with pytest.raises(ValueError, match="address"):
        ClusterConfig(cluster="existing")
    job = embedding_job(3)
    assert sorted(job.graph.node_dict) == ["embed_shard_0", "embed_shard_1", "embed_shard_2", "embeddings_complete"]
    assert job.executor_def.name == "dask"


def test_lineage_job_embeds_the_stage_tables_shards_with_a_valid_run_config(tmp_path):
    from relik_ml.config import load_params
    from relik_ml.stages import stage_call

    from tests.paths import temp_params

    params = load_params(temp_params(tmp_path))
    resource, job = lineage_resource(params), lineage_embedding_job(params)
    keys = [f"shard-{i}" for i in range(resource.shards)]
    assert [resource.shard_dir(i) for i in range(resource.shards)] == [
        stage_call("el/passage_embeddings", params, key).out for key in keys]
    assert len([n for n in job.graph.node_dict if n.startswith("embed_shard_")]) == resource.shards
    dg.validate_run_config(job, run_config(resource, cluster_config(params)))
