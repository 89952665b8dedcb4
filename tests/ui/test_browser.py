"""The Dagster UI in a real headless Chromium: the lineage shows the definitions, a click materialises;
and `make ui`'s launcher takes the whole server down on SIGTERM or Ctrl-C.

Expected groups and asset keys come from `build_definitions(...)`, so the test follows the project
as assets are added. Screenshots of every step land in test-artifacts/ui/.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from relik_assets import ui
from relik_ml.io import iter_jsonl, read_manifest
from tests.paths import ROOT

RUN_TIMEOUT_MS = 180_000  # the run itself takes ~10 s here; two shared cores can be slow
MATERIALIZED = "entity_passages"
# Lineage sidebar: one row per group (with the asset_group icon) and, when expanded, per asset.
GROUP_ROWS = '[data-index]:has([aria-label="asset_group"])'
ASSET_ROWS = '[data-index]:has([title]):not(:has([aria-label="asset_group"]))'
TITLES = "rows => rows.map(row => row.querySelector('[title]').title)"
RUN_STATUS = re.compile(r"^(Success|Failure|Canceled)$")
MATERIALIZE = re.compile(r"^(materialization )?Materialize$")  # icon label + text
# Sidebar and catalog are virtualised lists: the window is made tall enough to render every row.
SIDEBAR_ROW_PX, CATALOG_ROW_PX, CHROME_PX, MIN_HEIGHT = 40, 80, 400, 1200
MAX_ZOOM_OUTS = 12


def expected_assets(params: Path) -> tuple[dict[str, list[str]], set[str]]:
    """(group -> sorted display names, set of full keys "a/b") of the definitions for `params`."""
    from relik_assets.definitions import build_definitions

    graph = build_definitions(params, dvc_enabled=False).resolve_asset_graph()
    groups: dict[str, list[str]] = defaultdict(list)
    for key in graph.get_all_asset_keys():
        groups[graph.get(key).group_name].append(key.path[-1])
    full_keys = {"/".join(key.path) for key in graph.get_all_asset_keys()}
    return {group: sorted(names) for group, names in groups.items()}, full_keys


def processes_mentioning(marker: str) -> list[int]:
    """PIDs whose command line contains `marker` (Dagster's services name their DAGSTER_HOME)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline:
                found.append(int(entry.name))
    return found


def fit_rows(page: Any, rows: int = 0, row_px: int = 0) -> None:
    """Make the window tall enough for `rows` rows of a virtualised list (no rows: the usual size)."""
    height = max(MIN_HEIGHT, rows * row_px + CHROME_PX)
    page.set_viewport_size({"width": page.viewport_size["width"], "height": height})


def sidebar_group(page: Any, group: str) -> list[str]:
    """Expand `group` in the lineage sidebar, read its asset names, collapse it again."""
    from playwright.sync_api import expect

    toggle = page.locator(GROUP_ROWS).filter(has=page.locator(f'[title="{group}"]')).locator("button").first
    toggle.click()
    rows = page.locator(ASSET_ROWS)
    expect(rows.first).to_be_visible()
    names = sorted(rows.evaluate_all(TITLES))
    toggle.click()
    expect(rows).to_have_count(0)
    return names


def check_lineage(page: Any, base: str, groups: dict[str, list[str]], shoot: Callable[[str], None]) -> None:
    """The global lineage page lists every group and, inside each, every asset of the definitions."""
    from playwright.sync_api import expect

    fit_rows(page, len(groups) + max(map(len, groups.values())), SIDEBAR_ROW_PX)
    page.goto(f"{base}/asset-groups")
    expect(page.get_by_text("Global asset lineage")).to_be_visible()
    expect(page.locator(GROUP_ROWS)).to_have_count(len(groups))
    assert sorted(page.locator(GROUP_ROWS).evaluate_all(TITLES)) == sorted(groups)
    shoot("01-lineage")
    shown = {group: sidebar_group(page, group) for group in groups}
    assert shown == groups
    page.locator('[aria-label="settings"]').last.click()  # the graph's settings, below the zoom controls
    page.get_by_role("menuitem", name="Expand all groups").click()
    collapse = page.get_by_role("menuitem", name="Collapse all groups")  # the item flips once expanded
    expect(collapse).to_be_visible()
    page.keyboard.press("Escape")
    expect(collapse).to_be_hidden()
    zoom_out = page.locator('[aria-label="zoom_out"]').last
    for group in groups:  # the graph renders only what is in view: zoom out until each group box is drawn
        box = page.locator(f'foreignObject [data-tooltip="{group}"]').first
        for _ in range(MAX_ZOOM_OUTS):
            if box.count():
                break
            zoom_out.click()
        expect(box).to_be_attached()
    shoot("02-lineage-expanded")


def check_catalog(page: Any, base: str, full_keys: set[str], shoot: Callable[[str], None]) -> None:
    """The catalog links every asset by its full key."""
    from playwright.sync_api import expect

    fit_rows(page, len(full_keys), CATALOG_ROW_PX)
    page.goto(f"{base}/assets")
    links = page.locator('a[href^="/assets/"]')
    expect(links).to_have_count(len(full_keys))
    hrefs = links.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert {unquote(href.removeprefix("/assets/")) for href in hrefs} == full_keys
    shoot("03-catalog")


def materialize_from_ui(page: Any, base: str, shoot: Callable[[str], None]) -> str:
    """Click Materialize on the asset's page, follow the run; returns its final status."""
    from playwright.sync_api import expect

    fit_rows(page)
    page.goto(f"{base}/assets/{MATERIALIZED}")
    button = page.get_by_role("button", name=MATERIALIZE)
    expect(button).to_be_enabled()
    shoot("04-asset")
    button.click()
    expect(page.get_by_text(re.compile(r"^Launched run [0-9a-f]{8}$"))).to_be_visible()  # the toast
    run_link = page.locator('a[href^="/runs/"]').first  # the only run: a fresh instance has no other
    expect(run_link).to_be_attached()
    shoot("05-launched")
    page.goto(base + run_link.get_attribute("href"))
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]{36}$"))
    status = page.get_by_text(RUN_STATUS).first
    expect(status).to_be_visible(timeout=RUN_TIMEOUT_MS)
    final = status.inner_text()
    shoot("06-run")
    page.goto(f"{base}/runs")
    expect(page.get_by_text(RUN_STATUS).first).to_be_visible()
    shoot("07-runs")
    return final


