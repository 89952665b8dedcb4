"""Fine-tune the EL retriever against the Wikipedia-scale KB with stale hard negatives (issue 16, item 5).

    nice -n 10 .venv/bin/python benchmarks/el_wiki_finetune.py train   # pool + fine-tuning
    nice -n 10 .venv/bin/python benchmarks/el_wiki_finetune.py embed   # the whole KB, re-embedded (resumable)

A CPU cannot re-embed 4.5M passages at every mining round (about 2.5 hours a pass on 2 cores), so
fine-tuning runs against a pool (`relik_ml.retriever.pool`): every gold passage of AIDA train and
testa, the stale hard negatives of every window (its top incorrect passages under the zero-shot
retriever that embedded the whole KB, searched in the compressed index of those embeddings, mined
once) and a seeded uniform sample of the rest of the KB. Live mining rounds and the dev recall that
selects the weights run against the pool. `embed` then re-embeds the whole KB with the fine-tuned
retriever on the Dask cluster (32 resumable shards), and `el_wiki_retrieval.py --systems
dense_fine_tuned` measures testa R@K against all of it.

Inputs: the KB (`--kb`), the zero-shot retriever and its shards (`benchmarks/embed_distributed.py
full`), the stale index (`--stale-index`, built here with the `auto` factory from those shards when
missing). Labels are resolved to KB ids by `entity_key` and the KB's redirects. Budget: the
`el.retriever` section of params.real-wiki.yaml. Results: the `fine_tuning` section of
benchmarks/results/el_wiki.json (pool counts, mining cost, training time, dev recall in the pool).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from el_wiki_retrieval import finished_shards  # noqa: E402  (benchmarks/ is not a package)
from kb_from_shared import read_aida  # noqa: E402

from relik_ml.config import load_params  # noqa: E402
from relik_ml.index import IndexConfig, PassageIndex  # noqa: E402
from relik_ml.io import iter_jsonl, read_json, write_json  # noqa: E402
from relik_ml.kb.coverage import read_redirects, with_kb_ids  # noqa: E402
from relik_ml.pipeline.embedding_shards import load_shard  # noqa: E402
from relik_ml.retriever.data import build_examples  # noqa: E402
from relik_ml.retriever.pool import PoolConfig, draw_pool, stale_negatives  # noqa: E402
from relik_ml.windows import WindowConfig, windows_for_documents  # noqa: E402

RESULTS = ROOT / "benchmarks/results/el_wiki.json"
WIKI = ROOT / "data/real-wiki"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("phase", choices=("train", "embed"))
    parser.add_argument("--data", type=Path, default=ROOT / ".." / "shared" / "data")
    parser.add_argument("--params", type=Path, default=ROOT / "params.real-wiki.yaml")
    parser.add_argument("--kb", type=Path, default=WIKI / "entity_passages")
    parser.add_argument("--stale-retriever", type=Path, default=WIKI / "el/retriever_zero_shot")
    parser.add_argument("--stale-embeddings", type=Path, default=WIKI / "el/passage_embeddings")
    parser.add_argument("--stale-index", type=Path, default=WIKI / "el/passage_index_zero_shot")
    parser.add_argument("--out", type=Path, default=WIKI / "el/retriever_fine_tuned")
    parser.add_argument("--embeddings-out", type=Path, default=WIKI / "el/passage_embeddings_fine_tuned")
    parser.add_argument("--pool-size", type=int, default=PoolConfig().size)
    parser.add_argument("--stale-per-window", type=int, default=PoolConfig().stale_negatives_per_window)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--results", type=Path, default=RESULTS, help="JSON whose `fine_tuning` section is written")
    parser.add_argument("--shards", type=int, default=32)
    return parser.parse_args(argv)


def retriever_settings(params_file: Path, backbone: Path):
    """The `el.retriever` model and train configs of the params file (the lineage's own budget),
    starting from `backbone` (the zero-shot retriever directory)."""
    from relik_ml.stages.branch_config import branch_config
    from relik_ml.stages.branches import EL

    section = branch_config(load_params(params_file), EL).sections["retriever"]
    return replace(section.model, backbone=str(backbone)), section.train


def stale_index(args: argparse.Namespace) -> tuple[PassageIndex, float]:
    """The compressed index of the zero-shot shards (built with `factory: auto` when not saved yet)."""
    started = time.monotonic()
    if not (args.stale_index / "manifest.json").exists():
        shards = finished_shards(args.stale_embeddings)  # exits unless every shard is finished
        index = PassageIndex.build_from_parts([load_shard(d, mmap=True) for d in shards], IndexConfig(factory="auto"))
        index.save(args.stale_index)
    return PassageIndex.load(args.stale_index), time.monotonic() - started


def kb_ids(kb: Path) -> set[str]:
    return {obj["id"] for _, obj in iter_jsonl(kb / "passages.jsonl")}


def train(args: argparse.Namespace) -> dict:
    import torch

    from relik_ml.retriever.encoder import Retriever
    from relik_ml.retriever.train import train_retriever

    torch.set_num_threads(args.threads)
    model_config, train_config = retriever_settings(args.params, args.stale_retriever)
    timings: dict[str, float] = {}
    started = time.monotonic()
    ids = kb_ids(args.kb)
    redirects = read_redirects(args.kb / "aliases.jsonl")
    aida = read_aida(args.data)
    splits = {}
    for split in ("train", "testa"):
        windows, _ = windows_for_documents([d for d in aida if d.split == split], WindowConfig())
        splits[split] = with_kb_ids(windows, ids, redirects)
    timings["read_kb_and_windows"] = time.monotonic() - started
    train_examples, skipped = build_examples(splits["train"], "el", ids)
    dev_examples, _ = build_examples(splits["testa"], "el", ids)
    index, timings["stale_index_load_or_build"] = stale_index(args)
    mining_started = time.monotonic()
    zero_shot = Retriever.from_pretrained(args.stale_retriever)
    negatives = stale_negatives(zero_shot, index, [*train_examples, *dev_examples], args.stale_per_window)
    timings["stale_mining"] = time.monotonic() - mining_started
    del index
    pool_config = PoolConfig(size=args.pool_size, stale_negatives_per_window=args.stale_per_window)
    pool_started = time.monotonic()
    pool = draw_pool(args.kb / "passages.jsonl", [*train_examples, *dev_examples], negatives, pool_config)
    timings["draw_pool"] = time.monotonic() - pool_started
    train_negatives = {e.window.id: negatives[e.window.id] for e in train_examples if e.window.id in negatives}
    summary = train_retriever(splits["train"], splits["testa"], pool.passages, model_config, train_config, args.out,
                              accelerator="cpu", initial_negatives=train_negatives)
    timings["train"] = summary.seconds
    return {
        "method": ("stale hard negatives: each window's top incorrect passages under the zero-shot retriever, searched "
                   "once in the compressed index of its embeddings of the whole KB; training, live mining rounds and "
                   "dev recall run against a pool (golds + stale negatives + seeded uniform sample)"),
        "pool": {"config": pool_config.__dict__, **pool.counts},
        "stale_index": read_json(args.stale_index / "manifest.json").get("config", {}),
        "windows": {"train_examples": len(train_examples), "train_windows_without_kb_gold": skipped,
                    "dev_examples": len(dev_examples)},
        "budget": {"model": model_config.to_json(), "train": train_config.__dict__, "threads": args.threads},
        "result": {"retriever": str(args.out), "steps": summary.steps,
                   "dev_pool_recall_initial": summary.initial_dev_recall, "dev_pool_recall_best": summary.best_dev_recall,
                   "monitor": summary.monitor},
        "seconds": {k: round(v, 1) for k, v in timings.items()},
    }


def embed(args: argparse.Namespace) -> dict:
    import dagster as dg

    from relik_assets.distributed import ClusterConfig, ShardEmbeddingResource, execute_embedding_job

    resource = ShardEmbeddingResource(retriever=str(args.out), passages=str(args.kb), out=str(args.embeddings_out),
                                      shards=args.shards, batch_size=256)
    started = time.monotonic()
    home = WIKI / ".work/el_wiki_finetune/dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    with dg.DagsterInstance.local_temp(str(home)) as instance:
        result = execute_embedding_job(resource, ClusterConfig(workers=2, threads_per_worker=1), instance)
    if not result.success:
        raise SystemExit(f"embedding job failed (run {result.run_id}); see {home}")
    return {"embeddings": str(args.embeddings_out), "shards": args.shards,
            "engine": "Dagster job on dagster_dask.dask_executor, LocalCluster 2 workers x 1 thread",
            "last_invocation_wall_seconds": round(time.monotonic() - started)}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    section = train(args) if args.phase == "train" else embed(args)
    results = read_json(args.results) if args.results.exists() else {}
    fine_tuning = results.setdefault("fine_tuning", {})
    fine_tuning[args.phase] = section
    fine_tuning["git_commit"] = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                               text=True).stdout.strip()
    write_json(args.results, results)
    print(section)


if __name__ == "__main__":
    main()
