"""Integrity checks of model, embedding and index artifacts (blocking)."""
from __future__ import annotations

from pathlib import Path

import dagster as dg
import numpy as np

EMBEDDINGS_CHECK = "embeddings_integrity"
INDEX_CHECK = "index_integrity"
MODEL_CHECK = "model_sanity"
RECALL_GATE_CHECK = "recall_gate"


def embeddings_check(directory: Path) -> list[dg.AssetCheckResult]:
    """Finite float32 rows, exactly one per passage id, no duplicate ids."""
    from relik_ml.pipeline.retrieval import load_embeddings

    embeddings, ids = load_embeddings([directory])
    finite = bool(np.isfinite(embeddings).all())
    aligned = len(ids) == len(embeddings) and len(set(ids)) == len(ids)
    return [dg.AssetCheckResult(check_name=EMBEDDINGS_CHECK, passed=finite and aligned,
                                metadata={"rows": len(embeddings), "ids": len(ids), "finite": finite})]


def index_check(
    directory: Path, passages_dir: Path, embedding_dirs: list[Path], sample: int = 32, k: int = 10,
    min_recall: float = 0.9,
) -> list[dg.AssetCheckResult]:
    """The index holds exactly the embedded passages, and its search agrees with exact search.

    Sampled stored vectors are the queries. An exact (Flat) index must return the exact top-k
    scores (ties may order ids differently, scores cannot differ); an approximate one must reach
    `min_recall` of the exact top-k ids. Self-retrieval is not required: under inner product a
    longer vector can outscore a passage's own.
    """
    from relik_ml.index import PassageIndex, exact_search, recall_at_k
    from relik_ml.pipeline.artifacts import load_passages
    from relik_ml.pipeline.retrieval import load_embeddings

    index = PassageIndex.load(directory)
    kb_size = len(load_passages(passages_dir))
    embeddings, ids = load_embeddings(embedding_dirs)
    same_ids = set(index.ids) == set(ids)
    agreement = 0.0
    if ids:
        rows = np.linspace(0, len(ids) - 1, num=min(sample, len(ids)), dtype=int)
        queries = np.ascontiguousarray(embeddings[rows])
        top = min(k, len(ids))
        scores, found = index.search(queries, top)
        exact_scores, positions = exact_search(embeddings, queries, top, metric=index.config.metric)
        if index.config.factory == "Flat":
            agreement = float(np.isclose(scores, exact_scores, rtol=1e-4, atol=1e-4).all())
        else:
            agreement = recall_at_k(found, [[ids[p] for p in row] for row in positions.tolist()])
    passed = len(index) == kb_size and same_ids and agreement >= (1.0 if index.config.factory == "Flat" else min_recall)
    return [dg.AssetCheckResult(check_name=INDEX_CHECK, passed=passed, metadata={
        "vectors": len(index), "passages": kb_size, "ids_match_embeddings": same_ids,
        f"agreement_with_exact@{k}": agreement,
        "build_recall": index.build_recall if index.build_recall is not None else -1.0})]


def model_check(directory: Path) -> list[dg.AssetCheckResult]:
    """The weights load from safetensors and are all finite, and the model answers a smoke query
    (`relik_ml.smoke`) with finite scores."""
    from safetensors.numpy import load_file

    from relik_ml.smoke import smoke_query

    files = sorted(directory.rglob("*.safetensors"))
    finite = all(np.isfinite(t).all() for f in files for t in load_file(f).values() if t.dtype.kind == "f")
    try:
        answer = smoke_query(directory)
    except Exception as exc:  # any failure to load or answer is this check's finding, not a crash
        answer = {"error": f"{type(exc).__name__}: {exc}"}
    answered = bool(answer.get("finite"))
    return [dg.AssetCheckResult(check_name=MODEL_CHECK, passed=bool(files) and finite and answered,
                                metadata={"weight_files": len(files), "finite": bool(finite),
                                          "smoke_query": dg.MetadataValue.json(answer)})]


def recall_gate_check(directory: Path) -> list[dg.AssetCheckResult]:
    """The retriever_eval_report's gate decision (recall@k of the gated system vs params' floor)."""
    from relik_ml.evaluation.retrieval_report import read_gate

    decision = read_gate(directory)
    return [dg.AssetCheckResult(check_name=RECALL_GATE_CHECK, passed=bool(decision["passed"]),
                                metadata={"recall": decision["recall"], "reason": decision["reason"],
                                          "min_recall": decision["gate"]["min_recall"]})]
