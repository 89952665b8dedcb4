"""JSON lines, atomic artifact directories and their `manifest.json`.

An artifact is a directory with fixed file names plus `manifest.json` (config, input hashes,
counts). It is written into a temporary sibling and swapped into place, so a crash, an error or a
`kill -9` never leaves half an artifact and never replaces a good one; the next write to the same
place removes the temporaries of writers that were killed. A write never removes what it did not
create: it refuses an output that exists and is not an artifact of the kind being written, and an
output equal to or inside one of its inputs (`atomic_directory`). Single files (JSON documents,
streamed outputs) are written to a temporary sibling and renamed over the target (`atomic_file`).
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import socket
import stat
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import IO, Any

from relik_ml.errors import InputError

MANIFEST = "manifest.json"

log = logging.getLogger(__name__)


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
            except RecursionError:
                raise InputError("JSON nested too deeply", path=path, line=number) from None
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
    except RecursionError:
        raise InputError("JSON nested too deeply", path=path) from None


def open_text(path: Path):
    """Open a UTF-8 text file, transparently decompressing `.xz`, `.bz2` and `.gz`."""
    if not path.exists():
        raise InputError("file not found", path=path)
    if path.is_dir():
        raise InputError("is a directory, expected a file", path=path)
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
    """Write one JSON document atomically (a killed writer leaves the old file, never half of one)."""
    with atomic_file(path) as handle:
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
def atomic_directory(
    final: str | Path,
    *,
    artifact: str | None = None,
    inputs: Iterable[str | Path] = (),
    force: bool = False,
) -> Iterator[Path]:
    """Yield a temporary sibling directory; on success it replaces `final`, on error it is removed.

    The data-safety rule: a write never removes what it did not create. `final` may be missing, an
    empty directory, or an artifact (`manifest.json`) of the kind being written: `artifact`, else the
    kind of the manifest the writer puts into the temporary directory (checked again at the swap).
    Anything else is refused with an `InputError` unless `force`. Even with `force`, `final` may
    never be inside one of `inputs` or contain one, nor be one of them unless it is an artifact of the
    same kind (an in-place rebuild). Temporaries of killed earlier writers to `final` are removed first.
    """
    final = Path(final)
    refuse_overlap(final, inputs, artifact=artifact)
    if not force:
        check_replaceable(final, artifact)
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(final)
    tmp = final.parent / temporary_name(final)
    tmp.mkdir(mode=0o755)  # artifacts are shared read-only like any directory
    try:
        yield tmp
        if not force:
            check_replaceable(final, _written_kind(tmp, artifact) or "")
        _swap_into_place(tmp, final)
    except BaseException:
        _remove(tmp)
        raise


@contextlib.contextmanager
def atomic_file(
    final: str | Path, *, inputs: Iterable[str | Path] = (), replace_existing: bool = True
) -> Iterator[IO[str]]:
    """A UTF-8 text handle on a temporary sibling of `final`, renamed over `final` on success.

    On an error the temporary file is removed and `final` is left as it was (old content or absent).
    Refused before anything is opened: `final` one of `inputs`, a directory, in a missing directory,
    or (without `replace_existing`) an existing non-empty file. A device or FIFO (e.g. /dev/null) is
    written directly: it cannot be replaced.
    """
    final = check_output_file(final, inputs, replace_existing=replace_existing)
    if final.exists() and not final.is_file():
        with open(final, "w", encoding="utf-8") as handle:
            yield handle
        return
    remove_stale_temporaries(final)
    tmp = final.parent / temporary_name(final)
    try:
        with open(tmp, "x", encoding="utf-8") as handle:
            yield handle
        if final.exists():
            os.chmod(tmp, stat.S_IMODE(final.stat().st_mode))  # the replaced file's permissions
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check_output_file(final: str | Path, inputs: Iterable[str | Path] = (), *, replace_existing: bool = True) -> Path:
    """`final` (through a symbolic link, the file it points to) after refusing what `atomic_file` refuses."""
    final = Path(final)
    for source in inputs:
        if _same_path(final, Path(source)):
            raise InputError(f"the output is the input {source} itself: choose another output file", path=final)
    final = final.resolve()
    if final.is_dir():
        raise InputError("the output is a directory: give a file path", path=final)
    if not final.parent.is_dir():
        raise InputError("the output's directory does not exist: create it first", path=final.parent)
    if not replace_existing and final.is_file() and final.stat().st_size > 0:
        raise InputError("the output file exists: refusing to replace it; choose another output file, "
                         "or pass --force to replace it", path=final)
    return final


def refuse_overlap(final: Path, inputs: Iterable[str | Path], *, artifact: str | None = None) -> None:
    """Refuse an output inside an input or containing one, or equal to one that is not an artifact of
    kind `artifact` (replacing it would delete what is being read)."""
    resolved = final.resolve()
    for source in inputs:
        source = Path(source)
        if source.resolve() in resolved.parents:
            raise InputError(f"the output is inside the input {source}: choose an output path outside it", path=final)
        if resolved in source.resolve().parents:
            raise InputError(f"the output contains the input {source}: choose an output path that does not hold it",
                             path=final)
        if _same_path(final, source) and (artifact is None or _kind(final) != artifact):
            raise InputError(f"the output is the input {source} itself: choose another output path", path=final)


def check_replaceable(final: Path, kind: str | None) -> None:
    """Refuse to replace `final` unless it is missing, an empty directory or an artifact of `kind`.

    With `kind` None (not known yet) any artifact passes, "" (a directory without manifest) none;
    `atomic_directory` checks again at the swap with the kind that was written.
    """
    if not os.path.lexists(final):
        return
    refusal = "refusing to replace it; choose another output path, or pass --force to replace it"
    if final.is_symlink():
        raise InputError(f"the output is a symbolic link: {refusal}", path=final)
    if not final.is_dir():
        raise InputError(f"the output exists and is not a directory: {refusal}", path=final)
    if not any(final.iterdir()):
        return
    found = _kind(final)
    if found is None:
        raise InputError(f"the output exists and is not an artifact directory (no readable {MANIFEST}): {refusal}",
                         path=final)
    if kind is not None and found != kind:
        written = f"a '{kind}' one" if kind else "a directory without manifest"
        raise InputError(f"the output holds a '{found}' artifact, not {written}: {refusal}", path=final)


def temporary_name(final: Path) -> str:
    """`.NAME.tmp-HOST-PID-RANDOM`: the writer's host (hashed) and pid tell the next writer whether it is alive."""
    return f".{final.name}.tmp-{_host_tag()}-{os.getpid()}-{secrets.token_hex(4)}"


