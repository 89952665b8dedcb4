"""Integrity checks of model, embedding and index artifacts (blocking)."""
from __future__ import annotations

from pathlib import Path

import dagster as dg
import numpy as np

EMBEDDINGS_CHECK = "embeddings_integrity"
INDEX_CHECK = "index_integrity"
MODEL_CHECK = "model_sanity"


def embeddings_check(directory: Path) -> list[dg.AssetCheckResult]:
    """Finite float32 rows, exactly one per passage id, no duplicate ids."""
    from relik_ml.pipeline.retrieval import load_embeddings

    embeddings, ids = load_embeddings([directory])
    finite = bool(np.isfinite(embeddings).all())
    aligned = len(ids) == len(embeddings) and len(set(ids)) == len(ids)
    return [dg.AssetCheckResult(check_name=EMBEDDINGS_CHECK, passed=finite and aligned,
                                metadata={"rows": len(embeddings), "ids": len(ids), "finite": finite})]


def index_check(
    directory: Path, passages_dir: Path, embedding_dirs: list[Path], sample: int = 32
) -> list[dg.AssetCheckResult]:
    """Index size equals the passage count, and sampled passages retrieve themselves first."""
    from relik_ml.index import PassageIndex
    from relik_ml.pipeline.artifacts import load_passages
    from relik_ml.pipeline.retrieval import load_embeddings

    index = PassageIndex.load(directory)
    kb_size = len(load_passages(passages_dir))
    embeddings, ids = load_embeddings(embedding_dirs)
    rows = np.linspace(0, len(ids) - 1, num=min(sample, len(ids)), dtype=int) if ids else np.array([], int)
    hits = 0
    if len(rows):
        _, found = index.search(np.ascontiguousarray(embeddings[rows]), 1)
        hits = sum(found[i][0] == ids[r] for i, r in enumerate(rows))
    passed = len(index) == kb_size and hits == len(rows)
    return [dg.AssetCheckResult(check_name=INDEX_CHECK, passed=passed, metadata={
        "vectors": len(index), "passages": kb_size, "self_retrieval": f"{hits}/{len(rows)}",
        "build_recall": index.build_recall if index.build_recall is not None else -1.0})]


def model_check(directory: Path) -> list[dg.AssetCheckResult]:
    """The weights load from safetensors and are all finite."""
    from safetensors.numpy import load_file

    files = sorted(directory.rglob("*.safetensors"))
    finite = all(np.isfinite(t).all() for f in files for t in load_file(f).values() if t.dtype.kind == "f")
    return [dg.AssetCheckResult(check_name=MODEL_CHECK, passed=bool(files) and finite,
                                metadata={"weight_files": len(files), "finite": finite})]
