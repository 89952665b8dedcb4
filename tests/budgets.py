"""Tiny training budgets for tests that run the real EL stages on the bundled sample."""
from __future__ import annotations

from typing import Any


def tiny_el(steps: int, tracking_mode: str) -> dict[str, Any]:
    """params.yaml overrides: `steps` optimisation steps per training stage, testa only."""
    return {
        "el": {
            "eval_splits": ["testa"],
            "retriever_pretrained": {"train": {"max_steps": steps, "batch_size": 8, "passages_per_batch": 32}},
            "retriever": {"train": {"max_steps": steps, "max_epochs": 1, "batch_size": 8, "passages_per_batch": 32,
                                    "val_every_n_steps": steps}},
            "reader": {"train": {"max_steps": steps, "warmup_steps": 1, "val_check_interval": steps}},
        },
        "tracking": {"mode": tracking_mode},
    }
