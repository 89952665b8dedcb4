"""The layer rules are checked by a tool: relik_ml never imports the orchestration stack, imports
downward only (the layers in pyproject.toml) and has no import cycle between sibling modules."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def test_import_linter_contracts_hold():
    result = subprocess.run([str(LINT), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def _lint_copy(tmp_path: Path, edits: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the project's contracts on a copy of relik_ml with `edits` (path -> line appended)."""
    shutil.copytree(ROOT / "relik_ml", tmp_path / "relik_ml", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "relik_assets").mkdir()
    (tmp_path / "relik_assets" / "__init__.py").write_text("")
    for relative, line in edits.items():
        path = tmp_path / "relik_ml" / relative
        path.write_text((path.read_text() if path.exists() else "") + line)
    config = (ROOT / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(config[config.index("[tool.importlinter]"):])
    return subprocess.run([str(LINT)], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})


def test_the_unchanged_copy_passes(tmp_path):
    """The copy the violation tests edit keeps every contract, so each failure below is the edit's."""
    result = _lint_copy(tmp_path, {})
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_linter_detects_a_violation(tmp_path):
    """The forbidden contract is live: a relik_ml module importing dagster breaks it."""
    result = _lint_copy(tmp_path, {"index/ids.py": "import dagster\n"})
    assert result.returncode != 0
    assert "relik_ml.index.ids -> dagster" in result.stdout


def test_import_linter_detects_an_upward_import(tmp_path):
    """The layers contract is live: the index (below the reader) importing the reader breaks it."""
    result = _lint_copy(tmp_path, {"index/ids.py": "import relik_ml.reader.decoding\n"})
    assert result.returncode != 0
    assert "relik_ml.index is not allowed to import relik_ml.reader" in result.stdout
    assert "relik_ml.index.ids -> relik_ml.reader.decoding" in result.stdout


def test_import_linter_detects_a_module_outside_the_layers(tmp_path):
    """Every top-level module of relik_ml has a layer: a new one must be placed in pyproject.toml."""
    result = _lint_copy(tmp_path, {"unplaced.py": "from __future__ import annotations\n"})
    assert result.returncode != 0
    assert "relik_ml.unplaced" in result.stdout


def test_import_linter_detects_a_cycle_inside_a_package(tmp_path):
    """The acyclic contract is live: span picking importing the model it serves makes a cycle."""
    result = _lint_copy(tmp_path, {"reader/span_picking.py": "import relik_ml.reader.modeling\n"})
    assert result.returncode != 0
    assert "No cycles are allowed in relik_ml.reader" in result.stdout
