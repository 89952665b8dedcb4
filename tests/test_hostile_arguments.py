"""Bad command-line arguments are refused before any model or data loads, in one wording (issue 22).

Every argument error reads `relik-ml CMD: error: argument NAME: MESSAGE` with exit status 2. The
model directory given is an empty folder: had anything tried to load it, the error would name its
missing relik.json instead. Bad `annotate --input` records are refused before the model loads too,
naming the file, the line and the field, and nothing is written.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from relik_ml.cli import main

ROOT = Path(__file__).resolve().parents[1]
ELEVANT = str(ROOT / "tests" / "fixtures" / "formats" / "elevant.jsonl")


@pytest.fixture
def places(tmp_path) -> dict[str, str]:
    """An empty model folder, a file, a directory and a JSON lines input."""
    (tmp_path / "model").mkdir()
    (tmp_path / "a_file").write_text("x\n", encoding="utf-8")
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": "a", "text": "Paris."}) + "\n", encoding="utf-8")
    return {"model": str(tmp_path / "model"), "file": str(tmp_path / "a_file"), "dir": str(tmp_path),
            "input": str(tmp_path / "in.jsonl"), "missing": str(tmp_path / "missing")}


CASES = [
    # (command line, with {model} {file} {dir} {input} {missing} filled in; the argument; words of the message)
    ("annotate --model {model} x --top-k 0", "--top-k", "expected an integer >= 1, got 0"),
    ("annotate --model {model} x --top-k -3", "--top-k", "expected an integer >= 1, got -3"),
    ("annotate --model {model} x --top-k abc", "--top-k", "expected an integer >= 1, got 'abc'"),
    ("annotate --model {model} x --threads 0", "--threads", "expected an integer >= 1, got 0"),
    ("annotate --model {model} --input {dir}", "--input", "is a directory, expected a file"),
    ("annotate --model {model} --input {missing}", "--input", "file not found"),
    ("annotate --model {model} x --output {dir}", "--output", "is a directory, expected a file"),
    ("annotate --model {model} x --output {file}/out.jsonl", "--output", "cannot be created"),
    ("annotate --model {model} x --output {missing}/out.jsonl", "--output", "does not exist (create it first)"),
    ("annotate --model {missing} x", "--model", "directory not found"),
    ("annotate --model {file} x", "--model", "is a file, expected a directory"),
    ("data stats bogus {file}", "format", "unknown document format 'bogus'; known: aida,"),
    ("data stats elevant {missing}", "paths", "not found"),
    ("data stats elevant {file} --stride 0", "--stride", "expected an integer >= 1, got 0"),
    ("data stats elevant {file} --window-size -5", "--window-size", "expected an integer >= 1, got -5"),
    ("data stats elevant {file} --window-size 4 --stride 8", "--stride", "expected an integer <= --window-size (4)"),
    ("evaluate --model {model} --format elevant {file} --top-k 0", "--top-k", "expected an integer >= 1, got 0"),
    ("evaluate --model {model} --format bogus {file}", "--format", "unknown document format 'bogus'"),
    ("evaluate --model {model} --format elevant {file} --output-dir {file}", "--output-dir",
     "is a file, expected a directory"),
    ("evaluate --model {model} --format elevant {file} --index {missing}", "--index", "directory not found"),
    ("index refresh --model {model} --passages {file} --batch-size 0", "--batch-size", "expected an integer >= 1"),
    ("index refresh --model {model} --passages {file} --device bogus", "--device", "expected cpu, cuda or cuda:N"),
    ("index refresh --model {model} --passages {missing}", "--passages", "not found"),
    ("index refresh --model {model} --passages {file} --output {file}", "--output", "is a file, expected a directory"),
    ("run el/passages --params {missing}", "--params", "file not found"),
    ("build el/passages --params {dir}", "--params", "is a directory, expected a file"),
]


@pytest.mark.parametrize(("line", "name", "message"), CASES, ids=[c[0].split(" {")[0] + " " + c[1] for c in CASES])
def test_a_bad_argument_is_refused_before_anything_loads(places, capsys, line, name, message):
    assert main(line.format(**places).split()) == 2
    err = capsys.readouterr().err
    assert f"error: argument {name}: " in err and message in err, err
    assert "relik.json" not in err and "Traceback" not in err


def test_cuda_when_absent_is_refused(places, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert main(["index", "refresh", "--model", places["model"], "--passages", places["file"], "--device", "cuda"]) == 2
    assert "argument --device: cuda: CUDA is not available on this machine" in capsys.readouterr().err


def test_a_text_argument_that_is_not_utf8_is_refused(places, capsys):
    text = os.fsdecode(b"Paris \xff")  # how Python hands over command-line bytes that are not UTF-8
    assert main(["annotate", "--model", places["model"], text]) == 2
    assert "argument text: lone surrogate U+DCFF at character 6 (not valid Unicode)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("record", "field", "message"),
    [
        ({"id": None, "text": "Paris."}, "id", "expected a non-empty string or an integer, got None"),
        ({"id": "", "text": "Paris."}, "id", "expected a non-empty string or an integer, got ''"),
        ({"id": 1.5, "text": "Paris."}, "id", "expected a non-empty string or an integer, got 1.5"),
        ({"id": "b", "text": "bad \ud800"}, "text", "lone surrogate U+D800 at character 4 (not valid Unicode)"),
        ({"id": "b\udc00", "text": "Paris."}, "id", "lone surrogate U+DC00 at character 1"),
        ({"id": "b", "text": 5}, "text", "expected a string, got 5"),
        ({"id": "b"}, "text", "expected a string, got None"),
    ],
)
def test_a_bad_input_record_is_refused_before_the_model_loads(places, tmp_path, capsys, record, field, message):
    source, out = tmp_path / "bad.jsonl", tmp_path / "out.jsonl"
    good = json.dumps({"id": "a", "text": "Paris."})
    source.write_text(f"{good}\n{json.dumps(record)}\n", encoding="utf-8")
    assert main(["annotate", "--model", places["model"], "--input", str(source), "--output", str(out)]) == 2
    assert f"bad.jsonl:2: field '{field}': {message}" in capsys.readouterr().err
    assert not out.exists()


def test_integer_ids_and_missing_ids_are_kept_as_text(model_dir, tmp_path):
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps({"id": 7, "text": "Paris."}) + "\n" + json.dumps({"text": "Lyon."}) + "\n",
                      encoding="utf-8")
    assert main(["annotate", "--model", str(model_dir), "--input", str(source), "--output", str(out)]) == 0
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == ["7", "1"]


def test_k_above_the_readers_max_candidates_is_refused(model_dir, capsys):
    assert main(["annotate", "--model", str(model_dir), "Paris.", "--top-k", "1000000000"]) == 2
    assert "field 'top_k': expected an integer from 1 to the reader's max_candidates (8), got 1000000000" in (
        capsys.readouterr().err)


def test_a_keyerror_is_an_input_error_only_where_it_names_a_stage(capsys):
    assert main(["run", "no/such_stage", "--params", str(ROOT / "params.yaml")]) == 2
    assert "relik-ml: error: unknown stage 'no/such_stage'" in capsys.readouterr().err


def test_a_closed_stdout_pipe_ends_quietly(model_dir, tmp_path):
    source = tmp_path / "in.jsonl"
    text = "Paris is not rainy. " + "x" * 5000  # one window to read, 5 kB to write: the pipe fills fast
    source.write_text("".join(json.dumps({"id": i, "text": text}) + "\n" for i in range(40)), encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "relik_ml.cli", "annotate", "--model", str(model_dir), "--input", str(source),
         "--threads", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT,
    )
    assert json.loads(process.stdout.readline())["id"] == "0"
    process.stdout.close()  # what `| head -1` does
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) in (0, 1) and "Traceback" not in err and "Error" not in err, err
