"""benchmarks/nyt_memorization.py without a reader: train-triplet overlap and the lookup baseline."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from relik_ml.io import write_jsonl
from relik_ml.types import Span, Triplet, Window

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))  # the benchmarks import as scripts

import nyt_memorization  # noqa: E402

CONTAINS = "/location/location/contains"
NATIONALITY = "/people/person/nationality"


def _window(wid: str, text: str, *triplets: tuple[str, str, str]) -> Window:
    def span(name: str) -> Span:
        start = text.index(name)
        return Span(start, start + len(name))

    built = tuple(Triplet(span(s), r, span(o)) for s, r, o in triplets)
    spans = tuple({(x.start, x.end): x for t in built for x in (t.subject, t.object)}.values())
    return Window(wid, wid, text, 0, len(text), spans=spans, triplets=built)


def _write(root: Path, split: str, windows: list[Window]) -> None:
    directory = root / "re" / "task_windows" / split
    directory.mkdir(parents=True)
    write_jsonl(directory / "windows.jsonl", windows)


def test_overlap_and_lookup_baseline(tmp_path: Path) -> None:
    _write(tmp_path, "train", [
        _window("t1", "In Queens , Douglaston is quiet .", ("Queens", CONTAINS, "Douglaston")),
        _window("t2", "Hamid Karzai of Afghanistan spoke .", ("Hamid Karzai", NATIONALITY, "Afghanistan")),
    ])
    _write(tmp_path, "dev", [
        # seen triplet, found by the lookup
        _window("d1", "Douglaston , Queens , was sold .", ("Queens", CONTAINS, "Douglaston")),
        # unseen triplet; the lookup's guess there is a false positive (Karzai and Afghanistan occur)
        _window("d2", "Hamid Karzai left Afghanistan for Kabul .", ("Afghanistan", CONTAINS, "Kabul")),
        # "Queensland" is not the whole token "Queens": no guess
        _window("d3", "Queensland and Douglaston differ ."),
    ])
    out = tmp_path / "memo.json"
    results = nyt_memorization.main(["--data-root", str(tmp_path), "--out", str(out), "--threads", "1"])
    assert json.loads(out.read_text()) == results
    assert results["dev_triplets"] == 2 and results["dev_triplets_seen_in_train"] == 0.5
    assert results["lookup_baseline"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "tp": 1, "predicted": 2, "gold": 2}
    assert "reader" not in results
