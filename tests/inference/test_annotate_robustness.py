"""`relik-ml annotate` on awkward texts: empty, whitespace only, 100,000 characters, non-Latin scripts.

(The Python API cases are in test_relik.py.) Every output line must follow the annotation
schema (relik_ml/inference/output.py) with offsets into the original text.
"""
from __future__ import annotations

import json

import pytest

from relik_ml.cli import main

SCHEMA_SPAN = {"start", "end", "text", "label", "title", "score"}
AWKWARD = {
    "empty": "",
    "whitespace": " \n\t \u3000 ",
    "chinese": "北京是中华人民共和国的首都，上海是最大的城市。",
    "arabic": "القاهرة هي عاصمة جمهورية مصر العربية وأكبر مدنها.",
    "russian": "Москва — столица России, а Санкт-Петербург — её северная столица.",
    "long": ("Seattle is rainy, Paris is not. Frank Blake replaces him, Home Depot said. " * 1400)[:100_000],
}


def _check(row: dict, text: str) -> None:
    assert set(row) == {"id", "text", "spans", "triplets"} and row["text"] == text
    for span in row["spans"]:
        assert set(span) == SCHEMA_SPAN
        assert 0 <= span["start"] < span["end"] <= len(text)
        assert span["text"] == text[span["start"] : span["end"]]


def test_awkward_texts_from_a_jsonl_file(model_dir, tmp_path):
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [json.dumps({"id": name, "text": text}, ensure_ascii=False) for name, text in AWKWARD.items()]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["annotate", "--model", str(model_dir), "--input", str(source), "--output", str(out),
                 "--top-k", "2", "--threads", "1", "--precision", "bf16"]) == 0
    rows = {row["id"]: row for row in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert list(rows) == list(AWKWARD)
    for name, text in AWKWARD.items():
        _check(rows[name], text)
    assert rows["empty"]["spans"] == [] and rows["whitespace"]["spans"] == []
    assert max(s["end"] for s in rows["long"]["spans"]) > 90_000  # the end of the long text is read


@pytest.mark.parametrize("name", ["empty", "whitespace", "chinese", "arabic", "russian"])
def test_awkward_text_as_the_argument(model_dir, capsys, name):
    assert main(["annotate", "--model", str(model_dir), AWKWARD[name], "--threads", "1"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    _check(json.loads(line), AWKWARD[name])
