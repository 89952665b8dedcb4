"""JSON lines, atomic artifact directories and their `manifest.json`.

An artifact is a directory with fixed file names plus `manifest.json` (config, input hashes,
counts). It is written into a temporary sibling and renamed into place, so a crash or an error
never leaves half an artifact and never replaces a good one.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from relik_ml.errors import InputError

MANIFEST = "manifest.json"


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield `(line_number, object)` for each non-blank line; bad lines raise `InputError`."""
    path = Path(path)
    with open_text(path) as handle:
        for number, line in enumerate(_decoded_lines(handle, path), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"invalid JSON ({exc.msg} at column {exc.colno})", path=path, line=number) from None
            if not isinstance(obj, dict):
                raise InputError(f"expected a JSON object, got {type(obj).__name__}", path=path, line=number)
            yield number, obj


def read_json(path: str | Path) -> Any:
    """Read one JSON document; decoding and syntax errors name the file and line."""
    path = Path(path)
    with open_text(path) as handle:
        text = "".join(_decoded_lines(handle, path))
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON ({exc.msg} at column {exc.colno})", path=path, line=exc.lineno) from None


def open_text(path: Path):
    """Open a UTF-8 text file, transparently decompressing `.xz`, `.bz2` and `.gz`."""
    if not path.exists():
        raise InputError("file not found", path=path)
    suffix = path.suffix.lower()
    if suffix == ".xz":
        import lzma

        return lzma.open(path, "rb")
    if suffix == ".bz2":
        import bz2

        return bz2.open(path, "rb")
    if suffix == ".gz":
        import gzip

        return gzip.open(path, "rb")
    return open(path, "rb")


def _decoded_lines(handle, path: Path) -> Iterator[str]:
    number = 0
    try:
        for number, raw in enumerate(handle, start=1):
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"not valid UTF-8 (byte {exc.start})", path=path, line=number) from None
    except (EOFError, OSError, _lzma_error()) as exc:
        raise InputError(f"truncated or corrupt compressed file ({exc})", path=path, line=number + 1) from None


def _lzma_error() -> type[Exception]:
    import lzma

    return lzma.LZMAError


def write_jsonl(path: str | Path, records: Iterable[Any]) -> int:
    """Write records (dicts or objects with `to_json`) one per line; returns the count."""
    count = 0
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            obj = record.to_json() if hasattr(record, "to_json") else record
            handle.write(json.dumps(obj, ensure_ascii=False) + "\n")
            count += 1
    return count


def write_json(path: str | Path, obj: Any) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(obj, handle, ensure_ascii=False, indent=2, default=_json_default)
        handle.write("\n")


def _json_default(obj: Any) -> Any:
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def tree_sha256(path: str | Path) -> str:
    """Content hash of a file or of a directory (relative names + bytes, sorted; manifest excluded)."""
    path = Path(path)
    if path.is_file():
        return file_sha256(path)
    digest = hashlib.sha256()
    for item in sorted(p for p in path.rglob("*") if p.is_file() and p.name != MANIFEST):
        digest.update(str(item.relative_to(path)).encode())
        digest.update(file_sha256(item).encode())
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_directory(final: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling directory; on success it replaces `final`, on error it is removed."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    tmp.chmod(0o755)  # mkdtemp creates 0700; artifacts are shared read-only like any directory
    try:
        yield tmp
        backup = final.with_name(f".{final.name}.old-{os.getpid()}")
        if final.exists():
            final.rename(backup)
        tmp.rename(final)
        shutil.rmtree(backup, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_manifest(
    directory: str | Path,
    *,
    artifact: str,
    config: Any = None,
    inputs: dict[str, str | Path] | None = None,
    counts: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write `manifest.json`: the artifact name, its config, input content hashes and counts."""
    manifest = {
        "artifact": artifact,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config": asdict(config) if is_dataclass(config) else (config or {}),
        "inputs": {name: tree_sha256(p) for name, p in (inputs or {}).items() if Path(p).exists()},
        "counts": counts or {},
        **(extra or {}),
    }
    write_json(Path(directory) / MANIFEST, manifest)
    return manifest


def read_manifest(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / MANIFEST
    if not path.exists():
        raise InputError("artifact has no manifest.json (incomplete or not an artifact)", path=directory)
    return read_json(path)
