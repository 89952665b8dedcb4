"""Refreshing an index against a newer KB: only new/changed ids embedded; Flat equals a full rebuild."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from relik_ml.errors import InputError
from relik_ml.index import IndexConfig, PassageIndex, diff_kb, refresh_index
from relik_ml.index.refresh import CONTENT_HASHES_FILE, read_content_hashes, save_with_hashes

CONFIG = IndexConfig(recall_check_queries=0)
DIM = 16


def vector(text: str) -> np.ndarray:
    """A deterministic unit vector per text: the stand-in for a retriever (a pure function of the content)."""
    seed = int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)
    v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Embedder:
    """Embeds ids of one KB and remembers which ids it was asked for."""

    def __init__(self, kb: dict[str, str]) -> None:
        self.kb, self.calls = kb, []

    def __call__(self, ids):
        self.calls.extend(ids)
        return np.stack([vector(self.kb[i]) for i in ids])


def build(kb: dict[str, str], config: IndexConfig = CONFIG) -> PassageIndex:
    ids = list(kb)
    return PassageIndex.build(np.stack([vector(kb[i]) for i in ids]), ids, config)


def hashes(kb: dict[str, str]) -> dict[str, str]:
    return {i: content_hash(t) for i, t in kb.items()}


@pytest.fixture()
def old_kb() -> dict[str, str]:
    return {f"Q{i}": f"entity {i} text" for i in range(300)}


@pytest.fixture()
def new_kb(old_kb) -> dict[str, str]:
    kb = {i: t for i, t in old_kb.items() if i not in {"Q3", "Q50", "Q299"}}  # 3 removed
    kb.update({"Q7": "entity 7 renamed", "Q120": "entity 120 rewritten"})  # 2 changed
    kb.update({f"N{i}": f"emerging entity {i}" for i in range(12)})  # 12 new
    return kb


def test_diff_finds_new_changed_and_removed(old_kb, new_kb):
    diff = diff_kb(hashes(old_kb), hashes(new_kb))
    assert set(diff.new) == {f"N{i}" for i in range(12)}
    assert set(diff.changed) == {"Q7", "Q120"}
    assert set(diff.removed) == {"Q3", "Q50", "Q299"}
    assert diff.unchanged == 300 - 3 - 2
    assert diff_kb(hashes(old_kb), hashes(new_kb), prune=False).removed == ()


def test_flat_refresh_equals_full_rebuild(old_kb, new_kb):
    index, embed = build(old_kb), Embedder(new_kb)
    counts = refresh_index(index, hashes(old_kb), hashes(new_kb), embed)
    assert sorted(embed.calls) == sorted([*(f"N{i}" for i in range(12)), "Q7", "Q120"])  # only new + changed
    assert (counts.added, counts.updated, counts.removed, counts.embedded, counts.size) == (12, 2, 3, 14, len(new_kb))
    rebuilt = build(new_kb)
    assert set(index.ids) == set(rebuilt.ids)
    queries = np.stack([vector(f"query {i}") for i in range(40)] + [vector(t) for t in list(new_kb.values())[-20:]])
    k = len(new_kb) + 5  # the whole ranking, padding included
    refreshed_scores, refreshed_ids = index.search(queries, k)
    rebuilt_scores, rebuilt_ids = rebuilt.search(queries, k)
    assert refreshed_ids == rebuilt_ids
    np.testing.assert_array_equal(refreshed_scores, rebuilt_scores)
    _, top = index.search(np.stack([vector(new_kb["N5"]), vector(new_kb["Q7"])]), 1)
    assert top == [["N5"], ["Q7"]]


def test_partial_dump_keeps_missing_ids(old_kb):
    partial = {"N1": "emerging entity 1", "Q10": "entity 10 updated"}
    index = build(old_kb)
    counts = refresh_index(index, hashes(old_kb), hashes(partial), Embedder(partial), prune=False)
    assert (counts.added, counts.updated, counts.removed, counts.size) == (1, 1, 0, 301)
    assert "Q3" in index and "N1" in index


def test_unchanged_kb_embeds_nothing(old_kb):
    index, embed = build(old_kb), Embedder(old_kb)
    counts = refresh_index(index, hashes(old_kb), hashes(old_kb), embed)
    assert embed.calls == [] and counts.embedded == 0 and counts.unchanged == len(old_kb)


def test_hnsw_refresh_finds_new_ids(old_kb, new_kb):
    index = build(old_kb, IndexConfig(factory="HNSW32", recall_check_queries=0))
    refresh_index(index, hashes(old_kb), hashes(new_kb), Embedder(new_kb))
    assert len(index) == len(new_kb)
    _, top = index.search(np.stack([vector(new_kb[f"N{i}"]) for i in range(12)]), 1)
    assert [row[0] for row in top] == [f"N{i}" for i in range(12)]
    _, removed = index.search(np.stack([vector(old_kb["Q3"])]), len(new_kb))
    assert "Q3" not in removed[0]


def test_hashes_must_describe_the_index(old_kb):
    index = build(old_kb)
    held = hashes(old_kb)
    del held["Q4"]
    with pytest.raises(InputError, match="1 indexed ids without a hash"):
        refresh_index(index, held, held, Embedder(old_kb))


def test_wrong_embedding_shape_is_an_error(old_kb, new_kb):
    with pytest.raises(InputError, match="embed returned shape"):
        refresh_index(build(old_kb), hashes(old_kb), hashes(new_kb), lambda ids: np.zeros((len(ids), DIM + 1)))


def test_sidecar_round_trip_and_bad_sidecar(tmp_path, old_kb):
    index = build(old_kb)
    save_with_hashes(index, hashes(old_kb), tmp_path / "index")
    assert read_content_hashes(tmp_path / "index") == hashes(old_kb)
    assert PassageIndex.load(tmp_path / "index").ids == index.ids
    assert read_content_hashes(tmp_path / "nowhere") is None
    (tmp_path / "index" / CONTENT_HASHES_FILE).write_text('{"Q1": 3}')
    with pytest.raises(InputError, match=CONTENT_HASHES_FILE):
        read_content_hashes(tmp_path / "index")


# --- a model directory refreshed against a newer passages file (the tiny retriever-only model) ---

NEW_PASSAGES = [
    {"id": "Q999001", "title": "Zorblax Quantum Foundry", "text": "semiconductor start-up in Tallinn"},
    {"id": "Q999002", "title": "Mirela Vantongeren", "text": "Dutch astrophysicist"},
]


@pytest.fixture()
def tiny_model(tmp_path, retriever_only_dir):
    import shutil

    return Path(shutil.copytree(retriever_only_dir, tmp_path / "model"))


def newer_kb(model: Path, tmp_path: Path) -> Path:
    """The model's KB minus Q5083 (removed), Q90 rewritten (changed), plus NEW_PASSAGES."""
    from relik_ml.io import iter_jsonl, write_jsonl

    rows = [obj for _, obj in iter_jsonl(model / "passages.jsonl") if obj["id"] != "Q5083"]
    rows = [{**obj, "text": "city on the Seine, capital of France"} if obj["id"] == "Q90" else obj for obj in rows]
    write_jsonl(tmp_path / "newer.jsonl", [*rows, *NEW_PASSAGES])
    return tmp_path / "newer.jsonl"


