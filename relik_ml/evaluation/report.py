"""Evaluation report directory: `report.json`, `report.md`, PNG plots and `manifest.json`, written atomically.

Input: result dicts of `evaluate_model` / `evaluate_retriever` (each with `dataset`, `top_k` and
`metrics`; EL results also `kb`: the KB's size and its coverage of the gold InKB mentions, shown
beside InKB EL over all and over covered mentions). Plots: the headline score per result (`scores_by_dataset.png`) and, when a dataset was
evaluated at several K, the headline score against K (`score_vs_k.png`). The directory is an
`evaluation_results` artifact: writing again into it replaces it, while a directory holding anything
else is refused (see `relik_ml.io.atomic_directory`).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from relik_ml.io import atomic_directory, write_json, write_manifest

JSON_FILE, MARKDOWN_FILE = "report.json", "report.md"
BARS_FILE, K_FILE = "scores_by_dataset.png", "score_vs_k.png"
ARTIFACT = "evaluation_results"
F1_METRICS = ("inkb_el", "cie", "re_strict", "mention_detection")  # headline: the first one present
TASK_HEADLINES = {"re": ("re_strict",), "cie": ("cie",)}  # a result's task puts its own metric first


def headline(result: dict[str, Any]) -> tuple[str, float]:
    """The score a result is summarised by: an F1 (EL first) or the deepest retrieval recall."""
    scores = result["metrics"]
    for name in (*TASK_HEADLINES.get(result.get("task", ""), ()), *F1_METRICS):
        if name in scores:
            return f"{name} F1", float(scores[name]["f1"])
    recalls = {int(k.split("@")[1]): v for k, v in scores["retrieval"].items() if k.startswith("recall@")}
    deepest = max(recalls)
    return f"recall@{deepest}", float(recalls[deepest])


def write_report(
    out_dir: str | Path,
    results: Sequence[dict[str, Any]],
    *,
    title: str = "Evaluation",
    inputs: Sequence[str | Path] = (),
    force: bool = False,
) -> Path:
    """Write the report directory (replacing an old report only once everything is written).

    `out_dir` may be neither one of `inputs` (the model and dataset paths) nor inside one; `force`
    replaces a directory that is not a report."""
    with atomic_directory(out_dir, artifact=ARTIFACT, inputs=inputs, force=force) as tmp:
        write_json(tmp / JSON_FILE, {"title": title, "results": list(results)})
        (tmp / MARKDOWN_FILE).write_text(markdown(results, title), encoding="utf-8")
        if results:
            _bars(results).savefig(tmp / BARS_FILE, dpi=100)
        by_k = _scores_by_k(results)
        if any(len(points) > 1 for points in by_k.values()):
            _k_lines(by_k).savefig(tmp / K_FILE, dpi=100)
        write_manifest(tmp, artifact=ARTIFACT, config={"title": title}, counts={"results": len(results)})
    return Path(out_dir)


def markdown(results: Sequence[dict[str, Any]], title: str = "Evaluation") -> str:
    """One table row per result: headline score, P/R/F1 of each metric, ED accuracy, AIT, KB size and coverage."""
    lines = [f"# {title}", "", "| dataset | K | headline | metrics | AIT (s) | KB entities (coverage) |",
             "|---|---|---|---|---|---|"]
    for result in results:
        name, value = headline(result)
        seconds = result.get("ait_seconds", result.get("retrieval_seconds", 0.0))
        lines.append(
            f"| {result.get('dataset', '')} | {_k_cell(result)} | {name} {100 * value:.1f} "
            f"| {_metric_cells(result['metrics'])} | {seconds:.2f} | {_kb_cell(result)} |"
        )
    return "\n".join(lines) + "\n"


def _kb_cell(result: dict[str, Any]) -> str:
    """`entities (coverage%: covered / gold InKB mentions)`, empty without a KB."""
    kb = result.get("kb")
    if not kb:
        return ""
    return (f"{kb['entities']:,} ({100 * kb['coverage']:.1f}%: {kb['covered_mentions']:,} / "
            f"{kb['gold_inkb_mentions']:,})")


def _k_cell(result: dict[str, Any]) -> str:
    """Candidates per window: entity K (EL), relation K (RE), both as "entity / relation" (cIE)."""
    if "relation_top_k" not in result:
        return str(result.get("top_k", ""))
    if result.get("task") == "re":
        return str(result["relation_top_k"])
    return f"{result.get('top_k', '')} / {result['relation_top_k']}"


def _metric_cells(scores: dict[str, Any]) -> str:
    cells = []
    for name, values in scores.items():
        if "f1" in values:
            cells.append(f"{name} P {100 * values['precision']:.1f} R {100 * values['recall']:.1f} F1 {100 * values['f1']:.1f}")
        if "accuracy" in values:
            cells.append(f"{name} acc {100 * values['accuracy']:.1f}")
        cells += [f"{k} {100 * v:.1f}" for k, v in values.items() if k.startswith("recall@")]
    return "; ".join(cells)


def _bars(results: Sequence[dict[str, Any]]) -> Figure:
    labels = [f"{r.get('dataset', '')}\nK={r.get('top_k', '')}" for r in results]
    values = [100 * headline(r)[1] for r in results]
    figure = Figure(figsize=(max(4, 1.2 * len(results)), 3.5), layout="constrained")
    axes = figure.add_subplot()
    axes.bar(range(len(values)), values)
    axes.set_xticks(range(len(values)), labels, fontsize=8)
    axes.set_ylabel(headline(results[0])[0])
    axes.set_ylim(0, 100)
    return figure


def _scores_by_k(results: Sequence[dict[str, Any]]) -> dict[str, list[tuple[int, float]]]:
    points: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for result in results:
        if isinstance(result.get("top_k"), int):
            points[result.get("dataset", "")].append((result["top_k"], 100 * headline(result)[1]))
    return {name: sorted(p) for name, p in points.items()}


def _k_lines(by_k: dict[str, list[tuple[int, float]]]) -> Figure:
    figure = Figure(figsize=(5, 3.5), layout="constrained")
    axes = figure.add_subplot()
    for name, points in by_k.items():
        axes.plot([k for k, _ in points], [v for _, v in points], marker="o", label=name)
    axes.set_xlabel("K (candidates per window)")
    axes.set_ylabel("score")
    axes.legend(fontsize=8)
    return figure
