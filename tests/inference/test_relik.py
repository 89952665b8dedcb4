"""`Relik` on a tiny model directory: round trip, schema, offsets, given inputs, edge cases."""
from __future__ import annotations

import json

import pytest

from relik_ml.errors import InputError
from relik_ml.inference import Relik, to_json
from relik_ml.types import NME, Document
from relik_ml.windows import make_windows
from tests.inference.tiny_model import TOY_KB

TEXTS = [
    "Home Depot CEO Nardelli quits. Frank Blake replaces him, Home Depot said in Atlanta.",
    "Seattle is rainy, Paris is not.",
]
KB_IDS = {p.id for p in TOY_KB}


def test_round_trip_gives_identical_predictions(relik, tmp_path):
    saved = relik.save_pretrained(tmp_path / "copy")
    again = Relik.from_pretrained(saved)
    assert (saved / "relik.json").exists() and (saved / "manifest.json").exists()
    assert [to_json(p) for p in again(TEXTS)] == [to_json(p) for p in relik(TEXTS)]


def test_output_follows_the_schema(relik):
    out = to_json(relik(TEXTS[0]))
    assert set(out) == {"id", "text", "spans", "triplets"}
    assert out["spans"], "the low-threshold tiny reader predicts some spans"
    for span in out["spans"]:
        assert set(span) == {"start", "end", "text", "label", "title", "score"}
        assert span["label"] == NME or span["label"] in KB_IDS
        assert 0.0 <= span["score"] <= 1.0
    json.dumps(out)


def test_offsets_point_into_the_original_text(relik):
    for text, prediction in zip(TEXTS, relik(TEXTS)):
        assert prediction.text == text
        for span in to_json(prediction)["spans"]:
            assert 0 <= span["start"] < span["end"] <= len(text)
            assert span["text"] == text[span["start"] : span["end"]]


def test_spans_are_unique_per_document(relik):
    long_text = " ".join(TEXTS * 10)  # several overlapping windows
    bounds = [(s.start, s.end) for s, _ in relik(long_text).spans]
    assert len(bounds) == len(set(bounds))


def test_batched_call_equals_one_call_per_text(relik):
    """Windows of several texts share batches; only padding-level float noise may differ."""
    together = [p.spans for p in relik(TEXTS)]
    alone = [relik(text).spans for text in TEXTS]
    assert [[s for s, _ in row] for row in together] == [[s for s, _ in row] for row in alone]
    assert [[x for _, x in row] for row in together] == [pytest.approx([x for _, x in row], abs=1e-5) for row in alone]


def test_is_deterministic(relik):
    assert [to_json(p) for p in relik(TEXTS)] == [to_json(p) for p in relik(TEXTS)]


def test_given_candidates_restrict_the_links(relik):
    prediction = relik(TEXTS[0], candidates=[["Q5083", "Q90"]])
    assert prediction.spans
    assert {s.label for s, _ in prediction.spans} <= {"Q5083", "Q90", NME}


def test_given_candidates_must_exist(relik):
    with pytest.raises(InputError, match="candidates"):
        relik(TEXTS[0], candidates=[["no-such-entity"]])


def test_given_mentions_are_linked_exactly(relik):
    text = TEXTS[0]
    mentions = [(0, 10), (15, 23), (31, 42), (37, 42)]  # nested and mid-sentence spans
    prediction = relik(text, mentions=[mentions])
    assert [(s.start, s.end) for s, _ in prediction.spans] == mentions
    assert all(s.label == NME or s.label in KB_IDS for s, _ in prediction.spans)


def test_given_mentions_out_of_range_is_an_input_error(relik):
    with pytest.raises(InputError, match="mentions"):
        relik("short", mentions=[[(0, 50)]])


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_empty_and_blank_texts_have_no_spans(relik, text):
    prediction = relik(text)
    assert (prediction.text, prediction.spans, prediction.triplets) == (text, (), ())


def test_a_100k_character_text(relik):
    text = (" ".join(TEXTS) + " ") * (100_000 // (len(" ".join(TEXTS)) + 1) + 1)
    text = text[:100_000]
    prediction = relik(text, top_k=2)
    assert prediction.spans and max(s.end for s, _ in prediction.spans) > 90_000
    assert all(0 <= s.start < s.end <= len(text) for s, _ in prediction.spans)


@pytest.mark.parametrize("text", ["北京是中国的首都。", "القاهرة عاصمة مصر", "Москва — столица России.", "東京" * 1500])
def test_non_latin_scripts(relik, text):
    for span in to_json(relik(text))["spans"]:
        assert span["text"] == text[span["start"] : span["end"]]


def test_retriever_only_directory_retrieves_but_does_not_annotate(retriever_only_dir):
    relik = Relik.from_pretrained(retriever_only_dir)
    with pytest.raises(InputError, match="no reader"):
        relik("Seattle is rainy.")
    windows, _ = make_windows(Document("d", "Seattle is rainy."))
    ranked = relik.retrieve(windows, top_k=3)
    assert len(ranked) == 1 and len(ranked[0]) == 3
    assert [c.score for c in ranked[0]] == sorted((c.score for c in ranked[0]), reverse=True)


def test_non_string_text_is_an_input_error(relik):
    with pytest.raises(InputError, match="not a string"):
        relik([None])
