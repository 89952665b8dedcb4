"""Stable string ids (QIDs, titles, PIDs) mapped to FAISS int64 ids by a never-reused counter."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from relik_ml.errors import InputError

PAD_ID = ""  # string id returned for empty result slots


class IdMap:
    """Two-way map string id <-> int64 id; int ids come from `next_int_id` and are never reused.

    Compact for millions of ids (about 65 bytes an id, against ~200 for two Python dicts): the live
    int ids ascending (int64), the UTF-8 bytes of their string ids in one append-only blob with start
    and end offsets, and the string ids' hashes sorted (with their int ids) for string -> int lookups.
    Dropped ids leave their bytes in the blob until the map is rewritten (`write` + `read`).
    """

    def __init__(self, pairs: Iterable[tuple[int, str]] = (), next_int_id: int = 0) -> None:
        self.next_int_id = next_int_id
        self._ints = np.zeros(0, dtype=np.int64)  # live int ids, ascending
        self._starts = np.zeros(0, dtype=np.int64)  # blob offsets of their string ids
        self._ends = np.zeros(0, dtype=np.int64)
        self._blob = bytearray()
        self._hashes = np.zeros(0, dtype=np.int64)  # hash of each live string id, ascending
        self._hashed_ints = np.zeros(0, dtype=np.int64)  # the int id of each hash
        pairs = sorted(pairs)
        if pairs:
            self._append(np.array([i for i, _ in pairs], dtype=np.int64), [s for _, s in pairs])

    def __len__(self) -> int:
        return len(self._ints)

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and self.find(item) is not None

    def find(self, string_id: str) -> int | None:
        """The int id of a live string id, or None."""
        found = int(self.find_many([string_id])[0])
        return found if found >= 0 else None

    def find_many(self, ids: Sequence[str]) -> np.ndarray:
        """Int ids of `ids`, int64 (n,), -1 where not live; vectorised over the hashes."""
        digests = np.fromiter((_hash(s) for s in ids), dtype=np.int64, count=len(ids))
        low = np.searchsorted(self._hashes, digests, side="left")
        high = np.searchsorted(self._hashes, digests, side="right")
        found = np.full(len(ids), -1, dtype=np.int64)
        single = np.flatnonzero(high - low == 1)  # the usual hit: one candidate, checked by its string
        candidates = self._hashed_ints[low[single]]
        positions = np.searchsorted(self._ints, candidates)
        blob = self._blob
        starts, ends = self._starts[positions].tolist(), self._ends[positions].tolist()
        for row, int_id, start, end in zip(single.tolist(), candidates.tolist(), starts, ends):
            if blob[start:end].decode("utf-8") == ids[row]:
                found[row] = int_id
        for row in np.flatnonzero(high - low > 1).tolist():  # hash collisions
            for int_id in self._hashed_ints[low[row] : high[row]].tolist():
                if self._string_of(int_id) == ids[row]:
                    found[row] = int_id
        return found

    @property
    def ids(self) -> list[str]:
        """Live string ids in int-id order."""
        blob = self._blob
        return [blob[a:b].decode("utf-8") for a, b in zip(self._starts.tolist(), self._ends.tolist())]

    @property
    def nbytes(self) -> int:
        """Bytes held by the map's arrays and blob."""
        arrays = (self._ints, self._starts, self._ends, self._hashes, self._hashed_ints)
        return sum(a.nbytes for a in arrays) + len(self._blob)

    def int_ids(self) -> np.ndarray:
        """Live int ids, sorted, int64 (n,)."""
        return self._ints.copy()

    def assign(self, ids: list[str]) -> np.ndarray:
        """Give each new string id the next int ids; returns them as int64 (n,)."""
        ints = np.arange(self.next_int_id, self.next_int_id + len(ids), dtype=np.int64)
        self._append(ints, ids)
        self.next_int_id += len(ids)
        return ints

    def ints_of(self, ids: Iterable[str]) -> np.ndarray:
        """Int ids of known string ids, int64 (n,); an unknown id raises `KeyError`."""
        ids = list(ids)
        found = self.find_many(ids)
        if (found < 0).any():
            raise KeyError(ids[int(np.flatnonzero(found < 0)[0])])
        return found

    def drop(self, ids: Iterable[str]) -> None:
        gone = np.sort(self.ints_of(ids))
        keep = ~np.isin(self._ints, gone, assume_unique=True)
        self._ints, self._starts, self._ends = self._ints[keep], self._starts[keep], self._ends[keep]
        keep_hashed = ~np.isin(self._hashed_ints, gone, assume_unique=True)
        self._hashes, self._hashed_ints = self._hashes[keep_hashed], self._hashed_ints[keep_hashed]

    def strings(self, labels: np.ndarray) -> list[list[str]]:
        """Map a (q, k) int64 label matrix to string ids; -1 (or any int id not live) becomes `PAD_ID`."""
        if not len(self._ints):
            return [[PAD_ID] * labels.shape[1] for _ in range(labels.shape[0])]
        positions = np.minimum(np.searchsorted(self._ints, labels), len(self._ints) - 1)  # (q, k)
        live = (labels >= 0) & (self._ints[positions] == labels)
        starts = np.where(live, self._starts[positions], 0).tolist()  # empty slices decode to PAD_ID
        ends = np.where(live, self._ends[positions], 0).tolist()
        blob = self._blob
        return [[blob[a:b].decode("utf-8") for a, b in zip(row_a, row_b)] for row_a, row_b in zip(starts, ends)]

    def write(self, path: Path) -> None:
        """Write `ids.txt`: one `<int64>\\t<string id>` line per live id, int-id order."""
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            for int_id, string_id in zip(self._ints.tolist(), self.ids):
                handle.write(f"{int_id}\t{string_id}\n")

    @classmethod
    def read(cls, path: Path, next_int_id: int) -> IdMap:
        """Read `ids.txt` line by line; malformed, duplicate or out-of-range lines raise `InputError`."""
        ints: list[int] = []
        strings: list[str] = []
        for number, line in enumerate(_lines(path), start=1):
            int_id, string_id = _parse_id_line(line, path, number)
            if not 0 <= int_id < next_int_id:
                raise InputError(f"int id {int_id} outside [0, next_int_id={next_int_id})", path=path, line=number)
            ints.append(int_id)
            strings.append(string_id)
        int_array = np.array(ints, dtype=np.int64)
        del ints
        order = np.argsort(int_array, kind="stable")
        id_map = cls(next_int_id=next_int_id)
        id_map._append(int_array[order], [strings[i] for i in order.tolist()])
        _check_unique(id_map, int_array, strings, path)
        return id_map

    def _append(self, ints: np.ndarray, ids: list[str]) -> None:
        """Add ids under int ids all greater than the live ones (ascending)."""
        encoded = [s.encode("utf-8") for s in ids]
        lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
        ends = len(self._blob) + np.cumsum(lengths)
        self._blob.extend(b"".join(encoded))
        self._ints = np.concatenate([self._ints, ints])
        self._starts = np.concatenate([self._starts, ends - lengths])
        self._ends = np.concatenate([self._ends, ends])
        hashes = np.fromiter((_hash(s) for s in ids), dtype=np.int64, count=len(ids))
        order = np.argsort(hashes, kind="stable")
        at = np.searchsorted(self._hashes, hashes[order])
        self._hashes = np.insert(self._hashes, at, hashes[order])
        self._hashed_ints = np.insert(self._hashed_ints, at, ints[order])

    def _string_of(self, int_id: int) -> str:
        position = int(np.searchsorted(self._ints, int_id))
        return self._blob[self._starts[position] : self._ends[position]].decode("utf-8")


def _hash(string_id: str) -> int:
    """The lookup hash of a string id (Python's, fixed within a process; never stored)."""
    return hash(string_id)


def _check_unique(id_map: IdMap, int_array: np.ndarray, strings: list[str], path: Path) -> None:
    """Raise `InputError` at the first line of `ids.txt` repeating an int id or a string id."""
    duplicated_lines = []
    order = np.argsort(int_array, kind="stable")
    repeats = order[1:][int_array[order][1:] == int_array[order][:-1]]
    duplicated_lines.extend(repeats.tolist())
    same_hash = np.flatnonzero(id_map._hashes[1:] == id_map._hashes[:-1])
    if len(same_hash):
        first_line = {}
        for position, string_id in enumerate(strings):
            if string_id in first_line:
                duplicated_lines.append(position)
            else:
                first_line[string_id] = position
    if duplicated_lines:
        line = min(duplicated_lines)
        raise InputError(f"duplicate id {int_array[line]}\t{strings[line]!r}", path=path, line=line + 1)


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
