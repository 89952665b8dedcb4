"""Input layout, window offsets, gold labels and the trimming policy."""
from __future__ import annotations

import pytest

from relik_ml.errors import InputError
from relik_ml.reader.inputs import TokenCache, build_reader_input
from relik_ml.types import Passage, Span, Window


def _tokens(tokenizer, encoded):
    return tokenizer.convert_ids_to_tokens(list(encoded.input_ids))


def test_el_layout_places_special_tokens_after_the_window(make_reader, paris, passages):
    _, tokenizer, config = make_reader("el")
    entities = [passages["Lyon"], passages["Paris"], passages["France"]]
    encoded = build_reader_input(paris, entities, [], tokenizer, config)
    tokens = _tokens(tokenizer, encoded)
    n = encoded.num_window_tokens
    assert tokens[0] == "[CLS]" and tokens[n + 1] == "[SEP]" and tokens[-1] == "[SEP]"
    assert [tokens[p] for p in encoded.entity_positions] == ["<ST0>", "<ST1>", "<ST2>", "<ST3>"]
    assert encoded.entity_positions[0] == n + 2
    assert tokens[encoded.entity_positions[1] + 1] == "lyon"
    assert encoded.entity_ids == ("--NME--", "Lyon", "Paris", "France")
    assert encoded.attention_mask == (1,) * len(encoded.input_ids)


def test_window_offsets_map_back_to_window_characters(make_reader, paris):
    _, tokenizer, config = make_reader("el")
    encoded = build_reader_input(paris, [], [], tokenizer, config)
    pieces = [paris.text[s:e].lower() for s, e in encoded.token_offsets]
    assert pieces == _tokens(tokenizer, encoded)[1 : encoded.num_window_tokens + 1]


def test_re_and_cie_layouts(make_reader, paris, passages):
    rels = [passages["P17"], passages["P1376"]]
    _, tokenizer, config = make_reader("re")
    encoded = build_reader_input(paris, [passages["Paris"]], rels, tokenizer, config)
    tokens = _tokens(tokenizer, encoded)
    assert [tokens[p] for p in encoded.relation_positions] == ["<ST1>", "<ST2>"]
    assert encoded.entity_positions == () and encoded.relation_ids == ("P17", "P1376")

    _, tokenizer, config = make_reader("cie")
    encoded = build_reader_input(paris, [passages["Paris"]], rels, tokenizer, config)
    tokens = _tokens(tokenizer, encoded)
    assert [tokens[p] for p in encoded.entity_positions] == ["<ST0>", "<ST1>"]
    assert [tokens[p] for p in encoded.relation_positions] == ["<ST5>", "<ST6>"]  # K + 1 = 5
    assert tokens[encoded.relation_positions[0] - 1] == "[SEP]"


def test_gold_labels(make_reader, paris, passages):
    _, tokenizer, config = make_reader("cie")
    ents, rels = [passages["France"], passages["Paris"]], [passages["P17"], passages["P1376"]]
    encoded = build_reader_input(paris, ents, rels, tokenizer, config, with_labels=True)
    assert encoded.spans == ((0, 0, 2), (5, 5, 1))  # 'paris' → slot 2, 'france' → slot 1
    assert encoded.triplets == ((0, 1, 1),)  # Paris capital-of France, relation slot 1
    assert encoded.start_labels == (1, 0, 0, 0, 0, 1, 0) == encoded.end_labels


def test_trimming_fits_budget_and_keeps_gold(make_reader, paris, passages):
    _, tokenizer, config = make_reader("el", max_input_tokens=30, candidate_text="title+description")
    ranked = [passages["Lyon"], passages["Berlin"], passages["Germany"], passages["Paris"]]
    labelled = build_reader_input(paris, ranked, [], tokenizer, config, with_labels=True)
    plain = build_reader_input(paris, ranked, [], tokenizer, config)
    for encoded in (labelled, plain):
        assert len(encoded.input_ids) <= 30
    assert "Paris" in labelled.entity_ids and "Paris" not in plain.entity_ids
    assert plain.entity_ids[1] == "Lyon"  # the best-ranked candidate survives without labels


def test_window_over_budget_is_an_input_error(make_reader):
    _, tokenizer, config = make_reader("el", max_input_tokens=8)
    window = Window("long", "d", "one two three four five six seven eight", 0, 39)
    with pytest.raises(InputError, match="field 'text'"):
        build_reader_input(window, [], [], tokenizer, config)


def test_span_without_tokens_is_an_input_error(make_reader):
    _, tokenizer, config = make_reader("el")
    window = Window("w", "d", "a  b", 0, 4, spans=(Span(1, 2, "X"),))
    with pytest.raises(InputError, match="field 'spans'"):
        build_reader_input(window, [Passage("X", "X", "")], [], tokenizer, config, with_labels=True)


def test_token_cache_gives_the_same_inputs_without_tokenizing_again(make_reader, paris, passages):
    _, tokenizer, config = make_reader("cie")
    entities, relations = [passages["Paris"], passages["France"]], [passages["P1376"]]
    plain = build_reader_input(paris, entities, relations, tokenizer, config, with_labels=True)
    cache = TokenCache(tokenizer, config)
    cache.prepare([paris], [*entities, *relations])
    calls = []

    def counting(*args, **kwargs):
        calls.append(args)
        return tokenizer(*args, **kwargs)

    cache.tokenizer = counting
    cached = build_reader_input(paris, entities, relations, tokenizer, config, with_labels=True, tokens=cache)
    assert cached == plain
    assert calls == []  # window and candidate texts came from the batched `prepare`
    cache.candidate(passages["Germany"])
    assert len(calls) == 1  # an unseen candidate is tokenized on demand


def test_token_cache_is_bounded(make_reader, passages):
    _, tokenizer, config = make_reader("el")
    cache = TokenCache(tokenizer, config, max_candidates=2)
    cache.prepare([], [passages["Paris"], passages["France"]])
    cache.prepare([], [passages["Germany"]])
    assert len(cache._candidates) == 1
