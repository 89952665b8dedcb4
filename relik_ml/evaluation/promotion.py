"""The promotion rule (pure): a candidate is promoted when it clears the floor and does not regress."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class GateConfig:
    """Thresholds of the evaluation gate (params.yaml `<task>.evaluation_report.gate`)."""

    dataset: str = "aida-testa"  # the report row the gate reads (a dev split, never a test split)
    metric: str = "inkb_el"  # metrics key whose F1 is gated ("inkb_el", "re_strict", "cie")
    min_f1: float = 0.0  # absolute floor
    tolerance: float = 0.02  # allowed drop below the promoted model's F1 on the same dataset


@dataclass(frozen=True)
class GateDecision:
    passed: bool
    f1: float | None
    promoted_f1: float | None
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def gated_f1(results: list[Mapping[str, Any]], config: GateConfig) -> float | None:
    """The F1 the gate reads from a report's results, or None when the row or metric is missing."""
    for result in results:
        if result.get("dataset") == config.dataset and config.metric in result.get("metrics", {}):
            return float(result["metrics"][config.metric]["f1"])
    return None


def decide(candidate: list[Mapping[str, Any]], promoted: list[Mapping[str, Any]] | None, config: GateConfig) -> GateDecision:
    """Pass iff the candidate's F1 exists, reaches `min_f1`, and is not below promoted - tolerance."""
    f1 = gated_f1(candidate, config)
    promoted_f1 = gated_f1(promoted, config) if promoted else None
    reasons = []
    if f1 is None:
        reasons.append(f"no {config.metric} F1 for {config.dataset} in the report")
    elif f1 < config.min_f1:
        reasons.append(f"{config.metric} F1 {f1:.4f} < floor {config.min_f1:.4f}")
    if f1 is not None and promoted_f1 is not None and f1 < promoted_f1 - config.tolerance:
        reasons.append(f"{config.metric} F1 {f1:.4f} regresses from promoted {promoted_f1:.4f} "
                       f"by more than {config.tolerance:.4f}")
    return GateDecision(not reasons, f1, promoted_f1, tuple(reasons))
