"""Read a W&B offline run file (`run-<id>.wandb`) in tests: the per-step history it recorded.

The file is W&B's 7-byte header followed by LevelDB-log records (32 KiB blocks; each chunk is
crc32 (4) + length (2, little-endian) + type (1): 1 full, 2 first, 3 middle, 4 last), and each
record is a `wandb_internal_pb2.Record` protobuf.
"""
from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path

from wandb.proto import wandb_internal_pb2

HEADER = b":W&B"
BLOCK = 32 * 1024
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def _payloads(data: bytes) -> Iterator[bytes]:
    assert data[:4] == HEADER, "not a W&B run file"
    position, pending = 7, b""
    while position + 7 <= len(data):
        left_in_block = BLOCK - position % BLOCK
        if left_in_block < 7:
            position += left_in_block
            continue
        length, kind = struct.unpack_from("<HB", data, position + 4)
        chunk = data[position + 7: position + 7 + length]
        position += 7 + length
        if kind == FULL:
            yield chunk
        elif kind == FIRST:
            pending = chunk
        elif kind == MIDDLE:
            pending += chunk
        elif kind == LAST:
            yield pending + chunk
            pending = b""
        elif kind == 0:
            break


def history(run_dir: str | Path) -> list[dict[str, object]]:
    """Every history row the run logged, as {key: value} dicts, in order."""
    files = sorted(Path(run_dir).glob("run-*.wandb"))
    assert files, f"no run-*.wandb file in {run_dir}"
    rows = []
    for payload in _payloads(files[0].read_bytes()):
        record = wandb_internal_pb2.Record.FromString(payload)
        if record.HasField("history"):
            rows.append({item.key or "/".join(item.nested_key): json.loads(item.value_json)
                         for item in record.history.item})
    return rows


def logged_artifacts(run_dir: str | Path) -> list[tuple[str, str]]:
    """(name, type) of every artifact the run logged."""
    files = sorted(Path(run_dir).glob("run-*.wandb"))
    found = []
    for payload in _payloads(files[0].read_bytes()):
        record = wandb_internal_pb2.Record.FromString(payload)
        if record.HasField("artifact"):
            found.append((record.artifact.name, record.artifact.type))
    return found
