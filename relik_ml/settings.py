"""Typed model configs from user settings (a params `model:` section), unknown keys refused."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from relik_ml.errors import InputError

Config = TypeVar("Config")


def config_from_settings(cls: type[Config], settings: Mapping[str, Any], field: str, what: str) -> Config:
    """`cls(**settings)`; a key `cls` does not annotate, or a value it rejects, is an `InputError` on
    `field` (HF configs would keep unknown keys as extra attributes)."""
    unknown = sorted(set(settings) - set(cls.__annotations__))
    if unknown:
        raise InputError(f"unknown {what} keys {unknown}; known: {sorted(cls.__annotations__)}", field=field)
    try:
        return cls(**settings)
    except (TypeError, ValueError) as exc:
        raise InputError(str(exc), field=field) from None
