"""A knowledge base at inference: passages plus the retriever and index that rank them per window."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from relik_ml.errors import InputError
from relik_ml.index import PassageIndex
from relik_ml.inference.model_dir import read_passage_file
from relik_ml.io import write_jsonl
from relik_ml.retriever.encoder import Retriever
from relik_ml.types import Candidate, Passage, Window


@dataclass
class KnowledgeBase:
    """Passages by id; without a retriever and index every passage is a candidate of every window."""

    passages: dict[str, Passage]
    retriever: Retriever | None = None
    index: PassageIndex | None = None

    @classmethod
    def load(cls, passages_file: Path, retriever_dir: Path, index_dir: Path, device: str) -> KnowledgeBase:
        """Read the passages and, when both directories exist, the retriever and its index."""
        passages = read_passage_file(passages_file)
        if retriever_dir.is_dir() != index_dir.is_dir():
            raise InputError(f"{retriever_dir.name}/ and {index_dir.name}/ must come together", path=retriever_dir.parent)
        if not retriever_dir.is_dir():
            return cls(passages)
        index = PassageIndex.load(index_dir)
        missing = [pid for pid in index.ids if pid not in passages]
        if missing:
            raise InputError(f"{len(missing)} indexed ids have no passage, e.g. {missing[:3]}", path=passages_file)
        retriever = Retriever.from_pretrained(retriever_dir).to(device).eval()
        return cls(passages, retriever, index)

    def save(self, passages_file: Path, retriever_dir: Path, index_dir: Path) -> None:
        """Write the passages and, when present, the retriever and index."""
        write_jsonl(passages_file, self.passages.values())
        if self.retriever is not None and self.index is not None:
            self.retriever.save_pretrained(retriever_dir)
            self.index.save(index_dir)

    @property
    def searchable(self) -> bool:
        return self.retriever is not None and self.index is not None

    def rank(self, windows: Sequence[Window], k: int, batch_size: int, progress: bool = False) -> list[list[Candidate]]:
        """Top-k candidates per window, best first (all passages, score 0, when not searchable)."""
        if not windows:
            return []
        if self.retriever is None or self.index is None:
            everything = [Candidate(pid, 0.0) for pid in self.passages][:k]
            return [everything for _ in windows]
        queries = self.retriever.encode_windows(windows, batch_size, show_progress=progress)  # (n, d)
        scores, ids = self.index.search(queries, min(k, max(len(self.index), 1)))  # (n, k) arrays: K capped first
        return [
            [Candidate(pid, float(score)) for pid, score in zip(row_ids, row_scores) if pid]
            for row_ids, row_scores in zip(ids, scores.tolist())
        ]

    def lookup(self, ids: Sequence[str], field: str) -> list[Passage]:
        """Passages of the given ids; an unknown id is an `InputError` on `field`."""
        unknown = [pid for pid in ids if pid not in self.passages]
        if unknown:
            raise InputError(f"{len(unknown)} ids not in the KB, e.g. {unknown[:3]}", field=field)
        return [self.passages[pid] for pid in ids]
