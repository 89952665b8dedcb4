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
    rows = results["by_train_size"]
    assert [r["train_fraction"] for r in rows] == list(nyt_memorization.TRAIN_FRACTIONS)
    assert [r["train_documents"] for r in rows] == [0, 0, 1, 2]
    assert rows[-1]["dev_triplets_seen_in_train"] == 0.5 and rows[-1]["lookup_f1"] == 0.5
    assert rows[0]["dev_triplets_seen_in_train"] == 0.0 and rows[0]["lookup_f1"] == 0.0


def test_train_subsets_are_nested_and_whole_documents() -> None:
    train = [_window(f"doc{i}", f"Window {i} .") for i in range(40)]
    train += [Window(f"doc{i}#1", f"doc{i}", f"Second {i} .", 0, 9) for i in range(40)]
    subsets = nyt_memorization.nested_train_subsets(train, nyt_memorization.TRAIN_FRACTIONS)
    documents = [{w.doc_id for w in subsets[f]} for f in nyt_memorization.TRAIN_FRACTIONS]
    assert [len(d) for d in documents] == [5, 10, 20, 40]
    assert all(small < large for small, large in zip(documents, documents[1:]))
    assert all(len(subsets[f]) == 2 * len(d) for f, d in zip(nyt_memorization.TRAIN_FRACTIONS, documents))


def test_projection_reproduces_the_measured_f1_at_the_measured_overlap() -> None:
    # the 76.9 reader's window-level rates (benchmarks/results/nyt_memorization.json): all-F1 0.7646 at overlap 0.6625
    seen = {"recall": 0.8907, "precision": 0.9657}
    unseen = {"recall": 0.5035, "precision": 0.4508}
    assert abs(nyt_memorization.projected_f1(0.6625, seen, unseen) - 0.7646) < 0.002
    assert nyt_memorization.projected_f1(1.0, seen, unseen) == round(2 * 0.8907 * 0.9657 / (0.8907 + 0.9657), 4)
    assert nyt_memorization.projected_f1(0.0, {"recall": 0.0, "precision": 0.0}, {"recall": 0.0, "precision": 0.0}) == 0.0
