"""`relik-ml evaluate --model RETRIEVER_DIR --format aida PATH... --json`: recall@K of a retriever directory."""
from __future__ import annotations

import json

import pytest

from relik_ml.cli import main
from relik_ml.formats import read_documents
from relik_ml.index import IndexConfig, PassageIndex
from relik_ml.io import write_jsonl
from relik_ml.retriever.evaluate import evaluate_retrieval
from relik_ml.types import NME, Passage
from relik_ml.windows import windows_for_documents
from tests.paths import ROOT

AIDA = [str(ROOT / "tests" / "fixtures" / "formats" / "aida" / name) for name in ("annotations.tsv", "eng.train", "eng.testa")]


@pytest.fixture()
def aida_kb(tmp_path):
    """Title-only passages for every gold entity of the fixture, plus distractors, as a JSON lines file."""
    golds = sorted({s.label for d in read_documents("aida", AIDA) for s in d.spans if s.label != NME})
    passages = [Passage(t, t, "") for t in golds] + [Passage(f"D{i}", f"distractor {i}", "") for i in range(20)]
    path = tmp_path / "passages.jsonl"
    write_jsonl(path, passages)
    return path, passages


def test_retriever_directory_reports_recall_at_the_given_ks(retriever, aida_kb, tmp_path, capsys):
    kb_path, passages = aida_kb
    retriever.save_pretrained(tmp_path / "retriever")
    args = ["evaluate", "--model", str(tmp_path / "retriever"), "--format", "aida", *AIDA, "--kb", str(kb_path), "--json"]
    assert main([*args, "--top-k", "1", "5", str(len(passages))]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    recall = result["metrics"]["retrieval"]
    windows, _ = windows_for_documents(read_documents("aida", AIDA))
    expected = evaluate_retrieval(retriever, windows, passages, ks=(1, 5))
    assert recall["recall@1"] == pytest.approx(expected["recall@1"]) and recall["recall@5"] == pytest.approx(expected["recall@5"])
    assert recall[f"recall@{len(passages)}"] == 1.0 and recall["gold"] > 0 and result["search"] == "exact"


def test_retriever_directory_searches_a_given_index(retriever, aida_kb, tmp_path, capsys):
    kb_path, passages = aida_kb
    retriever.save_pretrained(tmp_path / "retriever")
    PassageIndex.build(retriever.encode_passages(passages), [p.id for p in passages], IndexConfig()).save(tmp_path / "index")
    args = ["evaluate", "--model", str(tmp_path / "retriever"), "--format", "aida", *AIDA, "--kb", str(kb_path),
            "--index", str(tmp_path / "index"), "--json"]
    assert main(args) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert result["search"] == "index" and set(result["metrics"]["retrieval"]) >= {"recall@1", "recall@100"}
    assert result["metrics"]["retrieval"]["recall@100"] == 1.0  # the KB is smaller than 100


def test_retriever_directory_without_kb_exits_2(retriever, tmp_path, capsys):
    retriever.save_pretrained(tmp_path / "retriever")
    assert main(["evaluate", "--model", str(tmp_path / "retriever"), "--format", "aida", *AIDA]) == 2
    assert "--kb" in capsys.readouterr().err


def test_split_keeps_only_that_splits_documents(retriever, aida_kb, tmp_path, capsys):
    kb_path, _ = aida_kb
    retriever.save_pretrained(tmp_path / "retriever")
    args = ["evaluate", "--model", str(tmp_path / "retriever"), "--format", "aida", *AIDA, "--kb", str(kb_path), "--json"]
    assert main([*args, "--split", "testa"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    testa = [d for d in read_documents("aida", AIDA) if d.split == "testa"]
    assert 0 < len(testa) < len(read_documents("aida", AIDA))
    assert result["documents"] == len(testa) and result["dataset"].endswith(":testa")
    assert main([*args, "--split", "testb"]) == 2
    assert "testb" in capsys.readouterr().err
