"""The sharded passage embeddings as one Dagster job on a Dask cluster (`dagster-dask`).

One op per shard (static fan-out: the Dask executor plans every step up front, so dynamic outputs
would never reach the cluster), then one op that checks every shard is finished. Each op is one
call of `relik_ml.pipeline.retrieval.passage_embeddings`, which reuses finished shards and redoes
unfinished ones, so re-running the job after a killed worker or run only embeds what is missing.

Where the steps run is the executor config, read from the `distributed` section of params.yaml:

    distributed:
      cluster: local        # "local": a LocalCluster of `workers` processes on `host`; "existing": `address`
      workers: 2            # local worker processes
      threads_per_worker: 1 # threads per local worker (torch also runs one thread per Dask thread)
      host: 127.0.0.1       # interface the local scheduler and workers listen on
      address: null         # scheduler of a running cluster, e.g. tcp://10.0.0.5:8786 (cluster: existing)

A remote cluster's workers need this project installed, the inputs and outputs on a shared path,
and a Dagster instance they can reach (DAGSTER_HOME with a shared storage, e.g. Postgres).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dask import dask_executor

from relik_ml.config import Params, build_section
from relik_ml.pipeline import retrieval

JOB_NAME = "passage_embeddings_dask"
RESOURCE_KEY = "shard_embedding"
LINEAGE_EMBEDDINGS = "el/passage_embeddings"


@dataclass(frozen=True)
class ClusterConfig:
    cluster: str = "local"  # "local": start a LocalCluster for the run; "existing": connect to `address`
    workers: int = 2  # local worker processes
    threads_per_worker: int = 1  # threads per local worker
    host: str = "127.0.0.1"  # interface of the local scheduler and workers
    address: str | None = None  # scheduler address of an existing cluster (tcp://host:8786)

    def __post_init__(self) -> None:
        if self.cluster not in ("local", "existing"):
            raise ValueError(f"distributed.cluster must be 'local' or 'existing', got {self.cluster!r}")
        if self.cluster == "existing" and not self.address:
            raise ValueError("distributed.cluster 'existing' needs distributed.address")

    def executor_config(self) -> dict[str, Any]:
        """The `dagster_dask.dask_executor` config of this cluster."""
        if self.cluster == "existing":
            return {"cluster": {"existing": {"address": self.address}}}
        local = {"n_workers": self.workers, "threads_per_worker": self.threads_per_worker, "processes": True,
                 "host": self.host, "dashboard_address": ":0"}
        return {"cluster": {"local": local}}


def cluster_config(params: Params) -> ClusterConfig:
    """The `distributed` section of params.yaml (defaults: a 2-process LocalCluster on 127.0.0.1)."""
    return build_section(ClusterConfig, params.sections.get("distributed"), name="distributed",
                         source=params.root / "params.yaml")


class ShardEmbeddingResource(dg.ConfigurableResource):
    """What every shard op embeds and where it writes (`<out>/shard-<i>`)."""

    retriever: str  # retriever directory (retriever_config.json + encoder)
    passages: str  # passages directory (passages.jsonl)
    out: str  # folder of the shard directories
    shards: int  # shard count; must equal the job's op count
    batch_size: int = 128  # passages per forward pass

    def shard_dir(self, shard: int) -> Path:
        return Path(self.out) / f"shard-{shard}"

    def embedding_config(self) -> retrieval.EmbeddingConfig:
        return retrieval.EmbeddingConfig(shards=self.shards, batch_size=self.batch_size)


def _shard_op(shard: int, shards: int) -> dg.OpDefinition:
    @dg.op(name=f"embed_shard_{shard}", out=dg.Out(dg.Nothing), required_resource_keys={RESOURCE_KEY})
    def embed_shard(context) -> None:
        run: ShardEmbeddingResource = getattr(context.resources, RESOURCE_KEY)
        if run.shards != shards:
            raise dg.Failure(f"{RESOURCE_KEY}.shards={run.shards} but the job was built for {shards} shards")
        summary = retrieval.passage_embeddings(Path(run.retriever), Path(run.passages), shard,
                                               run.embedding_config(), run.shard_dir(shard))
        context.log.info(f"shard {shard}: {summary.counts['passages']} passages in {run.shard_dir(shard)}"
                         f" ({'reused' if summary.extra['shard_reused'] else 'built'})")

    return embed_shard


@dg.op(ins={"shards_done": dg.In(dg.Nothing)}, out=dg.Out(dg.Nothing), required_resource_keys={RESOURCE_KEY})
def embeddings_complete(context) -> dg.Output:
    """Every shard finished: totals read back from the shard manifests."""
    from relik_ml.io import read_manifest

    run: ShardEmbeddingResource = getattr(context.resources, RESOURCE_KEY)
    manifests = [read_manifest(run.shard_dir(i)) for i in range(run.shards)]
    totals = {"passages": sum(m["counts"]["passages"] for m in manifests), "shards": len(manifests),
              "shard_seconds": round(sum(m.get("seconds", 0.0) for m in manifests), 1)}
    return dg.Output(None, metadata=totals)


def embedding_job(shards: int, default_run_config: dict[str, Any] | None = None) -> dg.JobDefinition:
    """`shards` embedding ops and a completion check, executed by `dagster_dask.dask_executor`."""
    if shards < 1:
        raise ValueError(f"shards must be >= 1, got {shards}")
    ops = [_shard_op(i, shards) for i in range(shards)]

    @dg.job(name=JOB_NAME, executor_def=dask_executor, config=default_run_config,
            resource_defs={RESOURCE_KEY: ShardEmbeddingResource.configure_at_launch()},
            description="Passage embedding shards fanned out over a Dask cluster (params: distributed).")
    def passage_embeddings_dask() -> None:
        embeddings_complete(shards_done=[op() for op in ops])

    return passage_embeddings_dask


def run_config(resource: ShardEmbeddingResource, cluster: ClusterConfig) -> dict[str, Any]:
    """The run config of one job run: the executor's cluster and the shard inputs/outputs."""
    return {"execution": {"config": cluster.executor_config()},
            "resources": {RESOURCE_KEY: {"config": resource.model_dump()}}}


def lineage_resource(params: Params) -> ShardEmbeddingResource:
    """The lineage's own shards, as the stage table wires them (`el/retriever` + `entity_passages`)."""
    from relik_ml.stages import STAGES, stage_call

    keys = STAGES[LINEAGE_EMBEDDINGS].partitions(params)
    call = stage_call(LINEAGE_EMBEDDINGS, params, keys[0])
    return ShardEmbeddingResource(retriever=str(call.inputs["retriever"]), passages=str(call.inputs["passages"]),
                                  out=str(call.out.parent), shards=len(keys), batch_size=call.config.batch_size)


def lineage_embedding_job(params: Params) -> dg.JobDefinition:
    """The job for `definitions.py`: the lineage's shards on the cluster of params.yaml `distributed`."""
    resource = lineage_resource(params)
    return embedding_job(resource.shards, run_config(resource, cluster_config(params)))


def execute_embedding_job(
    resource: ShardEmbeddingResource, cluster: ClusterConfig, instance: dg.DagsterInstance
) -> dg.ExecuteJobResult:
    """Run the job from Python (scripts, tests): a reconstructable job, so Dask workers can rebuild it."""
    job = dg.build_reconstructable_job(__name__, embedding_job.__name__, reconstructable_args=(resource.shards,))
    return dg.execute_job(job, instance=instance, run_config=run_config(resource, cluster), raise_on_error=False)