def test_model_dir_refresh_writes_a_new_directory(tiny_model, tmp_path):
    from relik_ml.inference.model_dir import read_passage_file
    from relik_ml.io import read_json, tree_sha256
    from relik_ml.pipeline.refresh import refresh_model_dir

    before = tree_sha256(tiny_model)
    summary = refresh_model_dir(tiny_model, newer_kb(tiny_model, tmp_path), tmp_path / "refreshed")
    assert tree_sha256(tiny_model) == before  # the source directory is untouched
    out = tmp_path / "refreshed"
    counts = read_json(out / "manifest.json")["refresh"]
    assert (counts["added"], counts["updated"], counts["removed"], counts["embedded"]) == (2, 1, 1, 3)
    assert summary.counts["size"] == 21
    index = PassageIndex.load(out / "index")
    assert {"Q999001", "Q999002"} <= set(index.ids) and "Q5083" not in index
    kb = read_passage_file(out / "passages.jsonl")
    assert set(kb) == set(index.ids) and kb["Q90"].text == "city on the Seine, capital of France"
    assert set(read_content_hashes(out / "index")) == set(index.ids)
    again = refresh_model_dir(out, newer_kb(tiny_model, tmp_path))  # in place, from the sidecar: nothing to do
    assert again.counts["embedded"] == 0 and again.counts["unchanged"] == 21


def test_failed_refresh_leaves_the_model_intact(tiny_model, tmp_path, monkeypatch):
    from relik_ml.io import tree_sha256
    from relik_ml.pipeline import refresh

    def broken(*_args):
        def embed(ids):
            raise RuntimeError("encoder crashed")
        return embed

    monkeypatch.setattr(refresh, "_embedder", broken)
    before = tree_sha256(tiny_model)
    with pytest.raises(RuntimeError, match="encoder crashed"):
        refresh.refresh_model_dir(tiny_model, newer_kb(tiny_model, tmp_path))
    assert tree_sha256(tiny_model) == before
    assert sorted(p.name for p in tiny_model.parent.iterdir() if p.name.startswith(".")) == []


def test_cli_index_refresh(tiny_model, tmp_path, capsys):
    import json

    from relik_ml.cli import main

    code = main(["index", "refresh", "--model", str(tiny_model), "--passages", str(newer_kb(tiny_model, tmp_path)),
                 "--output", str(tmp_path / "out"), "--keep-missing"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["counts"]["added"] == 2 and printed["counts"]["removed"] == 0 and printed["counts"]["size"] == 22
    assert "Q5083" in PassageIndex.load(tmp_path / "out" / "index")
    assert main(["index", "refresh", "--model", str(tmp_path / "nope"), "--passages", str(tmp_path / "newer.jsonl")]) == 2
    assert "nope: directory not found" in capsys.readouterr().err  # refused by the argument check, before loading
