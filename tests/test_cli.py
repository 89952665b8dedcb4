"""`relik-ml` end to end through `main()`: stats on real and fixture data, clear errors, exit codes."""
from __future__ import annotations

import json

import pytest

from relik_ml.cli import main
from tests.paths import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "formats"


def _stats(capsys, *args: str) -> dict:
    assert main(["data", "stats", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.shared_data
def test_aida_stats_match_the_paper(shared_data, capsys):
    aida = shared_data / "aida-conll-yago"
    stats = _stats(
        capsys, "aida", str(aida / "aida-annotations" / "AIDA-YAGO2-annotations.train+testa.tsv"),
        str(aida / "conll2003-eng" / "eng.train"), str(aida / "conll2003-eng" / "eng.testa"),
    )["splits"]
    assert (stats["train"]["documents"], stats["train"]["mentions"], stats["train"]["nme_mentions"]) == (946, 23396, 4855)
    assert (stats["testa"]["documents"], stats["testa"]["mentions"], stats["testa"]["nme_mentions"]) == (216, 5917, 1126)
    assert abs(stats["train"]["windows"] - 12995) / 12995 < 0.03
    assert abs(stats["testa"]["windows"] - 3292) / 3292 < 0.03
    assert stats["train"]["spans_lost"] == 0


@pytest.mark.shared_data
def test_conll04_stats_count_triplets(shared_data, capsys):
    stats = _stats(capsys, "conll04", str(shared_data / "conll04" / "valid.CoNLL04.json"))["splits"]["all"]
    assert (stats["documents"], stats["mentions"], stats["triplets"]) == (231, 893, 343)


def test_window_options_change_the_count(capsys):
    path = str(FIXTURES / "conll04.json")
    small = _stats(capsys, "conll04", path, "--window-size", "4", "--stride", "2")["splits"]["all"]["windows"]
    large = _stats(capsys, "conll04", path)["splits"]["all"]["windows"]
    assert small > large >= 1


def test_malformed_input_exits_non_zero_naming_file_and_line(tmp_path, capsys):
    bad = tmp_path / "broken.jsonl"
    bad.write_text('{"id": "1", "text": "ok", "labels": []}\n{"id": "2", "text": "cut')
    assert main(["data", "stats", "elevant", str(bad), "--json"]) == 2
    err = capsys.readouterr().err
    assert "broken.jsonl:2" in err and "error" in err


def test_unknown_stage_is_a_clear_error(capsys):
    assert main(["run", "no_such_stage", "--params", str(ROOT / "params.yaml")]) == 2
    assert "unknown stage 'no_such_stage'" in capsys.readouterr().err
