"""Mention-centred contexts: markers, the token budget around the mention, real formats, bad input."""
from __future__ import annotations

import json

import pytest

from relik_ml.errors import InputError
from relik_ml.mel import ContextConfig, ContextCutter, MarkerConfig, damuel_contexts, mewsli_contexts, read_mention_contexts
from relik_ml.mel.contexts import check_labels
from tests.paths import ROOT, SAMPLE

MEWSLI = ROOT / "tests" / "fixtures" / "formats" / "mewsli"


@pytest.fixture()
def cutter(encoder) -> ContextCutter:
    return ContextCutter(encoder.tokenizer, ContextConfig(max_tokens=12))


def test_mention_is_marked_and_centred(cutter):
    words = [f"w{i}" for i in range(40)]
    text = " ".join(words[:20] + ["Paris"] + words[20:])
    context = cutter.cut(text, text.index("Paris"), text.index("Paris") + 5)
    before, after = context.split("[M] Paris [M]")
    assert cutter.count(context) <= 12
    assert before.split() and after.split()  # both sides kept
    assert abs(cutter.count(before) - cutter.count(after)) <= 2  # about half each


def test_span_at_text_start_gives_the_budget_to_the_right(cutter):
    text = "Paris " + " ".join(f"w{i}" for i in range(50))
    context = cutter.cut(text, 0, 5)
    assert context.startswith("[M] Paris [M] w0")
    assert 10 <= cutter.count(context) <= 12


def test_span_at_text_end_gives_the_budget_to_the_left(cutter):
    text = " ".join(f"w{i}" for i in range(50)) + " Paris"
    context = cutter.cut(text, len(text) - 5, len(text))
    assert context.endswith("w49 [M] Paris [M]")
    assert 10 <= cutter.count(context) <= 12


def test_long_text_is_bounded_and_short_text_kept_whole(cutter):
    long_text = "lorem ipsum " * 20_000 + "Tokyo" + " dolor sit" * 20_000
    start = long_text.index("Tokyo")
    assert cutter.count(cutter.cut(long_text, start, start + 5)) <= 12
    assert cutter.cut("in Tokyo today", 3, 8) == "in [M] Tokyo [M] today"


def test_a_mention_longer_than_the_budget_keeps_only_the_mention(cutter):
    text = "a " + " ".join(["Tokyo"] * 30) + " b"
    assert cutter.cut(text, 2, len(text) - 2).startswith("[M] Tokyo")


def test_custom_markers(encoder):
    cutter = ContextCutter(encoder.tokenizer, ContextConfig(max_tokens=20, markers=MarkerConfig("<m>", "</m>")))
    assert cutter.cut("in Tokyo today", 3, 8) == "in <m> Tokyo </m> today"


@pytest.mark.parametrize("start, end", [(-1, 3), (5, 99), (4, 4)])
def test_span_out_of_range_is_an_input_error(cutter, start, end):
    with pytest.raises(InputError, match="out of range"):
        cutter.cut("in Tokyo", start, end)


def test_jsonl_span_out_of_range_names_file_line_and_field(tmp_path, cutter):
    path = tmp_path / "contexts.jsonl"
    rows = [{"id": "a", "text": "in Tokyo", "start": 3, "end": 8, "label": "Q1490"},
            {"id": "b", "text": "in Tokyo", "start": 3, "end": 80, "label": "Q1490"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    with pytest.raises(InputError) as error:
        list(cutter.from_mention_contexts(read_mention_contexts(path)))
    assert (error.value.path, error.value.line, error.value.field) == (str(path), 2, "end")


def test_unknown_qid_names_file_line_and_field(tmp_path, cutter, toy_kb):
    path = tmp_path / "contexts.jsonl"
    rows = [{"id": "a", "text": "in Tokyo", "start": 3, "end": 8, "label": "Q1490"},
            {"id": "b", "text": "in Oslo", "start": 3, "end": 7, "label": "Q585"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    with pytest.raises(InputError, match="Q585") as error:
        list(cutter.from_mention_contexts(read_mention_contexts(path), known=toy_kb.rows))
    assert (error.value.path, error.value.line, error.value.field) == (str(path), 2, "label")
    contexts = list(cutter.from_mention_contexts(read_mention_contexts(path)))
    with pytest.raises(InputError, match="'b'") as error:
        check_labels(contexts, toy_kb.rows)
    assert error.value.field == "label"


def test_contexts_from_damuel_and_mewsli_samples(cutter):
    damuel = damuel_contexts(cutter, SAMPLE / "damuel" / "es" / "part-00000.xz")
    mewsli = mewsli_contexts(cutter, MEWSLI)
    for contexts in (damuel, mewsli):
        assert contexts
        for context in contexts:
            assert f"[M] {' '.join(context.mention.split())} [M]" in context.text
            assert context.label.startswith("Q")
            assert cutter.count(context.text) <= 12 or cutter.count(context.mention) > 8
    assert {c.language for c in damuel} == {"es"}
