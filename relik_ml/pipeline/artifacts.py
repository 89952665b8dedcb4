"""Readers of upstream artifacts by their fixed file names."""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

from relik_ml.io import iter_jsonl
from relik_ml.pipeline.summary import DOCUMENTS_FILE, PASSAGES_FILE, WINDOWS_FILE
from relik_ml.types import Document, Passage, Window

CANDIDATES_SUFFIX = ".candidates.jsonl"


def load_passages(directory: Path) -> list[Passage]:
    return [Passage.from_json(obj) for _, obj in iter_jsonl(directory / PASSAGES_FILE)]


def load_documents(directory: Path) -> list[Document]:
    return [Document.from_json(obj) for _, obj in iter_jsonl(directory / DOCUMENTS_FILE)]


def load_windows(directories: Iterable[Path]) -> list[Window]:
    return [Window.from_json(obj) for d in directories for _, obj in iter_jsonl(d / WINDOWS_FILE)]


def load_redirects(passages_dir: Path) -> dict[str, str] | None:
    """alias key -> entity id from the KB's `aliases.jsonl` (the Wikipedia-scale KB), None without one."""
    from relik_ml.kb.build import ALIASES_FILE
    from relik_ml.kb.coverage import read_redirects

    aliases = passages_dir / ALIASES_FILE
    return read_redirects(aliases) if aliases.is_file() else None


def load_windows_for_kb(directories: Iterable[Path], kb_ids: Collection[str],
                        redirects: Mapping[str, str] | None) -> list[Window]:
    """Windows whose gold labels name KB ids: a label that is not an id becomes the id of the entity
    its `entity_key` (or, through `redirects` from `load_redirects`, its redirect) names, so a KB keyed
    by `entity_key` (the Wikipedia-scale one) trains and evaluates against the same gold as one keyed
    by titles; labels that name no entity are kept (outside the KB)."""
    from relik_ml.kb.coverage import with_kb_ids

    return with_kb_ids(load_windows(directories), kb_ids, redirects)


def load_candidates(path: Path) -> dict[str, list[tuple[str, float]]]:
    """window id -> [(passage id, score), ...] best first."""
    return {obj["window_id"]: [(c[0], float(c[1])) for c in obj["candidates"]] for _, obj in iter_jsonl(path)}
