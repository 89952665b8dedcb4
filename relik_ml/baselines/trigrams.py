"""Character-trigram blocking: an inverted index trigram -> names, and the names a query shares most with.

A name is padded with one space on each side (" rome " -> " ro", "rom", "ome", "me "); trigrams are
counted once per name. Characters fold to codes below `ALPHABET` (code point modulo), so rare
characters may collide: that only widens a block, never changes a score computed on the real strings.
The index is three numpy arrays built vectorised in chunks: sorted trigram codes, CSR offsets into
the name rows, and each name's number of distinct trigrams.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ALPHABET = 1 << 10  # character codes: code point modulo 1024 (ASCII keeps its own code)


class TrigramIndex:
    """Names by character trigram; `block` ranks names by the Dice overlap of trigram sets with a query."""

    def __init__(self, names: Sequence[str], chunk: int = 500_000) -> None:
        self.size = len(names)
        shift = max(1, int(self.size).bit_length())
        pairs = [_unique_pairs(names[i : i + chunk], i, shift) for i in range(0, self.size, chunk)]
        keys = np.concatenate(pairs) if pairs else np.zeros(0, np.int64)  # trigram << shift | row, sorted per chunk
        del pairs
        keys.sort()
        self.rows = (keys & ((1 << shift) - 1)).astype(np.int32)  # (pairs,) name rows grouped by trigram
        keys >>= shift  # now the trigram code of each pair, sorted
        new_trigram = np.ones(len(keys), dtype=bool)
        new_trigram[1:] = keys[1:] != keys[:-1]
        starts = np.flatnonzero(new_trigram)  # (trigrams,) first pair of each trigram
        self.codes = keys[starts]  # (trigrams,) sorted
        self.offsets = np.append(starts, len(keys)).astype(np.int64)  # (trigrams + 1,)
        del keys, new_trigram
        self.name_trigrams = np.bincount(self.rows, minlength=self.size).astype(np.int32)  # (names,)

    def block(self, query: str, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to `size` name rows sharing a trigram with `query`, by Dice overlap (desc) then row.

        Returns rows int64 (b,) and their Dice coefficients float32 (b,); empty when nothing is shared.
        """
        query_codes = np.unique(trigram_codes(query))
        if not len(self.codes):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        found = np.searchsorted(self.codes, query_codes)
        found = found[(found < len(self.codes)) & (self.codes[np.minimum(found, len(self.codes) - 1)] == query_codes)]
        if not len(found):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        hits = np.concatenate([self.rows[self.offsets[t] : self.offsets[t + 1]] for t in found])
        shared = np.bincount(hits, minlength=self.size)  # (names,) trigrams shared with the query
        rows = np.flatnonzero(shared)
        dice = (2.0 * shared[rows] / (len(query_codes) + self.name_trigrams[rows])).astype(np.float32)
        if len(rows) > size:
            keep = np.argpartition(-dice, size - 1)[:size]
            cut = dice[keep].min()
            keep = np.flatnonzero(dice >= cut)  # every row tied with the last kept one, resolved by row below
            rows, dice = rows[keep], dice[keep]
        order = np.lexsort((rows, -dice))[:size]
        return rows[order], dice[order]


def trigram_codes(text: str) -> np.ndarray:
    """Codes of the padded text's character trigrams, in order (duplicates kept): int64 (len(text),)."""
    chars = _char_codes(f" {text} ")
    if len(chars) < 3:
        return np.zeros(0, np.int64)
    return (chars[:-2] * ALPHABET + chars[1:-1]) * ALPHABET + chars[2:]


def _char_codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64) % ALPHABET


def _unique_pairs(names: Sequence[str], first_row: int, shift: int) -> np.ndarray:
    """Distinct `trigram << shift | row` keys of a chunk of names, sorted (int64)."""
    padded = [f" {name} " for name in names]
    lengths = np.fromiter((len(p) for p in padded), np.int64, len(padded))
    chars = _char_codes("".join(padded))  # (total chars,)
    owner = np.repeat(np.arange(first_row, first_row + len(names), dtype=np.int64), lengths)  # name row per char
    if len(chars) < 3:
        return np.zeros(0, np.int64)
    inside = owner[:-2] == owner[2:]  # trigram within one name
    codes = (chars[:-2] * ALPHABET + chars[1:-1]) * ALPHABET + chars[2:]
    return np.unique((codes[inside] << shift) | owner[:-2][inside])
