from __future__ import annotations

import json

import pytest

from relik_ml.errors import InputError
from relik_ml.io import atomic_directory, iter_jsonl, read_json, read_manifest, tree_sha256, write_jsonl, write_manifest


def test_atomic_directory_replaces_only_on_success(tmp_path):
    final = tmp_path / "artifact"
    with atomic_directory(final) as tmp:
        (tmp / "a.txt").write_text("one")
        write_manifest(tmp, artifact="artifact", counts={"n": 1})
    assert (final / "a.txt").read_text() == "one"
    with pytest.raises(RuntimeError):
        with atomic_directory(final) as tmp:
            (tmp / "a.txt").write_text("two")
            raise RuntimeError("crash mid-write")
    assert (final / "a.txt").read_text() == "one"
    assert [p.name for p in tmp_path.iterdir()] == ["artifact"]
    assert read_manifest(final)["counts"] == {"n": 1}


def test_iter_jsonl_names_file_and_line(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"a": 1}\n\n{"a": 2\n')
    with pytest.raises(InputError, match=r"x\.jsonl:3: invalid JSON"):
        list(iter_jsonl(path))
    path.write_bytes(b'{"a": 1}\n{"a": "\xff"}\n')
    with pytest.raises(InputError, match=r"x\.jsonl:2: not valid UTF-8"):
        list(iter_jsonl(path))


def test_deep_nesting_and_directories_are_input_errors_naming_the_file(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text('{"a": 1}\n{"a": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    with pytest.raises(InputError, match=r"deep\.jsonl:2: JSON nested too deeply"):
        list(iter_jsonl(path))
    document = tmp_path / "deep.json"
    document.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match=r"deep\.json: JSON nested too deeply"):
        read_json(document)
    with pytest.raises(InputError, match="is a directory, expected a file"):
        list(iter_jsonl(tmp_path))
    with pytest.raises(InputError, match="is a directory, expected a file"):
        read_json(tmp_path)


def test_truncated_xz_is_reported(tmp_path):
    import lzma

    data = lzma.compress(b"".join(json.dumps({"i": i}).encode() + b"\n" for i in range(2000)))
    path = tmp_path / "part.xz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated or corrupt"):
        list(iter_jsonl(path))


def test_tree_hash_ignores_manifest_and_sees_content(tmp_path):
    write_jsonl(tmp_path / "r.jsonl", [{"a": 1}])
    first = tree_sha256(tmp_path)
    write_manifest(tmp_path, artifact="x")
    assert tree_sha256(tmp_path) == first
    write_jsonl(tmp_path / "r.jsonl", [{"a": 2}])
    assert tree_sha256(tmp_path) != first
