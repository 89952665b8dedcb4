"""Stable string ids (QIDs, titles, PIDs) mapped to FAISS int64 ids by a never-reused counter."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from relik_ml.errors import InputError

PAD_ID = ""  # string id returned for empty result slots


class IdMap:
    """Two-way map string id <-> int64 id; int ids come from `next_int_id` and are never reused."""

    def __init__(self, pairs: Iterable[tuple[int, str]] = (), next_int_id: int = 0) -> None:
        self._str_of: dict[int, str] = dict(pairs)
        self._int_of: dict[str, int] = {s: i for i, s in self._str_of.items()}
        self.next_int_id = next_int_id

    def __len__(self) -> int:
        return len(self._int_of)

    def __contains__(self, item: object) -> bool:
        return item in self._int_of

    @property
    def ids(self) -> list[str]:
        """Live string ids in int-id order."""
        return [self._str_of[i] for i in sorted(self._str_of)]

    def int_ids(self) -> np.ndarray:
        """Live int ids, sorted, int64 (n,)."""
        return np.sort(np.fromiter(self._str_of, dtype=np.int64, count=len(self._str_of)))

    def assign(self, ids: list[str]) -> np.ndarray:
        """Give each new string id the next int ids; returns them as int64 (n,)."""
        ints = np.arange(self.next_int_id, self.next_int_id + len(ids), dtype=np.int64)
        for string_id, int_id in zip(ids, ints.tolist()):
            self._int_of[string_id] = int_id
            self._str_of[int_id] = string_id
        self.next_int_id += len(ids)
        return ints

    def ints_of(self, ids: Iterable[str]) -> np.ndarray:
        """Int ids of known string ids, int64 (n,)."""
        return np.fromiter((self._int_of[s] for s in ids), dtype=np.int64)

    def drop(self, ids: Iterable[str]) -> None:
        for string_id in ids:
            del self._str_of[self._int_of.pop(string_id)]

    def strings(self, labels: np.ndarray) -> list[list[str]]:
        """Map a (q, k) int64 label matrix to string ids; -1 becomes `PAD_ID`."""
        lookup = self._str_of.get
        return [[lookup(label, PAD_ID) for label in row] for row in labels.tolist()]

    def write(self, path: Path) -> None:
        """Write `ids.txt`: one `<int64>\\t<string id>` line per live id, int-id order."""
        with open(path, "w", encoding="utf-8") as handle:
            for int_id in sorted(self._str_of):
                handle.write(f"{int_id}\t{self._str_of[int_id]}\n")

    @classmethod
    def read(cls, path: Path, next_int_id: int) -> IdMap:
        """Read `ids.txt` line by line; malformed, duplicate or out-of-range lines raise `InputError`."""
        id_map = cls(next_int_id=next_int_id)
        str_of, int_of = id_map._str_of, id_map._int_of
        for number, line in enumerate(_lines(path), start=1):
            int_id, string_id = _parse_id_line(line, path, number)
            if int_id in str_of or string_id in int_of:
                raise InputError(f"duplicate id {int_id}\t{string_id!r}", path=path, line=number)
            if not 0 <= int_id < next_int_id:
                raise InputError(f"int id {int_id} outside [0, next_int_id={next_int_id})", path=path, line=number)
            str_of[int_id] = string_id
            int_of[string_id] = int_id
        return id_map

def write_int_lines(path: Path, values: Iterable[int]) -> None:
    """Write one int64 per line, sorted."""
    path.write_text("".join(f"{v}\n" for v in sorted(values)), encoding="utf-8")


def read_int_lines(path: Path) -> set[int]:
    """Read a file of one int64 per line."""
    values: set[int] = set()
    for number, line in enumerate(_lines(path), start=1):
        try:
            values.add(int(line))
        except ValueError:
            raise InputError(f"expected an int64, got {line!r}", path=path, line=number) from None
    return values


def _lines(path: Path) -> Iterator[str]:
    """The lines of a file without their "\n", streamed (only "\n" ends a line)."""
    if not path.exists():
        raise InputError("file not found", path=path)
    with open(path, encoding="utf-8", newline="\n") as handle:
        for line in handle:
            yield line[:-1] if line.endswith("\n") else line

def _parse_id_line(line: str, path: Path, number: int) -> tuple[int, str]:
    int_part, tab, string_id = line.partition("\t")
    if not tab or not string_id:
        raise InputError("expected '<int64>\\t<string id>'", path=path, line=number)
    try:
        return int(int_part), string_id
    except ValueError:
        raise InputError(f"int id is not an integer: {int_part!r}", path=path, line=number) from None
