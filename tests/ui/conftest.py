"""Fixtures for the browser tests: a throw-away project setup, a free port, headless Chromium."""
from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.paths import ROOT, SAMPLE

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "ui"
# Debian's Chromium on a closed network: no GPU, no QUIC, no background connections.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1600, "height": 1200}
ACTION_TIMEOUT_MS = 60_000  # two shared cores: the UI's first GraphQL answers can take a while
TINY_KILT = [
    {"wikipedia_id": "1", "wikipedia_title": "Ada Lovelace",
     "text": ["Ada Lovelace\n", "Ada Lovelace was an English mathematician and writer.\n"], "anchors": []},
    {"wikipedia_id": "2", "wikipedia_title": "Charles Babbage",
     "text": ["Charles Babbage\n", "Charles Babbage designed the Analytical Engine.\n"], "anchors": []},
]


@dataclass(frozen=True)
class UiProject:
    """A params file, data root and DAGSTER_HOME under tmp; `env` points the UI at them."""

    params: Path
    data_root: Path
    dagster_home: Path

    @property
    def env(self) -> dict[str, str]:
        return {
            "RELIK_PARAMS": str(self.params),
            "RELIK_DVC": "0",
            "DAGSTER_HOME": str(self.dagster_home),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "WANDB_MODE": "offline",
            "DVC_NO_ANALYTICS": "1",
            "GX_ANALYTICS_ENABLED": "false",
        }


def _absolute(value: Any, key: str = "") -> Any:
    """Raw-input paths made absolute against the repository (dataset `format` names left alone)."""
    if isinstance(value, dict):
        return {k: _absolute(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_absolute(v, key) for v in value]
    if isinstance(value, str) and key != "format" and not Path(value).is_absolute():
        return str(ROOT / value)
    return value


def _kilt_source(tmp: Path) -> Path:
    """The bundled KILT sample, or a two-page KILT file under tmp when the sample is absent."""
    sample = SAMPLE / "kilt" / "knowledge_source.jsonl"
    if sample.is_file():
        return sample
    tiny = tmp / "kilt.jsonl"
    tiny.write_text("".join(json.dumps(page) + "\n" for page in TINY_KILT))
    return tiny


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium, or skip (CI installs it with scripts/install_browser.sh)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed: run scripts/install_browser.sh")
    return CHROMIUM


@pytest.fixture
def ui_project(tmp_path: Path) -> UiProject:
    """params.yaml with every artifact under tmp and raw inputs read in place from the repository."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["paths"]["data_root"] = str(tmp_path / "data")
    params["raw"] = _absolute(params["raw"])
    params["raw"]["kilt"] = str(_kilt_source(tmp_path))
    params_path = tmp_path / "params.yaml"
    params_path.write_text(yaml.safe_dump(params, sort_keys=False))
    return UiProject(params=params_path, data_root=tmp_path / "data", dagster_home=home)


@pytest.fixture
def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def artifacts() -> Path:
    """test-artifacts/ui/ (gitignored): screenshots of each step."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def page(chromium: Path, tmp_path: Path) -> Iterator[Any]:
    """A page in headless Debian Chromium with a fresh profile, closed after the test."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path / "chromium-profile", executable_path=str(chromium), args=CHROMIUM_FLAGS,
            headless=True, viewport=VIEWPORT,
        )
        try:
            tab = context.new_page()
            tab.set_default_timeout(ACTION_TIMEOUT_MS)
            yield tab
        finally:
            context.close()

