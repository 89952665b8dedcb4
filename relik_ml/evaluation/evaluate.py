"""Run a model directory on gold documents: EL / RE / cIE metrics and annotation time (AIT).

EL results state the model KB's size and its coverage of the gold InKB mentions (`kb`), and score
InKB EL over all gold InKB mentions (`inkb_el`) and over the covered ones only (`inkb_el_covered`:
an uncovered mention and any prediction on its offsets leave both sides). A gold label names the KB
entity whose id is the label or its `entity_key` (relik_ml.kb.coverage), so a KB with key ids (the
Wikipedia-scale KB) and one with title ids are scored alike; given `redirects` (alias key -> id, the
KB's `aliases.jsonl` read by `relik_ml.kb.coverage.read_redirects`), a dated gold title resolves to
the entity it redirects to.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from relik_ml import metrics
from relik_ml.arguments import check_positive_int, unicode_problem
from relik_ml.errors import InputError
from relik_ml.inference import Relik  # evaluation runs the façade: reader ← inference ← evaluation
from relik_ml.kb.coverage import Redirects, coverage, covered_only, with_kb_ids
from relik_ml.metrics import relations as relation_metrics
from relik_ml.retriever.evaluate import DEFAULT_KS, recall_with_kb
from relik_ml.types import NME, Document, Passage, Prediction
from relik_ml.windows import WindowConfig, windows_for_documents


def evaluate_model(
    relik: Relik, documents: Sequence[Document], *, dataset_name: str, top_k: int | None = None,
    redirects: Redirects | None = None,
) -> dict[str, Any]:
    """Annotate the document texts (timed: `ait_seconds`), score them, then an ED pass on gold mentions."""
    _require_documents(documents)
    config = relik.reader.config
    k = relik.settings.top_k if top_k is None else check_positive_int(top_k, field="top_k")  # 0 is refused, not 20
    for doc in documents:  # named by document id here; `relik` would name a position in the list
        if (problem := unicode_problem(doc.text)) is not None:
            raise InputError(f"document {doc.id!r}: {problem}", field="text")
    start = time.perf_counter()
    predictions = _with_ids(relik([d.text for d in documents], top_k=k), documents)
    seconds = time.perf_counter() - start
    scores: dict[str, Any] = {"mention_detection": metrics.mention_detection(documents, predictions).to_json()}
    kb_ids = relik.entities.passages if relik.entities is not None else {}
    if config.has_entities:
        gold = with_kb_ids(documents, kb_ids, redirects)
        covered = covered_only(gold, kb_ids)
        scores["inkb_el"] = metrics.inkb_el(gold, predictions).to_json()
        scores["inkb_el_covered"] = metrics.inkb_el(covered, _outside_dropped(predictions, gold, covered)).to_json()
        scores["ed"] = metrics.ed_accuracy(gold, _disambiguate(relik, documents, k))
    kb = coverage(documents, kb_ids, redirects) if relik.entities is not None else None
    if config.has_relations:  # re_strict; cIE adds cie and triplet_el
        scores.update(relation_metrics.relation_scores(documents, predictions, config.task))
    return {
        "dataset": dataset_name,
        "task": config.task,
        "top_k": k,
        **({"relation_top_k": relik.settings.relation_top_k} if config.has_relations else {}),
        "documents": len(documents),
        "gold_mentions": sum(len(d.spans) for d in documents),
        "gold_nme_mentions": sum(s.label == NME for d in documents for s in d.spans),
        "gold_outside_kb": kb.mentions - kb.covered if kb else 0,
        **({"kb": {"entities": len(kb_ids), **kb.to_json()}} if kb else {}),
        "ait_seconds": seconds,
        "texts_per_second": len(documents) / seconds if seconds else 0.0,
        "metrics": scores,
    }


def evaluate_retriever(
    model: str | Path | Relik, documents: Sequence[Document], *, ks: Sequence[int] = DEFAULT_KS, dataset_name: str = ""
) -> dict[str, Any]:
    """Micro recall@k of the windows' in-KB gold entities against a model directory's index."""
    _require_documents(documents)
    ks = [check_positive_int(k, field="ks") for k in ks]
    relik = model if isinstance(model, Relik) else Relik.from_pretrained(model)
    kb_ids = relik.entities.passages if relik.entities is not None else {}
    windows, _ = windows_for_documents(with_kb_ids(documents, kb_ids), relik.settings.window_config)
    start = time.perf_counter()
    retrieved = relik.retrieve(windows, top_k=max(ks))
    seconds = time.perf_counter() - start
    ids = [[c.passage_id for c in row] for row in retrieved]
    recall = recall_with_kb(windows, ids, kb_ids.keys(), ks, "el")
    return {
        "dataset": dataset_name,
        "top_k": max(ks),
        "documents": len(documents),
        "retrieval_seconds": seconds,
        "metrics": {"retrieval": recall},
    }


def _require_documents(documents: Sequence[Document]) -> None:
    """No score for no data: an empty dataset is an error, never an F1 or a recall of 0.0."""
    if not documents:
        raise InputError("no documents to evaluate (empty dataset)", field="documents")


def _disambiguate(relik: Relik, documents: Sequence[Document], k: int) -> list[Prediction]:
    """Second pass: link only the gold in-KB mentions (entity disambiguation)."""
    mentions = [[(s.start, s.end) for s in d.spans if s.label != NME] for d in documents]
    return _with_ids(relik([d.text for d in documents], top_k=k, mentions=mentions), documents)


def _with_ids(predictions: list[Prediction], documents: Sequence[Document]) -> list[Prediction]:
    return [replace(p, id=d.id) for p, d in zip(predictions, documents, strict=True)]


def _outside_dropped(predictions: Sequence[Prediction], gold: Sequence[Document],
                     covered: Sequence[Document]) -> list[Prediction]:
    """Predictions without the spans on the offsets of a gold mention that `covered` left out."""
    out = []
    for prediction, all_doc, covered_doc in zip(predictions, gold, covered, strict=True):
        dropped = {(s.start, s.end) for s in all_doc.spans} - {(s.start, s.end) for s in covered_doc.spans}
        spans = tuple(pair for pair in prediction.spans if (pair[0].start, pair[0].end) not in dropped)
        out.append(replace(prediction, spans=spans))
    return out


def evaluate_retriever_dir(
    retriever_dir: str | Path,
    documents: Sequence[Document],
    passages: Sequence[Passage],
    *,
    index_dir: str | Path | None = None,
    ks: Sequence[int] = DEFAULT_KS,
    dataset_name: str = "",
    window_config: WindowConfig = WindowConfig(),
    batch_size: int = 128,
) -> dict[str, Any]:
    """Micro recall@k of a trained retriever directory (`el/retriever`) on the documents' windows.

    Searches `index_dir` (an `el/passage_index` artifact) when given, else the exactly searched
    embeddings of `passages`; golds outside `passages` are counted, not scored.
    """
    from relik_ml.index import PassageIndex
    from relik_ml.retriever.encoder import Retriever
    from relik_ml.retriever.search import top_k_ids

    _require_documents(documents)
    retriever = Retriever.from_pretrained(retriever_dir)
    kb_ids = {p.id for p in passages}
    windows, _ = windows_for_documents(with_kb_ids(documents, kb_ids), window_config)
    start = time.perf_counter()
    queries = retriever.encode_windows(windows, batch_size)  # (n, d)
    if index_dir is not None:
        _, found = PassageIndex.load(index_dir).search(queries, max(ks)) if windows else (None, [])
        ids = [[i for i in row if i] for row in found]
    else:
        kb = retriever.encode_passages(passages, batch_size)
        ids = top_k_ids(queries, kb, [p.id for p in passages], max(ks))
    seconds = time.perf_counter() - start
    return {
        "dataset": dataset_name,
        "top_k": max(ks),
        "documents": len(documents),
        "windows": len(windows),
        "kb_passages": len(passages),
        "search": "index" if index_dir is not None else "exact",
        "retrieval_seconds": seconds,
        "metrics": {"retrieval": recall_with_kb(windows, ids, kb_ids, ks, "el")},
    }
