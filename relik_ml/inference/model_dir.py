"""The self-contained model directory (the `promoted_model` artifact): names, assembly, passages.

```
<dir>/relik.json           RelikSettings
<dir>/retriever/           Retriever.save_pretrained
<dir>/index/               PassageIndex.save
<dir>/passages.jsonl       entity passages (id, title, text, language)
<dir>/reader/              reader artifact (absent in a retriever-only directory)
<dir>/relation_retriever/  RE / cIE: relation retriever, with relation_index/ (optional: without
<dir>/relation_index/      them every relation of relations.jsonl is given to each window)
<dir>/relations.jsonl      RE / cIE: relation passages
<dir>/manifest.json
```
"""
from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from relik_ml.errors import InputError
from relik_ml.formats.kb_passages import iter_kb_passages
from relik_ml.inference.settings import RelikSettings
from relik_ml.io import atomic_directory, open_text, write_json, write_manifest
from relik_ml.types import Passage

ARTIFACT = "promoted_model"
SETTINGS_FILE = "relik.json"
RETRIEVER_DIR, INDEX_DIR, READER_DIR = "retriever", "index", "reader"
RELATION_RETRIEVER_DIR, RELATION_INDEX_DIR = "relation_retriever", "relation_index"
PASSAGES_FILE, RELATIONS_FILE = "passages.jsonl", "relations.jsonl"
COMPONENTS = (RETRIEVER_DIR, INDEX_DIR, READER_DIR, RELATION_RETRIEVER_DIR, RELATION_INDEX_DIR, PASSAGES_FILE, RELATIONS_FILE)


def read_passage_file(path: Path) -> dict[str, Passage]:
    """Passages by id from a JSON lines file (`relik_ml.formats.kb_passages`: non-empty string ids,
    titles and languages, string texts, valid Unicode); a bad record or a repeated id is an `InputError`."""
    passages: dict[str, Passage] = {}
    for number, passage in iter_kb_passages(path):
        if passage.id in passages:
            raise InputError(f"duplicate passage id {passage.id!r}", path=path, line=number, field="id")
        passages[passage.id] = passage
    return passages


def assemble_model_dir(
    out: str | Path,
    *,
    retriever_dir: str | Path | None = None,
    index_dir: str | Path | None = None,
    passages: str | Path | None = None,
    reader_dir: str | Path | None = None,
    settings: RelikSettings | Mapping,
    relations: str | Path | None = None,
    relation_retriever_dir: str | Path | None = None,
    relation_index_dir: str | Path | None = None,
) -> Path:
    """Copy the components into one directory loadable by `Relik.from_pretrained` (atomically).

    `passages` / `relations` are a JSON lines file (optionally compressed) or an artifact directory
    holding `passages.jsonl`. An RE directory may leave out the entity parts (retriever, index,
    passages). Returns `out`.
    """
    if not isinstance(settings, RelikSettings):
        settings = RelikSettings.from_json(dict(settings))
    relation_parts = (relation_retriever_dir, relation_index_dir)
    if (relation_parts[0] is None) != (relation_parts[1] is None):
        raise InputError("give both relation_retriever_dir and relation_index_dir, or neither", field="relation_index_dir")
    directories = {
        RETRIEVER_DIR: retriever_dir, INDEX_DIR: index_dir, READER_DIR: reader_dir,
        RELATION_RETRIEVER_DIR: relation_retriever_dir, RELATION_INDEX_DIR: relation_index_dir,
    }
    with atomic_directory(out) as tmp:
        for name, source in directories.items():
            if source is not None:
                _copy_tree(Path(source), tmp / name)
        if passages is not None:
            _copy_jsonl(jsonl_path(passages), tmp / PASSAGES_FILE)
        if relations is not None:
            _copy_jsonl(jsonl_path(relations), tmp / RELATIONS_FILE)
            settings = settings.overridden(relations=RELATIONS_FILE)
        write_model_files(tmp, settings.overridden(kb=PASSAGES_FILE))
    return Path(out)


def write_model_files(directory: Path, settings: RelikSettings) -> None:
    """Write `relik.json` and `manifest.json` (content hashes of the components, passage counts)."""
    write_json(directory / SETTINGS_FILE, settings.to_json())
    counts = {"passages": _count_lines(directory / settings.kb) if (directory / settings.kb).exists() else 0}
    if settings.relations:
        counts["relations"] = _count_lines(directory / settings.relations)
    hashed = {name: directory / name for name in COMPONENTS if (directory / name).exists()}
    write_manifest(directory, artifact=ARTIFACT, config=settings, inputs=hashed, counts=counts,
                   extra={"has_reader": (directory / READER_DIR).is_dir()})


def jsonl_path(source: str | Path) -> Path:
    """A passages JSONL file, or the passages file inside an artifact directory."""
    source = Path(source)
    return source / PASSAGES_FILE if source.is_dir() else source


def _copy_tree(source: Path, target: Path) -> None:
    if not source.is_dir():
        raise InputError("component directory not found", path=source)
    shutil.copytree(source, target)


def _copy_jsonl(source: Path, target: Path) -> None:
    """Copy a JSON lines file, decompressing `.xz` / `.bz2` / `.gz`."""
    with open_text(source) as reader, open(target, "wb") as writer:
        shutil.copyfileobj(reader, writer)


def _count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())
