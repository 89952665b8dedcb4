"""Streaming, resumable embedding shards (engine-free): selection, reuse, and a run killed with SIGKILL."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from relik_ml.errors import InputError
from relik_ml.io import write_jsonl
from relik_ml.pipeline import retrieval
from relik_ml.pipeline.embedding_shards import load_shard, shard_of
from relik_ml.pipeline.summary import PASSAGES_FILE
from relik_ml.types import Passage

ROOT = Path(__file__).resolve().parents[2]


def _kb(count: int) -> list[Passage]:
    words = "apple river castle dragon forest guitar harbor island jungle kettle lemon mountain".split()
    return [Passage(f"Q{i}", f"{words[i % 12]} {i}", " ".join(words[: i % 9])) for i in range(count)]


@pytest.fixture()
def inputs(tmp_path, retriever):
    model_dir, passages_dir = tmp_path / "retriever", tmp_path / "passages"
    retriever.save_pretrained(model_dir)
    passages_dir.mkdir()
    write_jsonl(passages_dir / PASSAGES_FILE, _kb(300))
    return model_dir, passages_dir


def _stat(directory: Path) -> tuple[int, int]:
    info = directory.stat()
    return info.st_ino, info.st_mtime_ns


def test_shards_partition_the_kb_and_match_direct_encoding(tmp_path, inputs, retriever):
    model_dir, passages_dir = inputs
    config = retrieval.EmbeddingConfig(shards=3, batch_size=16)
    dirs = [tmp_path / f"emb/shard-{i}" for i in range(3)]
    for shard, out in enumerate(dirs):
        summary = retrieval.passage_embeddings(model_dir, passages_dir, shard, config, out)
        assert summary.counts["shard"] == shard and summary.extra["shard_reused"] is False
    embeddings, ids = retrieval.load_embeddings(dirs)
    kb = {p.id: p for p in _kb(300)}
    assert sorted(ids) == sorted(kb) and len(set(ids)) == len(ids)
    for shard, out in enumerate(dirs):
        _, shard_ids = load_shard(out)
        assert {shard_of(i, 3) for i in shard_ids} == {shard}
        assert shard_ids == [i for i in kb if shard_of(i, 3) == shard]  # file order within a shard
    expected = retriever.encode_passages([kb[i] for i in ids], batch_size=7)
    np.testing.assert_allclose(embeddings, expected, atol=1e-5)


def test_finished_shard_is_reused_and_rebuilt_when_config_or_inputs_change(tmp_path, inputs):
    model_dir, passages_dir = inputs
    config, out = retrieval.EmbeddingConfig(shards=2, batch_size=16), tmp_path / "emb/shard-1"
    retrieval.passage_embeddings(model_dir, passages_dir, 1, config, out)
    before = _stat(out)
    assert retrieval.passage_embeddings(model_dir, passages_dir, 1, config, out).extra["shard_reused"] is True
    assert _stat(out) == before
    rebuilt = retrieval.passage_embeddings(model_dir, passages_dir, 1, retrieval.EmbeddingConfig(2, 8), out)
    assert rebuilt.extra["shard_reused"] is False and _stat(out) != before
    write_jsonl(passages_dir / PASSAGES_FILE, _kb(310))
    changed = retrieval.passage_embeddings(model_dir, passages_dir, 1, retrieval.EmbeddingConfig(2, 8), out)
    assert changed.extra["shard_reused"] is False and changed.counts["passages"] > rebuilt.counts["passages"]


def test_bad_passage_line_names_file_and_line(tmp_path, inputs):
    model_dir, passages_dir = inputs
    with open(passages_dir / PASSAGES_FILE, "a", encoding="utf-8") as handle:
        handle.write('{"title": "no id", "text": ""}\n')
    with pytest.raises(InputError, match=r"passages.jsonl.*301.*id"):
        retrieval.passage_embeddings(model_dir, passages_dir, 0, retrieval.EmbeddingConfig(), tmp_path / "emb")


def test_a_directory_without_manifest_is_never_read(tmp_path):
    partial = tmp_path / "shard-0"
    partial.mkdir()
    np.save(partial / "embeddings.npy", np.zeros((2, 4), dtype=np.float32))
    (partial / "ids.txt").write_text("a\nb\n")
    with pytest.raises(InputError, match="no manifest.json"):
        retrieval.load_embeddings([partial])


KILLABLE_RUN = """
import sys
from pathlib import Path
from relik_ml.pipeline import retrieval
model, passages, out = map(Path, sys.argv[1:4])
config = retrieval.EmbeddingConfig(shards=4, batch_size=2)
for shard in range(4):
    retrieval.passage_embeddings(model, passages, shard, config, out / f"shard-{shard}")
"""


def test_run_killed_mid_shard_redoes_only_unfinished_shards(tmp_path, inputs):
    model_dir, passages_dir = inputs
    write_jsonl(passages_dir / PASSAGES_FILE, _kb(2000))  # batch_size 2: a shard takes about a second
    out = tmp_path / "emb"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-c", KILLABLE_RUN, str(model_dir), str(passages_dir), str(out)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300  # a guard only: imports alone take seconds on a busy machine
    while not ((out / "shard-0/manifest.json").exists() and list(out.glob(".shard-1.tmp-*"))):
        assert process.poll() is None and time.monotonic() < deadline, "the run ended before it could be killed"
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (out / "shard-1").exists() and list(out.glob(".shard-1.tmp-*"))  # only a temporary sibling
    finished = _stat(out / "shard-0")
    config = retrieval.EmbeddingConfig(shards=4, batch_size=2)
    reused = [retrieval.passage_embeddings(model_dir, passages_dir, s, config, out / f"shard-{s}").extra["shard_reused"]
              for s in range(4)]
    assert reused == [True, False, False, False]
    assert _stat(out / "shard-0") == finished and not list(out.glob(".shard-*"))
    _, ids = retrieval.load_embeddings([out / f"shard-{s}" for s in range(4)])
    assert sorted(ids) == sorted(p.id for p in _kb(2000))
