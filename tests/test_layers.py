"""The layer rule is checked by a tool: relik_ml never imports the orchestration stack."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_import_linter_detects_a_violation(tmp_path):
    """The contract is live: a relik_ml module importing dagster breaks it."""
    package = tmp_path / "relik_ml"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "bad.py").write_text("import dagster\n")
    (tmp_path / "relik_assets").mkdir()
    (tmp_path / "relik_assets" / "__init__.py").write_text("")
    config = (ROOT / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(config[config.index("[tool.importlinter]"):])
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=tmp_path, capture_output=True, text=True,
                            env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode != 0
    assert "relik_ml.bad -> dagster" in result.stdout