def remove_stale_temporaries(final: Path) -> list[Path]:
    """Remove the temporaries of `final` whose writer on this host is no longer running; returns them.

    Temporaries of live writers, and of writers on other hosts (a shared file system), are kept.
    """
    pattern = re.compile(re.escape(f".{final.name}.tmp-{_host_tag()}-") + r"(\d+)-[0-9a-f]{8}(\.old)?")
    stale = []
    if not final.parent.is_dir():
        return stale
    for path in sorted(final.parent.iterdir(), key=lambda p: not p.name.endswith(".old")):
        match = pattern.fullmatch(path.name)
        if match is None or _alive(int(match.group(1))):
            continue
        if match.group(2) and not os.path.lexists(final):  # killed between the two renames: the old artifact
            path.rename(final)
            log.info("restored %s from %s, left by a killed writer", final, path)
            continue
        _remove(path)
        stale.append(path)
    for path in stale:
        log.info("removed %s, left by a killed writer of %s", path, final)
    return stale


def _swap_into_place(tmp: Path, final: Path) -> None:
    """Exchange `tmp` and an existing `final` atomically (readers see the old or the new artifact,
    never none), then remove the old one; rename when `final` is missing."""
    if not os.path.lexists(final):
        tmp.rename(final)
    elif _exchange(tmp, final):
        _remove(tmp)
    else:  # no renameat2 exchange here: a short window where `final` is missing
        old = final.with_name(f"{tmp.name}.old")
        final.rename(old)
        tmp.rename(final)
        _remove(old)


def _exchange(first: Path, second: Path) -> bool:
    """Linux `renameat2(RENAME_EXCHANGE)`; False where the C library or file system lacks it."""
    rename = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if rename is None:
        return False
    at_cwd, exchange = -100, 2
    if rename(at_cwd, os.fsencode(first), at_cwd, os.fsencode(second), exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))


def _written_kind(tmp: Path, declared: str | None) -> str | None:
    written = _kind(tmp)
    if declared is not None and written is not None and written != declared:
        raise ValueError(f"declared a '{declared}' artifact but wrote a '{written}' manifest in {tmp}")
    return declared or written


def _kind(directory: Path) -> str | None:
    """The `artifact` field of the directory's manifest; None when it has no readable one."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    kind = manifest.get("artifact") if isinstance(manifest, dict) else None
    return kind if isinstance(kind, str) else None


def _same_path(first: Path, second: Path) -> bool:
    if first.resolve() == second.resolve():
        return True
    try:
        return os.path.samefile(first, second)  # hard links, bind mounts
    except OSError:
        return False


def _host_tag() -> str:
    return hashlib.sha1(socket.gethostname().encode("utf-8")).hexdigest()[:6]


def _alive(pid: int) -> bool:
    """Whether process `pid` runs on this host (a zombie, killed but not yet reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


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
