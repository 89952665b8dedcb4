"""The data-safety rule (issue 22): a write never removes what it did not create.

`relik_ml.io.atomic_directory` / `atomic_file` refusals and `force`, stale temporaries of killed
writers, and the same rules through `relik-ml evaluate --output-dir`, `annotate --output` and
`index refresh` on real tiny model directories.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from relik_ml import cli
from relik_ml.cli import main
from relik_ml.errors import InputError
from relik_ml.io import (
    atomic_directory,
    atomic_file,
    iter_jsonl,
    read_manifest,
    temporary_name,
    tree_sha256,
    write_json,
    write_jsonl,
    write_manifest,
)
from tests.paths import ROOT

ELEVANT = str(ROOT / "tests" / "fixtures" / "formats" / "elevant.jsonl")


def artifact(path: Path, kind: str, text: str = "old") -> Path:
    with atomic_directory(path, artifact=kind) as tmp:
        (tmp / "data.txt").write_text(text)
        write_manifest(tmp, artifact=kind)
    return path


def hidden(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


# --- atomic_directory


def test_a_directory_of_other_files_is_refused_and_kept_unless_forced(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "thesis.tex").write_text("years of work")
    with pytest.raises(InputError, match=r"out: the output exists and is not an artifact directory \(no readable "
                                         r"manifest\.json\): refusing to replace it; .* or pass --force"):
        with atomic_directory(target, artifact="report"):
            pytest.fail("the write must be refused before it starts")
    assert (target / "thesis.tex").read_text() == "years of work" and hidden(tmp_path) == []
    with atomic_directory(target, artifact="report", force=True) as tmp:
        write_manifest(tmp, artifact="report")
    assert read_manifest(target)["artifact"] == "report" and not (target / "thesis.tex").exists()


def test_an_artifact_of_another_kind_is_refused(tmp_path):
    target = artifact(tmp_path / "out", "promoted_model")
    with pytest.raises(InputError, match="holds a 'promoted_model' artifact, not a 'report' one"):
        with atomic_directory(target, artifact="report"):
            pytest.fail("the write must be refused before it starts")
    with pytest.raises(InputError, match="holds a 'promoted_model' artifact, not a 'report' one"):
        with atomic_directory(target) as tmp:  # kind not declared: known once the writer wrote its manifest
            write_manifest(tmp, artifact="report")
    with pytest.raises(InputError, match="holds a 'promoted_model' artifact, not a directory without manifest"):
        with atomic_directory(target) as tmp:
            (tmp / "data.txt").write_text("unmarked")
    assert (target / "data.txt").read_text() == "old" and hidden(tmp_path) == []


def test_same_kind_and_empty_directories_are_replaced(tmp_path):
    target = artifact(tmp_path / "out", "report")
    artifact(target, "report", "new")
    assert (target / "data.txt").read_text() == "new"
    (tmp_path / "empty").mkdir()
    assert (artifact(tmp_path / "empty", "report") / "data.txt").exists() and hidden(tmp_path) == []


def test_files_and_symbolic_links_are_not_replaced(tmp_path):
    (tmp_path / "notes.txt").write_text("keep")
    with pytest.raises(InputError, match="the output exists and is not a directory"):
        artifact(tmp_path / "notes.txt", "report")
    elsewhere = artifact(tmp_path / "elsewhere", "report")
    (tmp_path / "link").symlink_to(elsewhere)
    with pytest.raises(InputError, match="the output is a symbolic link"):
        artifact(tmp_path / "link", "report")
    assert (tmp_path / "notes.txt").read_text() == "keep" and (tmp_path / "link").is_symlink()


def test_outputs_equal_to_or_inside_an_input_are_refused_even_with_force(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "x"}\n')
    model = artifact(tmp_path / "model", "promoted_model")
    with pytest.raises(InputError, match=r"the output is inside the input .*model: choose an output path outside it"):
        with atomic_directory(model / "report", artifact="report", inputs=[source, model], force=True):
            pytest.fail("refused before the write")
    with pytest.raises(InputError, match=r"the output is the input .*in\.jsonl itself"):
        with atomic_directory(source, artifact="report", inputs=[source], force=True):
            pytest.fail("refused before the write")
    with pytest.raises(InputError, match=r"the output contains the input .*in\.jsonl: choose an output path that"):
        with atomic_directory(tmp_path, artifact="report", inputs=[source], force=True):
            pytest.fail("refused before the write")
    with atomic_directory(model, artifact="promoted_model", inputs=[model]) as tmp:  # an in-place rebuild
        write_manifest(tmp, artifact="promoted_model")
    assert source.read_text() == '{"text": "x"}\n' and not (model / "report").exists()


def test_the_next_write_removes_temporaries_of_dead_writers_only(tmp_path):
    target = artifact(tmp_path / "out", "report")
    make = "import pathlib, sys; from relik_ml.io import temporary_name; p = pathlib.Path(sys.argv[1]); " \
           "(p.parent / temporary_name(p)).mkdir(); (p.parent / (temporary_name(p) + '.old')).mkdir()"
    subprocess.run([sys.executable, "-c", make, str(target)], check=True, cwd=ROOT)  # its process is gone now
    live = tmp_path / temporary_name(target)  # this process: a live writer
    live.mkdir()
    name = temporary_name(target)
    other_host = tmp_path / name.replace(name.split(".tmp-")[1].split("-")[0], "ffffff", 1)
    other_host.mkdir()
    assert len(hidden(tmp_path)) == 4
    artifact(target, "report", "new")
    assert hidden(tmp_path) == sorted([live.name, other_host.name])


def test_a_kill_between_two_renames_is_restored_by_the_next_write(tmp_path, monkeypatch):
    import relik_ml.io as io

    target = artifact(tmp_path / "out", "report")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    old = tmp_path / temporary_name(target).replace(f"-{os.getpid()}-", f"-{dead.stdout.strip()}-")
    target.rename(old.with_name(old.name + ".old"))  # what a writer killed between its two renames leaves
    assert not target.exists()
    monkeypatch.setattr(io, "_exchange", lambda first, second: False)  # the two-rename path
    with atomic_directory(target, artifact="report") as tmp:
        assert (target / "data.txt").read_text() == "old"  # restored before the new write starts
        write_manifest(tmp, artifact="report")
    assert read_manifest(target)["artifact"] == "report" and hidden(tmp_path) == []


# --- atomic_file and write_json


def test_atomic_file_leaves_the_old_file_on_error_and_no_temporary(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_file(target) as handle:
            handle.write("half\n")
            raise RuntimeError("crash after the first chunk")
    assert target.read_text() == "old\n" and hidden(tmp_path) == []
    with pytest.raises(RuntimeError):
        with atomic_file(tmp_path / "absent.jsonl") as handle:
            raise RuntimeError("crash")
    assert not (tmp_path / "absent.jsonl").exists() and hidden(tmp_path) == []


def test_atomic_file_refusals(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("keep\n")
    with pytest.raises(InputError, match=r"the output is the input .*in\.jsonl itself: choose another output file"):
        with atomic_file(tmp_path / "." / "in.jsonl", inputs=[source]):
            pytest.fail("refused before opening")
    with pytest.raises(InputError, match="the output is a directory: give a file path"):
        with atomic_file(tmp_path):
            pytest.fail("refused before opening")
    with pytest.raises(InputError, match="the output's directory does not exist: create it first"):
        with atomic_file(tmp_path / "missing" / "out.jsonl"):
            pytest.fail("refused before opening")
    with pytest.raises(InputError, match="the output file exists: refusing to replace it; .* or pass --force"):
        with atomic_file(source, replace_existing=False):
            pytest.fail("refused before opening")
    assert source.read_text() == "keep\n" and hidden(tmp_path) == []


def test_write_json_failing_midway_keeps_the_old_document(tmp_path):
    write_json(tmp_path / "stamp.json", {"ok": 1})
    (tmp_path / "stamp.json").chmod(0o640)
    with pytest.raises(TypeError):
        write_json(tmp_path / "stamp.json", {"ok": 2, "bad": object()})
    assert json.loads((tmp_path / "stamp.json").read_text()) == {"ok": 1} and hidden(tmp_path) == []
    write_json(tmp_path / "stamp.json", {"ok": 3})
    assert (tmp_path / "stamp.json").stat().st_mode & 0o777 == 0o640  # the replaced file's permissions kept


# --- relik-ml evaluate --output-dir


def evaluate(model_dir: Path, out: Path, *extra: str) -> int:
    return main(["evaluate", ELEVANT, "--model", str(model_dir), "--format", "elevant", "--output-dir", str(out),
                 "--json", *extra])


def test_evaluate_output_dir_is_a_report_artifact(model_dir, tmp_path, capsys):
    report = tmp_path / "report"
    assert evaluate(model_dir, report) == 0 and evaluate(model_dir, report) == 0  # re-running into it works
    assert read_manifest(report)["artifact"] == "evaluation_results" and (report / "report.json").exists()
    user = tmp_path / "mine"
    user.mkdir()
    (user / "notes.md").write_text("mine")
    capsys.readouterr()
    assert evaluate(model_dir, user) == 2
    assert "mine: the output exists and is not an artifact directory" in capsys.readouterr().err
    assert (user / "notes.md").read_text() == "mine" and hidden(tmp_path) == []
    assert evaluate(model_dir, user, "--force") == 0 and (user / "report.json").exists()


def test_evaluate_output_dir_is_refused_before_the_model_loads(model_dir, tmp_path, monkeypatch, capsys):
    from relik_ml.inference import Relik

    def never(*_args, **_kwargs):
        raise AssertionError("the model was loaded before the output directory was checked")

    monkeypatch.setattr(Relik, "from_pretrained", never)
    user = tmp_path / "mine"
    user.mkdir()
    (user / "notes.md").write_text("mine")
    assert evaluate(model_dir, user) == 2
    assert "the output exists and is not an artifact directory" in capsys.readouterr().err
    assert evaluate(model_dir, model_dir / "report", "--force") == 2
    assert "the output is inside the input" in capsys.readouterr().err


def test_evaluate_output_dir_never_the_dataset_or_inside_the_model(model_dir, tmp_path, capsys):
    from relik_ml.evaluation.report import write_report

    dataset = shutil.copy(ELEVANT, tmp_path / "gold.jsonl")
    before = Path(dataset).read_bytes(), tree_sha256(model_dir)
    assert main(["evaluate", str(dataset), "--model", str(model_dir), "--format", "elevant",
                 "--output-dir", str(dataset), "--force"]) == 2  # refused by the argument check already
    with pytest.raises(InputError, match=r"the output is the input .*gold\.jsonl itself"):
        write_report(dataset, [], inputs=[model_dir, dataset], force=True)
    assert evaluate(model_dir, model_dir / "report", "--force") == 2
    assert "the output is inside the input" in capsys.readouterr().err
    assert (Path(dataset).read_bytes(), tree_sha256(model_dir)) == before and not (model_dir / "report").exists()


# --- relik-ml annotate --output


def test_annotate_output_equal_to_input_is_refused_before_the_model_loads(model_dir, tmp_path, monkeypatch, capsys):
    from relik_ml.inference import Relik

    def never(*_args, **_kwargs):
        raise AssertionError("the model was loaded before the output was checked")

    monkeypatch.setattr(Relik, "from_pretrained", never)
    source = tmp_path / "docs.jsonl"
    source.write_text('{"text": "Paris is big."}\n')
    assert main(["annotate", "--model", str(model_dir), "--input", str(source),
                 "--output", str(tmp_path / "." / "docs.jsonl"), "--force"]) == 2
    assert "docs.jsonl itself: choose another output file" in capsys.readouterr().err
    assert source.read_text() == '{"text": "Paris is big."}\n'


def test_annotate_error_midway_leaves_the_output_untouched(model_dir, tmp_path, monkeypatch, capsys):
    import relik_ml.inference as inference

    monkeypatch.setattr(cli, "ANNOTATE_CHUNK", 2)
    real_to_json, written = inference.to_json, []

    def failing_after_two_chunks(prediction, **kwargs):
        if len(written) == 4:
            raise InputError("cannot encode this text", path="docs.jsonl", line=5)
        written.append(prediction)
        return real_to_json(prediction, **kwargs)

    monkeypatch.setattr(inference, "to_json", failing_after_two_chunks)
    source = tmp_path / "docs.jsonl"
    write_jsonl(source, [{"text": f"Paris {i}."} for i in range(6)])
    out = tmp_path / "spans.jsonl"
    out.write_text("earlier results\n")
    args = ["annotate", "--model", str(model_dir), "--input", str(source), "--output", str(out), "--threads", "1"]
    assert main([*args, "--force"]) == 2
    assert "docs.jsonl:5: cannot encode this text" in capsys.readouterr().err
    assert out.read_text() == "earlier results\n" and hidden(tmp_path) == []
    out.unlink()
    written.clear()
    assert main(args) == 2 and not out.exists() and hidden(tmp_path) == []


def test_annotate_replaces_an_existing_output_only_with_force(model_dir, tmp_path, capsys):
    out = tmp_path / "spans.jsonl"
    out.write_text("earlier results\n")
    args = ["annotate", "--model", str(model_dir), "Paris is big.", "--output", str(out), "--threads", "1"]
    assert main(args) == 2 and "the output file exists" in capsys.readouterr().err
    assert out.read_text() == "earlier results\n"
    assert main([*args, "--force"]) == 0
    assert [obj["text"] for _, obj in iter_jsonl(out)] == ["Paris is big."]
    assert main(["annotate", "--model", str(model_dir), "x", "--output", str(tmp_path / "no" / "o.jsonl")]) == 2
    assert "does not exist" in capsys.readouterr().err  # worded by the argument check (atomic_file: see above)


# --- relik-ml index refresh


@pytest.fixture(scope="module")
def cie_model(tmp_path_factory) -> Path:
    """A tiny model directory with both KBs and both indexes."""
    from tests.inference.tiny_model import build_model_dir

    return build_model_dir(tmp_path_factory.mktemp("cie"), task="cie", relation_index=True)


def refresh(model: Path, passages: Path, *extra: str) -> int:
    return main(["index", "refresh", "--model", str(model), "--passages", str(passages), *extra])


def test_refresh_with_the_other_kb_is_refused(cie_model, tmp_path, capsys):
    model = Path(shutil.copytree(cie_model, tmp_path / "model"))
    before = tree_sha256(model)
    entities, relations = shutil.copy(model / "passages.jsonl", tmp_path), shutil.copy(model / "relations.jsonl", tmp_path)
    assert refresh(model, Path(entities), "--relations", "--keep-missing") == 2
    assert ("shares 20 ids with the model's entity KB but 0 with its relation KB: it looks like the entity KB; "
            "drop --relations") in capsys.readouterr().err
    assert refresh(model, Path(relations)) == 2
    assert "it looks like the relation KB; add --relations" in capsys.readouterr().err
    kb_dir = tmp_path / "entity_passages"
    with atomic_directory(kb_dir, artifact="entity_passages") as tmp:
        shutil.copy(entities, tmp / "passages.jsonl")
        write_manifest(tmp, artifact="entity_passages")
    assert refresh(model, kb_dir, "--relations", "--force") == 2
    assert "these are entity passages ('entity_passages' artifact), not relation passages" in capsys.readouterr().err
    assert tree_sha256(model) == before and hidden(tmp_path) == []


def test_refresh_removing_most_ids_needs_force(retriever_only_dir, tmp_path, capsys):
    model = Path(shutil.copytree(retriever_only_dir, tmp_path / "model"))
    before = tree_sha256(model)
    few = tmp_path / "few.jsonl"
    write_jsonl(few, [obj for _, obj in iter_jsonl(model / "passages.jsonl")][:5])
    assert refresh(model, few) == 2
    assert "the refresh would remove 15 of the 20 indexed ids (75%, more than 50%)" in capsys.readouterr().err
    assert tree_sha256(model) == before
    assert refresh(model, few, "--keep-missing", "--output", str(tmp_path / "kept")) == 0
    assert refresh(model, few, "--force") == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["counts"]["removed"] == 15


def test_refresh_output_never_the_passages_or_inside_the_model(retriever_only_dir, tmp_path, capsys):
    from relik_ml.pipeline.refresh import refresh_model_dir

    model = Path(shutil.copytree(retriever_only_dir, tmp_path / "model"))
    newer = Path(shutil.copy(model / "passages.jsonl", tmp_path / "newer.jsonl"))
    before = tree_sha256(model), newer.read_bytes()
    assert refresh(model, newer, "--output", str(newer), "--force") == 2  # refused by the argument check already
    with pytest.raises(InputError, match=r"the output is the input .*newer\.jsonl itself"):
        refresh_model_dir(model, newer, newer, force=True)
    assert refresh(model, newer, "--output", str(model / "refreshed"), "--force") == 2
    assert "the output is inside the input" in capsys.readouterr().err
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"\xff\xd8")
    assert refresh(model, newer, "--output", str(other)) == 2
    assert "photos: the output exists and is not an artifact directory" in capsys.readouterr().err
    assert (tree_sha256(model), newer.read_bytes()) == before and (other / "cat.jpg").exists()
    assert refresh(model, newer, "--output", str(other), "--force") == 0 and not (other / "cat.jpg").exists()
