"""`Relik.__call__` on degenerate and hostile input (issue 22): overlong runs, lone surrogates, K.

The tiny model directory (tests/inference/tiny_model.py) is untrained but deterministic: the same
window with the same candidates always gives the same links, so a blob that changed the windows of
the text around it would change its links.
"""
from __future__ import annotations

import base64
import random
import tracemalloc

import pytest

from relik_ml.errors import InputError
from relik_ml.inference import Relik
from relik_ml.inference import relik as relik_module
from relik_ml.windows import unreadable_runs
from tests.inference.tiny_model import TOY_KB

SENTENCE = "A sentence about Paris."
BLOB = base64.b64encode(random.Random(7).randbytes(1500)).decode()  # 2,000 characters, "+" and "/" inside


def _links(prediction, end: int) -> list[tuple[int, int, str]]:
    return [(s.start, s.end, s.label) for s, _ in prediction.spans if s.end <= end]


def _covers(prediction, start: int, end: int) -> list:
    return [s for s, _ in prediction.spans if s.start < end and s.end > start]


def test_a_blob_in_its_own_sentence_leaves_the_links_around_it_unchanged(relik):
    assert len(BLOB) == 2000 and unreadable_runs(BLOB) == [(0, 2000)]
    alone = relik(SENTENCE)
    assert alone.spans, "the low-threshold tiny reader links something in the sentence"
    for text in (f"{SENTENCE} {BLOB}", f"{SENTENCE} {BLOB}. Berlin is in Germany.", f"{SENTENCE} Key: {BLOB}"):
        with_blob = relik(text)
        if "Key" not in text:  # ("Key:" is read with the sentence, in the same window)
            assert _links(with_blob, len(SENTENCE)) == _links(alone, len(SENTENCE)), text[:40]
        blob_start = text.index(BLOB)
        assert _covers(with_blob, blob_start, blob_start + len(BLOB)) == []
        assert all(s.end - s.start < 100 for s, _ in with_blob.spans)


def test_a_token_longer_than_the_reader_sees_never_becomes_a_span_over_the_text(relik):
    text = "Paris " + "x" * 600 + " Hilton"
    prediction = relik(text)
    assert _covers(prediction, 6, 606) == []
    assert {(s.start, s.end) for s, _ in prediction.spans} <= {(0, 5), (607, 613)}
    assert relik("x" * 5000).spans == ()  # nothing readable: an empty prediction, not an error


def test_scripts_without_spaces_are_still_read(relik):
    text = "北京是中华人民共和国的首都" * 20  # 260 characters without a space
    assert unreadable_runs(text) == []
    assert all(0 <= s.start < s.end <= len(text) for s, _ in relik(text).spans)


def test_windows_read_in_steps_give_the_same_predictions(relik, monkeypatch):
    text = " ".join(["Seattle is rainy, Paris is not. Frank Blake replaces him, Home Depot said."] * 12)
    whole = relik([text, SENTENCE])
    monkeypatch.setattr(relik_module, "WINDOWS_PER_STEP", 2)
    stepped = relik([text, SENTENCE])
    assert [[s for s, _ in p.spans] for p in stepped] == [[s for s, _ in p.spans] for p in whole]


def test_a_lone_surrogate_is_refused_naming_the_text(relik):
    with pytest.raises(InputError, match=r"field 'text': text 1: lone surrogate U\+D800 at character 4"):
        relik(["fine", "bad \ud800 text"])
    assert relik(["", "  \n\t"])[0].spans == ()  # empty and blank texts: empty predictions


@pytest.mark.parametrize("top_k", [0, -1, True, 2.0, "5", 9, 10**9])
def test_a_bad_k_is_refused_before_anything_is_allocated(relik, top_k):
    """K is an integer from 1 to the reader's max_candidates (8 in the tiny model): never cut silently."""
    with pytest.raises(InputError, match="field 'top_k': expected an integer"):
        relik(SENTENCE, top_k=top_k)
    assert relik(SENTENCE, top_k=8).id == "0"


def test_retrieval_caps_k_at_the_index_size_before_searching(relik):
    windows = relik_module.make_windows(relik_module.Document("d", SENTENCE))[0]
    tracemalloc.start()
    try:
        [row] = relik.retrieve(windows, top_k=10**7)  # (1, 10**7) float32 + int64 would be 120 MB
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(row) == len(TOY_KB) and peak < 20 * 2**20


def test_bad_loading_options_are_refused(model_dir):
    with pytest.raises(InputError, match="field 'device': expected cpu, cuda or cuda:N"):
        Relik.from_pretrained(model_dir, device="bogus")
    with pytest.raises(InputError, match="field 'threads'"):
        Relik.from_pretrained(model_dir, threads=0)


def test_fuzzed_calls_give_a_result_or_the_documented_error(relik):
    """The quick mode of benchmarks/hostile_relik.py (10,000 inputs there): 50 Hypothesis inputs."""
    from benchmarks.hostile_relik import fuzz

    report = fuzz(relik, examples=50, seed_value=1)
    assert report["inputs"] == 50 and report["outcomes"]["other"] == 0, report["examples_of_other"]
    assert report["outcomes"]["result"] > 0 and report["outcomes"]["input_error"] > 0


@pytest.mark.parametrize("texts", [None, 5, b"Paris", [b"Paris"], ["Paris", None]])
def test_what_is_no_text_is_refused(relik, texts):
    with pytest.raises(InputError, match="field 'text'"):
        relik(texts)


def test_unreadable_runs_split_the_words_into_groups_no_window_crosses():
    from relik_ml.types import Document
    from relik_ml.windows import WindowConfig, make_windows, readable_words

    text = "Paris " + "x" * 101 + " Hilton 北京" + "y" * 150 + "上海 ok " + "z" * 100
    assert unreadable_runs(text) == [(6, 107), (117, 267)]  # 100 z's are still read
    groups = [[text[a:b] for a, b in group] for group in readable_words(text)]
    assert groups == [["Paris"], ["Hilton", "北京"], ["上海", "ok", "z" * 100]]
    windows = make_windows(Document("d", text), WindowConfig(window_size=2, stride=1))[0]
    assert [w.text for w in windows] == ["Paris", "Hilton 北京", "上海 ok", "ok " + "z" * 100]
