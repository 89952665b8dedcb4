"""RE and cIE model directories: relations given whole (small set) or retrieved from a relation index."""
from __future__ import annotations

import pytest

from relik_ml.errors import InputError
from relik_ml.inference import Relik, to_json
from tests.inference.tiny_model import TOY_RELATIONS, build_model_dir

TEXT = "Frank Blake works for Home Depot in Atlanta, the capital of Georgia."
RELATION_IDS = {p.id for p in TOY_RELATIONS}


@pytest.mark.parametrize(("task", "relation_index"), [("re", False), ("cie", True)])
def test_triplets_link_predicted_spans(tmp_path, task, relation_index):
    relik = Relik.from_pretrained(build_model_dir(tmp_path, task=task, relation_index=relation_index))
    prediction = relik(TEXT)
    out = to_json(prediction)
    assert out["triplets"], "the low-threshold tiny reader predicts some triplets"
    bounds = {(s["start"], s["end"]) for s in out["spans"]}
    for triplet in out["triplets"]:
        assert triplet["relation"] in RELATION_IDS
        assert (triplet["subject"]["start"], triplet["subject"]["end"]) in bounds
        assert (triplet["object"]["start"], triplet["object"]["end"]) in bounds
    mentions = [(0, 11), (22, 32)]
    given = relik(TEXT, mentions=[mentions])
    assert [(s.start, s.end) for s, _ in given.spans] == mentions
    assert all({(t.subject.start, t.subject.end), (t.object.start, t.object.end)} <= set(mentions) for t, _ in given.triplets)


def test_too_many_relations_without_an_index_is_an_input_error(tmp_path):
    directory = build_model_dir(tmp_path, task="re")
    (directory / "relik.json").write_text('{"task": "re", "relations": "relations.jsonl", "relation_top_k": 2}')
    with pytest.raises(InputError, match="no relation index"):
        Relik.from_pretrained(directory)
