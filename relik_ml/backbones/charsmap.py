"""Build a SentencePiece "precompiled charsmap" from a per-codepoint normalisation map.

The blob is what `tokenizers.normalizers.Precompiled` reads: a little-endian u32 byte size of a
darts-clone double-array trie, the trie's u32 units, then a pool of NUL-terminated UTF-8
replacement strings. Trie keys are the UTF-8 bytes of each mapped codepoint; a key's leaf value is
the offset of its replacement in the pool. Codepoints absent from the map pass through unchanged.
"""
from __future__ import annotations

import bisect
import struct
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

_LEAF_BIT = 1 << 8  # unit flag: this node's base slot holds a value unit
_VALUE_BIT = 1 << 31  # marks a value unit (its label can never match a byte)
_MAX_OFFSET = 1 << 21  # offsets below this are stored unscaled
_BLOCK = 256  # a lookup flips only the low 8 bits, so the array is padded to whole blocks


@dataclass
class _Node:
    children: dict[int, _Node] = field(default_factory=dict)
    value: int | None = None


def build_charsmap(mapping: Mapping[int, Sequence[int]]) -> bytes:
    """Return the precompiled-charsmap bytes mapping each codepoint to its output codepoints."""
    pool = bytearray()
    root = _Node()
    for codepoint in sorted(mapping):
        node = root
        for byte in chr(codepoint).encode("utf-8"):
            node = node.children.setdefault(byte, _Node())
        node.value = len(pool)
        pool += "".join(map(chr, mapping[codepoint])).encode("utf-8") + b"\0"
    units = _DoubleArray().place(root)
    return struct.pack(f"<I{len(units)}I", 4 * len(units), *units) + bytes(pool)


class _DoubleArray:
    """Places trie nodes breadth-first so that a child sits at `base(parent) ^ byte`."""

    def __init__(self) -> None:
        self.units: list[int] = []
        self.free: list[int] = []  # unclaimed positions below len(units), ascending
        self.bases: set[int] = set()
        self._grow(0)
        self._claim(0, 0)  # the root

    def place(self, root: _Node) -> list[int]:
        """Lay out the whole trie and return its units, padded to whole blocks."""
        queue: deque[tuple[_Node, int, int]] = deque([(root, 0, 0)])
        while queue:
            node, position, label = queue.popleft()
            base = self._find_base(sorted(node.children) + ([0] if node.value is not None else []))
            offset = position ^ base
            if offset >= _MAX_OFFSET:
                raise ValueError("normalisation map too large for an unscaled double-array offset")
            self.units[position] = label | (offset << 10) | (_LEAF_BIT if node.value is not None else 0)
            if node.value is not None:
                self._claim(base, _VALUE_BIT | node.value)
            for byte, child in node.children.items():
                self._claim(base ^ byte, 0)
                queue.append((child, base ^ byte, byte))
        return self.units

    def _find_base(self, labels: list[int]) -> int:
        probe = labels or [0]
        index = 0
        while True:
            if index == len(self.free):
                self._grow(len(self.units))
            base = self.free[index] ^ probe[0]
            if base not in self.bases and all(self._is_free(base ^ label) for label in probe[1:]):
                self.bases.add(base)  # base ^ label stays in free[index]'s block, so no growth is needed
                return base
            index += 1

    def _is_free(self, position: int) -> bool:
        if position >= len(self.units):
            return True
        index = bisect.bisect_left(self.free, position)
        return index < len(self.free) and self.free[index] == position

    def _grow(self, position: int) -> None:
        while position >= len(self.units):
            self.free.extend(range(len(self.units), len(self.units) + _BLOCK))
            self.units.extend([0] * _BLOCK)

    def _claim(self, position: int, unit: int) -> None:
        self._grow(position)
        del self.free[bisect.bisect_left(self.free, position)]
        self.units[position] = unit
