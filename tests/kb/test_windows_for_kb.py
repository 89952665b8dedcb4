from __future__ import annotations

from relik_ml.io import write_jsonl
from relik_ml.pipeline.artifacts import load_redirects, load_windows_for_kb
from relik_ml.pipeline.summary import WINDOWS_FILE
from relik_ml.types import NME, Span, Window


def _windows_dir(tmp_path, labels):
    directory = tmp_path / "windows"
    directory.mkdir()
    spans = tuple(Span(i, i + 1, label) for i, label in enumerate(labels))
    write_jsonl(directory / WINDOWS_FILE, [Window("w0", "d", "x" * 10, 0, 10, spans=spans).to_json()])
    return directory


def test_title_labels_become_the_ids_of_a_key_keyed_kb(tmp_path):
    windows = _windows_dir(tmp_path, ["Barack Obama", "Man Utd", "Nowhere Land", NME])
    kb = tmp_path / "kb"
    kb.mkdir()
    write_jsonl(kb / "aliases.jsonl", [{"alias": "man utd", "ids": ["manchester united f.c."]}])
    kb_ids = {"barack obama", "manchester united f.c."}
    (window,) = load_windows_for_kb([windows], kb_ids, load_redirects(kb))
    assert [s.label for s in window.spans] == ["barack obama", "manchester united f.c.", "Nowhere Land", NME]


def test_a_title_keyed_kb_keeps_the_labels(tmp_path):
    windows = _windows_dir(tmp_path, ["Barack Obama", "Paris"])
    kb = tmp_path / "kb"
    kb.mkdir()
    (window,) = load_windows_for_kb([windows], {"Barack Obama", "Paris"}, load_redirects(kb))
    assert [s.label for s in window.spans] == ["Barack Obama", "Paris"]
