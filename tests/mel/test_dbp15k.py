"""DBP15K reader (real format, hand-written sample) and the cross-lingual name-linking task."""
from __future__ import annotations

import shutil
from collections import Counter

import pytest

from relik_ml.errors import InputError
from relik_ml.formats.dbp15k import read_dbp15k
from relik_ml.mel import NameMention, SplitConfig, name_linking_task, read_leads
from tests.paths import ROOT

SAMPLE = ROOT / "tests" / "fixtures" / "dbp15k"


def test_reader_gives_names_and_gold_pairs():
    pair = read_dbp15k(SAMPLE / "zh_en")
    assert pair.source_language == "zh"
    assert (len(pair.source), len(pair.english), len(pair.pairs)) == (6, 6, 5)
    assert pair.source[2] == "金大中" and pair.english[12] == "Kim Dae-jung"
    assert pair.english[13] == "Who? (song)"  # %3F decoded, underscores as spaces


def test_task_kb_leads_and_hash_split():
    pair = read_dbp15k(SAMPLE / "zh_en")
    task = name_linking_task(pair, read_leads(SAMPLE / "summaries_en.jsonl"))
    assert len(task.kb) == 6 and "Unaligned entity" in task.kb  # the whole English side
    assert task.kb["Paris"].description.startswith("Paris is the capital")
    assert task.kb["Kim Dae-jung"].description == ""
    mentions = [m for split in task.splits.values() for m in split]
    assert sorted(m.name for m in mentions) == sorted(pair.source[a] for a, _ in pair.pairs)
    assert NameMention("zh:2", "金大中", "Kim Dae-jung", "zh") in mentions
    again = name_linking_task(pair, {})
    assert {k: [m.id for m in v] for k, v in again.splits.items()} == {k: [m.id for m in v] for k, v in task.splits.items()}


def test_split_shares_follow_the_config():
    split = SplitConfig()
    counts = Counter(split.split_of(f"s{i}", f"e{i}") for i in range(20_000))
    assert abs(counts["train"] / 20_000 - 0.30) < 0.02 and abs(counts["dev"] / 20_000 - 0.10) < 0.02
    with pytest.raises(ValueError):
        SplitConfig(train=50, dev=10, test=60)


@pytest.mark.parametrize("name, content, line, field", [
    ("ref_ent_ids", "0\t10\n1\t99\n", 2, "id_2"),
    ("ref_ent_ids", "0\t10\n0\t11\n", 2, "id_1"),
    ("ref_ent_ids", "0 10\n", 1, "id_1"),
    ("ent_ids_2", "10\thttp://dbpedia.org/resource/Paris\nx\thttp://dbpedia.org/resource/France\n", 2, "id"),
    ("ent_ids_2", "10\thttp://dbpedia.org/resource/Paris\n10\thttp://dbpedia.org/resource/France\n", 2, "id"),
    ("ent_ids_1", "0\thttp://zh.dbpedia.org/page/巴黎\n", 1, "iri"),
])
def test_bad_lines_name_file_line_and_field(tmp_path, name, content, line, field):
    folder = tmp_path / "zh_en"
    shutil.copytree(SAMPLE / "zh_en", folder)
    (folder / name).write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_dbp15k(folder)
    assert (error.value.path, error.value.line, error.value.field) == (str(folder / name), line, field)


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not found|no such|missing"):
        read_dbp15k(tmp_path / "zh_en")
