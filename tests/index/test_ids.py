"""The compact string id <-> int id map: lookups, drops, hash collisions, ids.txt round trip."""
from __future__ import annotations

import numpy as np
import pytest

from relik_ml.errors import InputError
from relik_ml.index import ids as ids_module
from relik_ml.index.ids import PAD_ID, IdMap

NAMES = ["Q1", "Ada Lovelace", "São Paulo", "東京", "a_b (c)", "Q1 ", "x" * 300]


def filled() -> IdMap:
    id_map = IdMap()
    id_map.assign(NAMES[:4])
    id_map.assign(NAMES[4:])
    return id_map


def test_lookups_both_ways():
    id_map = filled()
    assert len(id_map) == 7 and id_map.ids == NAMES and id_map.next_int_id == 7
    assert all(name in id_map for name in NAMES) and "Q2" not in id_map and 3 not in id_map
    assert id_map.ints_of(["東京", "Q1 ", "Q1"]).tolist() == [3, 5, 0]
    assert id_map.find_many(["Q1", "nope", "東京", "Q1"]).tolist() == [0, -1, 3, 0] and id_map.find("nope") is None
    labels = np.array([[2, -1, 6], [0, 99, 4]])
    assert id_map.strings(labels) == [["São Paulo", PAD_ID, "x" * 300], ["Q1", PAD_ID, "a_b (c)"]]
    with pytest.raises(KeyError):
        id_map.ints_of(["nope"])


def test_dropped_ids_vanish_and_int_ids_are_never_reused():
    id_map = filled()
    id_map.drop(["São Paulo", "Q1"])
    assert "Q1" not in id_map and "Q1 " in id_map and len(id_map) == 5
    assert id_map.int_ids().tolist() == [1, 3, 4, 5, 6]
    assert id_map.strings(np.array([[0, 2, 3]])) == [[PAD_ID, PAD_ID, "東京"]]
    assert id_map.assign(["Q1"]).tolist() == [7] and id_map.ints_of(["Q1"]).tolist() == [7]
    assert id_map.ids == ["Ada Lovelace", "東京", "a_b (c)", "Q1 ", "x" * 300, "Q1"]


def test_hash_collisions_are_resolved_by_the_string(monkeypatch):
    monkeypatch.setattr(ids_module, "_hash", lambda s: len(s) % 3)  # most ids collide
    id_map = filled()
    assert id_map.ints_of(NAMES).tolist() == list(range(7))
    assert id_map.find_many(["Q1", "Q2", "Q1 "]).tolist() == [0, -1, 5]
    id_map.drop(["Ada Lovelace"])
    assert "Ada Lovelace" not in id_map and id_map.ints_of(["a_b (c)"]).tolist() == [4]


def test_ids_txt_round_trip_and_an_empty_map(tmp_path):
    id_map = filled()
    id_map.drop(["Q1"])
    id_map.write(tmp_path / "ids.txt")
    again = IdMap.read(tmp_path / "ids.txt", next_int_id=7)
    assert again.ids == id_map.ids and again.int_ids().tolist() == id_map.int_ids().tolist()
    assert again.ints_of(["x" * 300]).tolist() == [6]
    empty = IdMap()
    assert empty.strings(np.array([[0, -1]])) == [[PAD_ID, PAD_ID]] and "Q1" not in empty and empty.ids == []


@pytest.mark.parametrize(("text", "message"), [
    ("0\tA\n1\tB\n2\tA\n", r"ids.txt:3: duplicate id 2\t'A'"),
    ("0\tA\n1\tB\n1\tC\n", r"ids.txt:3: duplicate id 1\t'C'"),
    ("0\tA\n9\tB\n", r"ids.txt:2: int id 9 outside"),
    ("0\tA\nB\n", r"ids.txt:2: expected"),
])
def test_bad_ids_txt_names_the_line(tmp_path, text, message):
    (tmp_path / "ids.txt").write_text(text)
    with pytest.raises(InputError, match=message):
        IdMap.read(tmp_path / "ids.txt", next_int_id=5)


def test_the_map_stays_compact():
    id_map = IdMap()
    id_map.assign([f"entity_title_{i}" for i in range(100_000)])
    assert id_map.nbytes < 65 * 100_000  # 40 bytes of arrays + ~18 of UTF-8 a title, no Python object per id
