"""Retrieval report: recall@K per eval split for several retrieval systems, a recall gate, and its files.

A *system* maps windows to ranked passage ids (the trained retriever through its index, the
untrained backbone, BM25). The report directory holds `retrieval_report.json`,
`retrieval_report.md` and `recall_vs_k.png` (one panel per split, one line per system); the gate
decision is part of the JSON so a check can read it back without recomputing anything.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relik_ml.errors import InputError
from relik_ml.io import read_json, write_json
from relik_ml.retriever.evaluate import DEFAULT_KS, recall_with_kb
from relik_ml.types import Window

if TYPE_CHECKING:
    from matplotlib.figure import Figure

JSON_FILE, MARKDOWN_FILE, PLOT_FILE = "retrieval_report.json", "retrieval_report.md", "recall_vs_k.png"
SYSTEM_LABELS = {"trained": "fine-tuned retriever", "zero_shot": "untrained backbone", "bm25": "BM25"}

RetrieveFn = Callable[[Sequence[Window], int], list[list[str]]]  # windows, k -> ranked ids per window


@dataclass(frozen=True)
class RetrievalReportConfig:
    """What `retriever_eval_report` measures (params.yaml `el.retriever_eval_report`, minus `gate`)."""

    ks: tuple[int, ...] = DEFAULT_KS  # recall@k cut-offs (EntQA / ReLiK report 1, 10, 50, 100)
    batch_size: int = 128  # windows / passages per forward pass
    zero_shot: bool = True  # also evaluate the untrained backbone (embeds the whole KB once more)
    bm25: bool = True  # also evaluate BM25 over the passage texts (window text + topic as query)

    def __post_init__(self) -> None:
        if not self.ks or min(self.ks) < 1:
            raise ValueError(f"ks must be positive cut-offs, got {self.ks}")


@dataclass(frozen=True)
class RecallGateConfig:
    """The blocking recall gate (params.yaml `el.retriever_eval_report.gate`)."""

    split: str = "testa"  # eval split the gate reads (a dev split: never select on a test split)
    system: str = "trained"  # system whose recall is gated
    k: int = 100  # the recall@k that is gated (must be one of the report's ks)
    min_recall: float = 0.0  # floor: the gate fails below it


def recall_table(
    windows: Mapping[str, Sequence[Window]],
    systems: Mapping[str, RetrieveFn],
    kb_ids: set[str],
    ks: Sequence[int] = DEFAULT_KS,
) -> dict[str, dict[str, dict[str, Any]]]:
    """split -> system -> recall@k (+ counts and `seconds` spent retrieving), k capped by the KB size."""
    depth = min(max(ks), len(kb_ids))
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for split, split_windows in windows.items():
        table[split] = {}
        for name, retrieve in systems.items():
            started = time.perf_counter()
            retrieved = retrieve(split_windows, depth) if split_windows else []
            seconds = time.perf_counter() - started
            table[split][name] = {**recall_with_kb(split_windows, retrieved, kb_ids, ks), "seconds": round(seconds, 3)}
    return table


def gate_decision(table: Mapping[str, Mapping[str, Mapping[str, Any]]], gate: RecallGateConfig) -> dict[str, Any]:
    """Whether `gate.system`'s recall@`gate.k` on `gate.split` reaches `gate.min_recall`."""
    key = f"recall@{gate.k}"
    row = table.get(gate.split, {}).get(gate.system)
    if row is None or key not in row:
        raise InputError(
            f"the report has no {key} of {gate.system!r} on split {gate.split!r} "
            f"(splits: {sorted(table)}; the gate's k must be one of the report's ks)",
            field="retriever_eval_report.gate",
        )
    recall = float(row[key])
    passed = recall >= gate.min_recall
    reason = f"{gate.system} {key} on {gate.split} = {recall:.4f} {'>=' if passed else '<'} {gate.min_recall}"
    return {"passed": passed, "recall": recall, "reason": reason, "gate": asdict(gate)}


def markdown(table: Mapping[str, Mapping[str, Mapping[str, Any]]], ks: Sequence[int], decision: Mapping[str, Any],
             kb_size: int) -> str:
    """One table per split: a row per system with recall@k in percent, windows and gold counts."""
    lines = ["# Retrieval evaluation", "", f"KB: {kb_size} passages. Gate: {decision['reason']} "
             f"({'passed' if decision['passed'] else 'FAILED'}).", ""]
    header = "| system | " + " | ".join(f"R@{k}" for k in ks) + " | windows | gold | gold outside KB | seconds |"
    for split, rows in table.items():
        lines += [f"## {split}", "", header, "|" + "---|" * (len(ks) + 5)]
        for name, row in rows.items():
            cells = " | ".join(f"{100 * row[f'recall@{k}']:.1f}" for k in ks)
            lines.append(f"| {SYSTEM_LABELS.get(name, name)} | {cells} | {row['windows']} | {row['gold']} "
                         f"| {row['gold_outside_kb']} | {row['seconds']:.1f} |")
        lines.append("")
    return "\n".join(lines)


def recall_plot(table: Mapping[str, Mapping[str, Mapping[str, Any]]], ks: Sequence[int]) -> Figure:
    """Recall (%) against K on a log axis: one panel per split, one line per system."""
    from matplotlib.figure import Figure  # Agg canvas; imported here so configs stay light to import

    figure = Figure(figsize=(4.5 * max(1, len(table)), 3.5), layout="constrained")
    for position, (split, rows) in enumerate(table.items(), start=1):
        axes = figure.add_subplot(1, len(table), position)
        for name, row in rows.items():
            axes.plot(list(ks), [100 * row[f"recall@{k}"] for k in ks], marker="o", label=SYSTEM_LABELS.get(name, name))
        axes.set_xscale("log")
        axes.set_xticks(list(ks), [str(k) for k in ks])
        axes.set_ylim(0, 100)
        axes.set_xlabel("K (passages retrieved per window)")
        axes.set_ylabel("recall@K (%)")
        axes.set_title(split)
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8)
    return figure


def write_report_files(
    directory: Path,
    table: Mapping[str, Mapping[str, Mapping[str, Any]]],
    ks: Sequence[int],
    decision: Mapping[str, Any],
    kb_size: int,
) -> None:
    """Write the JSON, Markdown and PNG into `directory` (the caller makes the directory atomic)."""
    write_json(directory / JSON_FILE, {"kb_size": kb_size, "ks": list(ks), "splits": table, "gate": decision})
    (directory / MARKDOWN_FILE).write_text(markdown(table, ks, decision, kb_size), encoding="utf-8")
    recall_plot(table, ks).savefig(directory / PLOT_FILE, dpi=100)


def read_gate(directory: Path) -> dict[str, Any]:
    """The gate decision stored in a report directory."""
    path = directory / JSON_FILE
    if not path.exists():
        raise InputError("not a retrieval report (missing file)", path=path)
    return dict(read_json(path)["gate"])
