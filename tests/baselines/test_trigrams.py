from __future__ import annotations

import numpy as np

from relik_ml.baselines import TrigramIndex
from relik_ml.baselines.trigrams import trigram_codes

NAMES = ["paris", "paris hilton", "parish", "france", "manchester united f.c.", "manchester", "rome", "pâris"]


def test_padded_trigrams():
    assert len(trigram_codes("rome")) == 4  # " ro" "rom" "ome" "me "
    assert len(trigram_codes("")) == 0 and len(trigram_codes("x")) == 1


def test_block_ranks_by_dice_and_the_exact_name_comes_first():
    index = TrigramIndex(NAMES)
    rows, dice = index.block("paris", size=3)
    assert rows.tolist()[0] == 0 and dice[0] == 1.0
    assert set(rows.tolist()) <= {0, 1, 2, 7} and (np.diff(dice) <= 0).all()


def test_chunked_build_equals_one_chunk():
    whole, chunked = TrigramIndex(NAMES), TrigramIndex(NAMES, chunk=3)
    for query in ("manchester utd", "paris", "rom", "zz"):
        for a, b in zip(whole.block(query, 5), chunked.block(query, 5)):
            np.testing.assert_array_equal(a, b)


def test_exact_name_is_found_in_a_large_block_of_near_duplicates():
    names = [f"paris {i}" for i in range(3000)] + ["paris"]
    rows, _ = TrigramIndex(names).block("paris", size=10)
    assert rows[0] == 3000


def test_nothing_shared_gives_an_empty_block():
    rows, dice = TrigramIndex(NAMES).block("qqq", size=10)
    assert rows.size == 0 and dice.size == 0
    assert TrigramIndex([]).block("paris", 5)[0].size == 0