@pytest.mark.browser
def test_lineage_shows_the_definitions_and_a_click_materialises(page, ui_project, free_port, artifacts):
    groups, full_keys = expected_assets(ui_project.params)

    def shoot(step: str) -> None:
        page.screenshot(path=artifacts / f"{step}.png", animations="disabled")  # toasts fully faded in

    with ui.running(free_port, env=ui_project.env) as server:
        base = f"http://127.0.0.1:{free_port}"
        try:
            check_lineage(page, base, groups, shoot)
            check_catalog(page, base, full_keys, shoot)
            status = materialize_from_ui(page, base, shoot)
        except Exception:
            shoot("failure")
            raise
    assert status == "Success"
    assert not ui.group_alive(server.pid)
    assert processes_mentioning(str(ui_project.dagster_home)) == []
    out = ui_project.data_root / MATERIALIZED
    manifest = read_manifest(out)
    assert manifest["artifact"] == MATERIALIZED
    assert manifest["counts"]["passages"] == sum(1 for _ in iter_jsonl(out / "passages.jsonl")) > 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_launcher_signal_stops_the_whole_server_group(ui_project, free_port, signum):
    home = str(ui_project.dagster_home)
    launcher = subprocess.Popen(
        [sys.executable, "-m", "relik_assets.ui", "--port", str(free_port)],
        cwd=ROOT, env={**os.environ, **ui_project.env}, start_new_session=True,
    )
    server_groups: set[int] = set()
    try:
        ui.wait_until_ready(free_port)
        server_groups = {os.getpgid(pid) for pid in processes_mentioning(home)}
        assert server_groups and launcher.pid not in server_groups
        launcher.send_signal(signum)
        assert launcher.wait(60) == 0
        assert not any(ui.group_alive(group) for group in server_groups)
        assert processes_mentioning(home) == []
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
        for group in server_groups:
            if ui.group_alive(group):
                os.killpg(group, signal.SIGKILL)
