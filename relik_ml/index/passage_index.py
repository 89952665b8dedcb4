"""A FAISS index over passage embeddings addressed by stable string ids, refreshable in place.

Artifact directory (written atomically): `index.faiss`, `ids.txt` (`<int64>\\t<string id>` per
live id), `removed.txt` (tombstoned int64 ids, HNSW only, usually empty) and `manifest.json`.
Scores are higher-is-better: dot products ("ip") or negative squared distances ("l2"). When k
exceeds the number of live vectors, result rows are padded with id "" and score -inf.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, replace
from pathlib import Path

import faiss
import numpy as np

from relik_ml.errors import InputError
from relik_ml.index import backend
from relik_ml.index.checks import check_ids, check_vectors
from relik_ml.index.config import IndexConfig
from relik_ml.index.exact import exact_search_blocks, recall_at_k
from relik_ml.index.ids import PAD_ID, IdMap, read_int_lines, write_int_lines
from relik_ml.index.parts import Part, check_parts, chunks, gather, ids_at, seeded_positions
from relik_ml.io import atomic_directory, read_manifest, write_manifest

ARTIFACT = "passage_index"
SEARCH_KNOBS = {"nprobe", "ef_search", "k_factor"}
INDEX_FILE, IDS_FILE, REMOVED_FILE = "index.faiss", "ids.txt", "removed.txt"


class PassageIndex:
    """String-id passage index: build, search, add/remove/upsert in place, save/load."""

    def __init__(
        self,
        index: faiss.Index,
        id_map: IdMap,
        config: IndexConfig,
        removed: set[int] | None = None,
        build_recall: float | None = None,
    ) -> None:
        self._index = index  # the CPU index: source of truth for edits and saving
        self._id_map = id_map
        self._removed = removed or set()  # tombstoned int ids (indexes without remove_ids)
        self._gpu: faiss.Index | None = None  # search copy, dropped on every edit
        self.config = config
        self.dim: int = index.d
        self.build_recall = build_recall

    @classmethod
    def build(cls, embeddings: np.ndarray, ids: Sequence[str], config: IndexConfig = IndexConfig()) -> PassageIndex:
        """Train (IVF/PQ) on a seeded sample, add everything, then measure recall vs exact."""
        check_vectors(embeddings, "embeddings")
        ids = check_ids(ids, len(embeddings))
        if len(embeddings) == 0:
            raise InputError("cannot build an index from zero vectors", field="embeddings")
        return cls.build_from_parts([(embeddings, ids)], config, chunk_rows=len(embeddings))

    @classmethod
    def build_from_parts(
        cls, parts: Sequence[Part], config: IndexConfig = IndexConfig(), chunk_rows: int = 100_000
    ) -> PassageIndex:
        """`build` over row blocks (e.g. memory-mapped shard `.npy` files) without concatenating them.

        Peak memory: the index, the training sample and one chunk of `chunk_rows` float32 rows.
        The same parts give the same index as `build` on their concatenation.
        """
        index = cls.trained(parts, config)
        index.add_parts(parts, chunk_rows)
        if index.config.recall_check_queries > 0:
            index.build_recall = index._measure_recall(parts, chunk_rows)
        return index

    @classmethod
    def trained(cls, parts: Sequence[Part], config: IndexConfig = IndexConfig()) -> PassageIndex:
        """An empty index, trained (IVF/PQ) on a seeded sample of `parts`; `factory: auto` resolved on their size."""
        total, dim = check_parts(parts)
        if total == 0:
            raise InputError("cannot build an index from zero vectors", field="embeddings")
        config = config.resolved(total)
        sample, _ = gather(parts, seeded_positions(total, config.train_size, config.seed))
        return cls(backend.new_index(config, dim, sample), IdMap(), config)

    def add_parts(self, parts: Sequence[Part], chunk_rows: int = 100_000) -> None:
        """`add` every row of `parts`, `chunk_rows` float32 rows in memory at a time."""
        check_parts(parts)
        for vectors, ids in chunks(parts, chunk_rows):
            self.add(vectors, ids)

    def __len__(self) -> int:
        return len(self._id_map)

    def __contains__(self, item: object) -> bool:
        return item in self._id_map

    def contains_many(self, ids: Sequence[str]) -> np.ndarray:
        """Whether each id is indexed, bool (n,) (vectorised: use it for millions of ids)."""
        return self._id_map.find_many(list(ids)) >= 0

    @property
    def ids(self) -> list[str]:
        """Live string ids in int-id (insertion) order."""
        return self._id_map.ids

    @property
    def faiss_index(self) -> faiss.Index:
        """The underlying CPU FAISS index, for inspection and serialisation (edit through this class)."""
        return self._index

    @property
    def id_bytes(self) -> int:
        """Bytes held by the string id map."""
        return self._id_map.nbytes

    @property
    def stored_vectors(self) -> int:
        """Vectors held by FAISS: live ones plus tombstones awaiting `compact`."""
        return int(self._index.ntotal)

    def set_search_knobs(self, **knobs: int) -> None:
        """Change search-time knobs (`nprobe`, `ef_search`, `k_factor`) in place; they are saved with the index."""
        unknown = sorted(set(knobs) - SEARCH_KNOBS)
        if unknown:
            raise InputError(f"not search knobs: {unknown}; expected some of {sorted(SEARCH_KNOBS)}", field="knobs")
        self.config = replace(self.config, **knobs)
        backend.set_search_knobs(self._index, self.config)
        self._gpu = None

    def search(self, queries: np.ndarray, k: int, batch_size: int = 4096) -> tuple[np.ndarray, list[list[str]]]:
        """Top-k per query in batches: scores float32 (q, k) and string ids (padded with "")."""
        check_vectors(queries, "queries", dim=self.dim)
        if k < 1 or batch_size < 1:
            raise InputError(f"k and batch_size must be >= 1, got k={k}, batch_size={batch_size}", field="k")
        if len(self) == 0:
            raise InputError("cannot search an empty index", field="index")
        searcher, params = self._searcher(), backend.excluding(self._index, self.config, self._removed)
        top = min(k, self._index.ntotal)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        labels = np.full((len(queries), k), -1, dtype=np.int64)
        for start in range(0, len(queries), batch_size):
            block = queries[start : start + batch_size]
            distances, found = searcher.search(block, top, params=params)  # (b, top) each
            scores[start : start + len(block), :top] = distances if self.config.metric == "ip" else -distances
            labels[start : start + len(block), :top] = found
        scores[labels < 0] = -np.inf
        return scores, self._id_map.strings(labels)

    def add(self, embeddings: np.ndarray, ids: Sequence[str]) -> None:
        """Add vectors under new string ids; an id already indexed is an error (see `upsert`)."""
        check_vectors(embeddings, "embeddings", dim=self.dim)
        ids = check_ids(ids, len(embeddings))
        present = [i for i, known in zip(ids, self.contains_many(ids)) if known]
        if present:
            raise InputError(f"{len(present)} ids already indexed (use upsert), e.g. {present[:3]}", field="ids")
        self._add_unchecked(embeddings, ids)

    def remove(self, ids: Iterable[str]) -> int:
        """Remove string ids (all must be indexed); returns how many were removed."""
        ids = list(dict.fromkeys(ids))
        unknown = [i for i, known in zip(ids, self.contains_many(ids)) if not known]
        if unknown:
            raise InputError(f"{len(unknown)} ids not in the index, e.g. {unknown[:3]}", field="ids")
        int_ids = self._id_map.ints_of(ids)
        if backend.removes_in_place(self._index):
            removed = self._index.remove_ids(faiss.IDSelectorBatch(int_ids))
            assert removed == len(int_ids), f"FAISS removed {removed} of {len(int_ids)} vectors"
        else:
            self._removed.update(int_ids.tolist())
        self._id_map.drop(ids)
        self._gpu = None
        if len(self._removed) > self.config.compact_fraction * self._index.ntotal:
            self.compact()
        return len(ids)

    def upsert(self, embeddings: np.ndarray, ids: Sequence[str]) -> None:
        """Replace the vectors of indexed ids and add the others (replaced ids get new int ids)."""
        check_vectors(embeddings, "embeddings", dim=self.dim)
        ids = check_ids(ids, len(embeddings))
        present = [i for i, known in zip(ids, self.contains_many(ids)) if known]
        if present:
            self.remove(present)
        self._add_unchecked(embeddings, ids)

    def compact(self) -> None:
        """Rebuild a tombstoned index from its live vectors (a no-op when nothing is tombstoned)."""
        if not self._removed:
            return
        self._index = backend.compacted(self._index, self._removed)
        backend.set_search_knobs(self._index, self.config)
        self._removed = set()
        self._gpu = None

    def save(self, directory: str | Path) -> None:
        """Write the artifact directory atomically (see module docstring)."""
        with atomic_directory(directory) as tmp:
            faiss.write_index(self._index, str(tmp / INDEX_FILE))
            self._id_map.write(tmp / IDS_FILE)
            write_int_lines(tmp / REMOVED_FILE, self._removed)
            write_manifest(
                tmp,
                artifact=ARTIFACT,
                config=replace(self.config, use_gpu=False),
                counts={"ids": len(self), "vectors": int(self._index.ntotal), "removed": len(self._removed)},
                extra={
                    "dim": self.dim,
                    "next_int_id": self._id_map.next_int_id,
                    "build_recall": self.build_recall,
                    "faiss_version": faiss.__version__,
                },
            )

    @classmethod
    def load(cls, directory: str | Path, use_gpu: bool = False) -> PassageIndex:
        """Read an artifact directory; ids.txt, removed.txt and the FAISS index must agree."""
        directory = Path(directory)
        manifest = read_manifest(directory)
        config = _config_from(manifest, directory, use_gpu)
        index = backend.read_index(str(directory / INDEX_FILE))
        id_map = IdMap.read(directory / IDS_FILE, next_int_id=_manifest_int(manifest, "next_int_id", directory))
        removed = read_int_lines(directory / REMOVED_FILE)
        _check_agreement(directory, manifest, index, id_map, removed)
        backend.set_search_knobs(index, config)
        return cls(index, id_map, config, removed, manifest.get("build_recall"))

    def _add_unchecked(self, embeddings: np.ndarray, ids: list[str]) -> None:
        self._index.add_with_ids(embeddings, self._id_map.assign(ids))
        self._gpu = None

    def _searcher(self) -> faiss.Index:
        """The GPU copy when configured and possible (never with tombstones), else the CPU index."""
        if not (self.config.use_gpu and backend.gpu_available()) or self._removed:
            return self._index
        if self._gpu is None:
            self._gpu = backend.to_gpu(self._index, self.config)
        return self._gpu

    def _measure_recall(self, parts: Sequence[Part], chunk_rows: int) -> float:
        """recall@k of this index vs exact search, with a seeded sample of indexed vectors as queries."""
        total, _ = check_parts(parts)
        queries, _ = gather(parts, seeded_positions(total, self.config.recall_check_queries, self.config.seed))
        k = min(self.config.recall_k, total)
        _, approx = self.search(queries, k)
        blocks = (vectors for vectors, _ in chunks(parts, chunk_rows))
        _, positions = exact_search_blocks(blocks, queries, k, metric=self.config.metric)
        return recall_at_k(approx, ids_at(parts, positions, PAD_ID))

def _config_from(manifest: dict, directory: Path, use_gpu: bool) -> IndexConfig:
    try:
        return replace(IndexConfig(**manifest["config"]), use_gpu=use_gpu)
    except (KeyError, TypeError) as exc:
        raise InputError(f"bad index config ({exc}); expected fields {sorted(asdict(IndexConfig()))}", path=directory / "manifest.json", field="config") from None


def _manifest_int(manifest: dict, key: str, directory: Path) -> int:
    value = manifest.get(key)
    if not isinstance(value, int):
        raise InputError(f"expected an integer, got {value!r}", path=directory / "manifest.json", field=key)
    return value


def _check_agreement(directory: Path, manifest: dict, index: faiss.Index, id_map: IdMap, removed: set[int]) -> None:
    """Raise `InputError` unless ids.txt + removed.txt describe exactly the vectors in index.faiss."""
    if index.d != manifest.get("dim"):
        raise InputError(f"index.faiss has dimension {index.d}, manifest says {manifest.get('dim')}", path=directory / "manifest.json", field="dim")
    if len(id_map) + len(removed) != index.ntotal:
        raise InputError(
            f"{len(id_map)} ids + {len(removed)} removed do not match the {index.ntotal} vectors in index.faiss",
            path=directory / IDS_FILE,
        )
    live = id_map.int_ids()  # sorted int64 arrays: no Python sets of millions of ints
    tombstones = np.sort(np.fromiter(removed, dtype=np.int64, count=len(removed)))
    both = np.intersect1d(live, tombstones, assume_unique=True)
    if len(both):
        raise InputError(f"{len(both)} int ids are both live and removed", path=directory / REMOVED_FILE)
    stored = backend.stored_ids(index)
    if stored is not None and not np.array_equal(np.sort(stored), np.union1d(live, tombstones)):
        raise InputError("int ids differ from those stored in index.faiss", path=directory / IDS_FILE)
