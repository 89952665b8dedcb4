from __future__ import annotations

from relik_ml.retriever.data import RetrieverCollator, RetrieverExample, build_examples, gold_ids
from relik_ml.types import NME, Passage, Span, Triplet, Window


def _window(window_id: str, labels: list[str], relations: tuple[str, ...] = ()) -> Window:
    spans = tuple(Span(i, i + 1, label) for i, label in enumerate(labels))
    triplets = tuple(Triplet(spans[0], r, spans[-1]) for r in relations)
    return Window(window_id, "d", "x" * 10, 0, 10, spans=spans, triplets=triplets)


def test_gold_ids_are_distinct_in_kb_and_ordered():
    window = _window("w", ["B", NME, "A", "B", "missing"], relations=("P1", "P1"))
    assert gold_ids(window, "el", {"A", "B"}) == ("B", "A")
    assert gold_ids(window, "el") == ("B", "A", "missing")
    assert gold_ids(window, "re", {"P1"}) == ("P1",)


def test_windows_without_gold_are_skipped_and_counted():
    examples, skipped = build_examples([_window("a", ["A"]), _window("b", [NME]), _window("c", [])], "el", {"A"})
    assert [e.window.id for e in examples] == ["a"] and skipped == 2


def _collator(hard_negatives, cap, kb_size=8):
    passages = {f"P{i}": Passage(f"P{i}", f"t{i}", "") for i in range(kb_size)}
    return RetrieverCollator(
        passages,
        window_inputs=lambda ws: {"n": len(ws)},
        passage_inputs=lambda ps: {"ids": [p.id for p in ps]},
        hard_negatives=hard_negatives,
        passages_per_batch=cap,
    )


def test_collate_dedups_golds_and_hard_negatives_and_builds_the_mask():
    examples = [
        RetrieverExample(_window("a", []), ("P0", "P1")),
        RetrieverExample(_window("b", []), ("P1", "P2")),
    ]
    batch = _collator({"a": ("P2", "P3"), "b": ("P3", "P4")}, cap=5)(examples)
    assert batch.passage_ids == ["P0", "P1", "P2", "P3", "P4"]
    assert batch.passage_inputs == {"ids": batch.passage_ids}
    assert batch.positive_mask.tolist() == [[True, True, False, False, False], [False, True, True, False, False]]


def test_collate_caps_negatives_but_keeps_every_gold_and_fills_randomly():
    examples = [RetrieverExample(_window("a", []), ("P0", "P1", "P2"))]
    assert _collator({"a": ("P5", "P6")}, cap=2).passage_ids(examples) == ["P0", "P1", "P2"]
    assert _collator({"a": ("P5", "P6")}, cap=4).passage_ids(examples) == ["P0", "P1", "P2", "P5"]
    filled = _collator({}, cap=6).passage_ids(examples)
    assert filled[:3] == ["P0", "P1", "P2"] and len(set(filled)) == 6
    assert len(_collator({}, cap=400).passage_ids(examples)) == 8  # capped by the KB size
