"""Refresh a model directory's KB against a newer passages artifact, without retraining.

The model directory (see `relik_ml.inference.model_dir`) keeps its retriever and reader; only the
index and the passages file change: new and changed passages are embedded with the directory's own
retriever and upserted, passages missing from the newer KB are removed (`prune`, for full
snapshots) or kept (partial dumps). The refreshed directory is written atomically to `out` (default:
over `model`), so the old directory stays intact when anything fails. Its `manifest.json` records the
counts under `refresh`, and its index directory holds the `content_hashes.json` sidecar.

Refused before anything is embedded (a refresh with the wrong KB would silently drop every indexed
passage): passages whose artifact kind is of the other KB (`relation_passages` for the entity index,
any other `*_passages` kind for the relation index); passages sharing more ids with the model's
other KB than with the one refreshed; and, unless `force`, a pruning refresh that would remove more
than `MAX_PRUNED_FRACTION` of the indexed ids. `out` may not be the passages file or inside the model
directory, and must be missing, empty or a model directory unless `force` (`atomic_directory`).
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from relik_ml.errors import InputError
from relik_ml.index import PassageIndex
from relik_ml.index.refresh import (
    RefreshCounts,
    diff_kb,
    read_content_hashes,
    refresh_index,
    refreshed_hashes,
    save_with_hashes,
)
from relik_ml.inference import model_dir as names
from relik_ml.inference.model_dir import read_passage_file, write_model_files
from relik_ml.inference.settings import RelikSettings
from relik_ml.io import (
    MANIFEST,
    atomic_directory,
    check_replaceable,
    read_json,
    refuse_overlap,
    write_json,
    write_jsonl,
)
from relik_ml.pipeline.summary import PASSAGES_FILE, Summary
from relik_ml.types import Passage

MAX_PRUNED_FRACTION = 0.5  # a pruning refresh may remove at most half of the indexed ids unless forced
RELATION_KIND = "relation_passages"  # the manifest kind of relation passages (any other *_passages: entities)


def passage_hash(passage: Passage) -> str:
    """Content hash of what the retriever embeds (title and text; the id and language are not embedded)."""
    return hashlib.sha256(f"{passage.title}\x1f{passage.text}".encode("utf-8")).hexdigest()[:32]


def load_kb(source: Path) -> dict[str, Passage]:
    """Passages by id from a JSON lines file or a passages artifact directory (`passages.jsonl`)."""
    return read_passage_file(source / PASSAGES_FILE if source.is_dir() else source)


def refresh_model_dir(
    model: Path,
    passages: Path,
    out: Path | None = None,
    *,
    relations: bool = False,
    prune: bool = True,
    batch_size: int = 128,
    device: str = "cpu",
    force: bool = False,
) -> Summary:
    """Bring the entity (or, with `relations`, relation) index of `model` up to the KB in `passages`."""
    model, out = Path(model), Path(out) if out is not None else Path(model)
    settings = _settings(model)
    kb_name, retriever_dir, index_dir = _parts(model, settings, relations)
    refuse_overlap(out, [passages, model], artifact=names.ARTIFACT)
    if not force:
        check_replaceable(out, names.ARTIFACT)
    _check_kind(passages, relations)
    newer = load_kb(passages)
    if not newer:
        raise InputError("the newer KB has no passages", path=passages)
    held_passages = read_passage_file(model / kb_name)
    index = PassageIndex.load(model / index_dir)
    held = _held(model, kb_name, index_dir, index, held_passages)
    _check_other_kb(model, settings, relations, newer, held, passages)
    if prune and not force:
        _check_pruning(held, newer, passages)
    newer_hashes = {pid: passage_hash(p) for pid, p in newer.items()}
    embed = _embedder(model / retriever_dir, newer, batch_size, device)
    counts = refresh_index(index, held, newer_hashes, embed, prune=prune)
    kb = _merged_kb(held_passages, newer, index, prune)
    with atomic_directory(out, artifact=names.ARTIFACT, inputs=[passages, model], force=force) as tmp:
        _copy_unchanged(model, tmp, skip={kb_name, index_dir, MANIFEST})
        save_with_hashes(index, refreshed_hashes(held, newer_hashes, prune=prune), tmp / index_dir)
        write_jsonl(tmp / kb_name, kb.values())
        write_model_files(tmp, settings)
        _record(tmp, counts, passages, relations, prune)
    return Summary("refreshed_model", out, {**counts.to_json(), "passages": len(kb)},
                   extra={"kb": "relations" if relations else "entities", "prune": prune})


def pending(model: Path, passages: Path, *, relations: bool = False, prune: bool = True) -> dict[str, int]:
    """What `refresh_model_dir` would do, without embedding: counts of new, changed and removed ids."""
    kb_name, _, index_dir = _parts(model, _settings(model), relations)
    index = PassageIndex.load(model / index_dir)
    held = _held(model, kb_name, index_dir, index)
    diff = diff_kb(held, {pid: passage_hash(p) for pid, p in load_kb(passages).items()}, prune=prune)
    return {"new": len(diff.new), "changed": len(diff.changed), "removed": len(diff.removed), "unchanged": diff.unchanged}


def _parts(model: Path, settings: RelikSettings, relations: bool) -> tuple[str, str, str]:
    """(passages file, retriever dir, index dir) of the entity or relation KB; all must exist."""
    if relations:
        if not settings.relations:
            raise InputError("the model directory has no relation KB", path=model / names.SETTINGS_FILE, field="relations")
        parts = (settings.relations, names.RELATION_RETRIEVER_DIR, names.RELATION_INDEX_DIR)
    else:
        parts = (settings.kb, names.RETRIEVER_DIR, names.INDEX_DIR)
    for name in parts:
        if not (model / name).exists():
            raise InputError(f"the model directory has no {name} to refresh", path=model / name)
    return parts


def _check_kind(passages: Path, relations: bool) -> None:
    """Refuse a passages artifact of the other KB (its manifest's `artifact` kind)."""
    manifest = Path(passages) / MANIFEST
    kind = read_json(manifest).get("artifact") if manifest.is_file() else None
    if not isinstance(kind, str) or not kind.endswith("_passages") or (kind == RELATION_KIND) == relations:
        return
    if relations:
        raise InputError(f"these are entity passages ('{kind}' artifact), not relation passages: drop --relations",
                         path=passages)
    raise InputError(f"these are relation passages ('{kind}' artifact): refresh the relation index with --relations",
                     path=passages)


def _check_other_kb(
    model: Path, settings: RelikSettings, relations: bool, newer: dict[str, Passage], held: dict[str, str], passages: Path
) -> None:
    """Refuse a newer KB that shares more ids with the model's other KB than with the one refreshed."""
    other_name = settings.kb if relations else settings.relations
    if not other_name or not (model / other_name).is_file():
        return
    other = read_passage_file(model / other_name)
    with_other, with_held = sum(pid in other for pid in newer), sum(pid in held for pid in newer)
    if with_other > with_held:
        kinds = ("entity", "relation") if relations else ("relation", "entity")
        hint = "drop --relations" if relations else "add --relations"
        raise InputError(f"the newer KB shares {with_other} ids with the model's {kinds[0]} KB but {with_held} with "
                         f"its {kinds[1]} KB: it looks like the {kinds[0]} KB; {hint}", path=passages)


def _check_pruning(held: dict[str, str], newer: dict[str, Passage], passages: Path) -> None:
    """Refuse a pruning refresh that would remove more than `MAX_PRUNED_FRACTION` of the indexed ids."""
    removed = sum(pid not in newer for pid in held)
    if held and removed > MAX_PRUNED_FRACTION * len(held):
        raise InputError(f"the refresh would remove {removed} of the {len(held)} indexed ids "
                         f"({removed / len(held):.0%}, more than {MAX_PRUNED_FRACTION:.0%}): is this the right KB? "
                         "Pass --keep-missing for a partial dump, or --force to remove them", path=passages)


def _settings(model: Path) -> RelikSettings:
    return RelikSettings.from_json(read_json(model / names.SETTINGS_FILE), path=model / names.SETTINGS_FILE)


def _held(
    model: Path, kb_name: str, index_dir: str, index: PassageIndex, passages: dict[str, Passage] | None = None
) -> dict[str, str]:
    """The content hashes the index holds: its sidecar, else those of the passages it was built from."""
    sidecar = read_content_hashes(model / index_dir)
    if sidecar:
        return sidecar
    path = model / kb_name
    if passages is None:
        passages = read_passage_file(path)
    ids = index.ids
    missing = [pid for pid in ids if pid not in passages]
    if missing:
        raise InputError(f"{len(missing)} indexed ids have no passage, e.g. {missing[:3]}", path=path)
    return {pid: passage_hash(passages[pid]) for pid in ids}


def _embedder(retriever_dir: Path, newer: dict[str, Passage], batch_size: int, device: str):
    """`embed(ids)` with the directory's retriever, loaded only when something needs embedding."""

    def embed(ids):
        from relik_ml.retriever.encoder import Retriever

        retriever = Retriever.from_pretrained(retriever_dir).to(device).eval()
        return retriever.encode_passages([newer[i] for i in ids], batch_size, show_progress=len(ids) > 10_000)

    return embed


def _merged_kb(held: dict[str, Passage], newer: dict[str, Passage], index: PassageIndex, prune: bool) -> dict[str, Passage]:
    """The passages file after the refresh: the newer KB (pruning) or the held one updated by it."""
    kb = dict(newer) if prune else {**held, **newer}
    missing = [pid for pid in index.ids if pid not in kb]
    assert not missing, f"refreshed index holds ids without passages, e.g. {missing[:3]}"
    return kb


def _copy_unchanged(model: Path, target: Path, skip: set[str]) -> None:
    for item in sorted(model.iterdir()):
        if item.name in skip:
            continue
        if item.is_dir():
            shutil.copytree(item, target / item.name)
        else:
            shutil.copy2(item, target / item.name)


def _record(directory: Path, counts: RefreshCounts, passages: Path, relations: bool, prune: bool) -> None:
    """Add the refresh counts to the manifest `write_model_files` just wrote."""
    manifest = read_json(directory / MANIFEST)
    manifest["refresh"] = {
        "kb": "relations" if relations else "entities", "source": str(passages), "prune": prune, **counts.to_json(),
    }
    write_json(directory / MANIFEST, manifest)
