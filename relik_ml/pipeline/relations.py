"""RE / cIE stages: relation passages from definitions, QID entity passages, held-out splits, and
the triplet reader with its relation threshold tuned on dev."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from relik_ml.config import DatasetSource, EntityPassagesConfig, WindowParams
from relik_ml.errors import InputError
from relik_ml.io import atomic_directory, iter_jsonl, read_json, read_manifest, write_jsonl, write_manifest
from relik_ml.pipeline.artifacts import CANDIDATES_SUFFIX, load_passages, load_windows
from relik_ml.pipeline.summary import DOCUMENTS_FILE, PASSAGES_FILE, WINDOWS_FILE, Summary, preview
from relik_ml.tracking import TrackingConfig
from relik_ml.types import Passage

_MANIFEST_KEYS = ("artifact", "created", "config", "inputs", "counts")  # written by write_manifest itself


@dataclass(frozen=True)
class HeldOutConfig:
    """A train / dev (/ test) split carved out of one source split by a stable hash of the document id.

    The "test" part is in no stage of the lineage: nothing trains, selects or tunes on it; a
    benchmark reads it back with `in_part(id, "test", dev_percent, test_percent)` for the report.
    """

    source_split: str = ""  # the dataset split to divide ("" = the branch uses the dataset's own splits)
    dev_percent: int = 20  # share of the documents in the held-out "dev" part (0-100)
    test_percent: int = 0  # share held back as "test" (hash buckets after dev's); 0 = no test part


def relation_label(name: str) -> str:
    """Readable label of a relation id: `/people/person/place_lived` -> "place lived", `Work_For` -> "work for"."""
    last = name.rstrip("/").rsplit("/", 1)[-1]
    return " ".join(last.replace("_", " ").split()).lower() or name


def definition_passages(definitions: Path, out: Path) -> Summary:
    """`{relation id: definition}` JSON (CoNLL04 / NYT relations.json) -> relation passages (label + definition)."""
    obj = read_json(definitions)
    if not isinstance(obj, dict) or not obj:
        raise InputError("expected a non-empty JSON object {relation id: definition}", path=definitions)
    passages = []
    for name, definition in obj.items():
        if not isinstance(definition, str) or not definition.strip():
            raise InputError("expected a non-empty definition string", path=definitions, field=name)
        passages.append(Passage(name, relation_label(name), definition.strip()))
    return _write_passages("relation_passages", passages, {"definitions": definitions}, out)


def qid_entity_passages(kilt: Path, config: EntityPassagesConfig, out: Path) -> Summary:
    """KILT pages -> entity passages keyed by their Wikidata QID (pages without one are left out)."""
    from relik_ml.formats import read_passages

    qids = {}
    for number, obj in iter_jsonl(kilt):
        info = obj.get("wikidata_info") or {}
        if not isinstance(info, dict):
            raise InputError("expected an object", path=kilt, line=number, field="wikidata_info")
        if info.get("wikidata_id"):
            qids[str(obj.get("wikipedia_title", ""))] = str(info["wikidata_id"])
    by_title = read_passages("kilt", [kilt], text_mode=config.text_mode, max_words=config.max_words)
    passages = list({qids[p.id]: Passage(qids[p.id], p.title, p.text, p.language)
                     for p in by_title if p.id in qids}.values())
    summary = _write_passages("entity_passages", passages, {"kilt": kilt}, out)
    summary.counts["pages_without_qid"] = len(by_title) - len(qids)
    return summary


def in_part(doc_id: str, part: str, dev_percent: int, test_percent: int = 0) -> bool:
    """Whether a document falls into `part` ("train", "dev" or "test") of a held-out split: the sha1
    of its id gives a bucket 0-99; buckets below `dev_percent` are dev, the next `test_percent` test."""
    if part not in ("train", "dev", "test"):
        raise ValueError(f"part must be 'train', 'dev' or 'test', got {part!r}")
    bucket = int(hashlib.sha1(doc_id.encode("utf-8")).hexdigest()[:8], 16) % 100
    found = "dev" if bucket < dev_percent else "test" if bucket < dev_percent + test_percent else "train"
    return found == part


def held_out_windows(
    dataset: DatasetSource, held_out: HeldOutConfig, part: str, config: WindowParams, root: Path, out: Path
) -> Summary:
    """Documents and windows of one part of a held-out split (same files as `task_windows`)."""
    from relik_ml.pipeline.data import to_window_config, read_split
    from relik_ml.windows import windows_for_documents

    if held_out.source_split not in dataset.splits:
        raise InputError(f"dataset {dataset.name!r} has no split {held_out.source_split!r}", field="source_split")
    if not 0 < held_out.dev_percent < 100:
        raise InputError(f"must be in 1..99, got {held_out.dev_percent}", field="dev_percent")
    if not 0 <= held_out.test_percent < 100 - held_out.dev_percent:
        raise InputError(f"must be in 0..{99 - held_out.dev_percent} (dev_percent {held_out.dev_percent} + "
                         f"test_percent leave train no share), got {held_out.test_percent}", field="test_percent")
    documents = read_split(dataset, held_out.source_split, root)
    documents = [d for d in documents if in_part(d.id, part, held_out.dev_percent, held_out.test_percent)]
    windows, _ = windows_for_documents(documents, to_window_config(config))
    counts = {"documents": len(documents), "triplets": sum(len(d.triplets) for d in documents),
              "windows": len(windows)}
    with atomic_directory(out) as tmp:
        write_jsonl(tmp / DOCUMENTS_FILE, documents)
        write_jsonl(tmp / WINDOWS_FILE, windows)
        write_manifest(tmp, artifact="task_windows", config={"windows": config, "held_out": held_out}, counts=counts,
                       extra={"dataset": dataset.name, "split": f"{held_out.source_split}:{part}"})
    return Summary("task_windows", out, counts, preview(windows))


def all_candidates(passages_dir: Path, windows: Mapping[str, Path], out: Path) -> Summary:
    """Every passage as a candidate of every window, in the passages' order (`<split>.candidates.jsonl`)."""
    everything = [[p.id, 0.0] for p in load_passages(passages_dir)]
    counts = {}
    with atomic_directory(out) as tmp:
        for split, directory in windows.items():
            rows = ({"window_id": w.id, "candidates": everything} for w in load_windows([directory]))
            counts[split] = write_jsonl(tmp / f"{split}{CANDIDATES_SUFFIX}", rows)
        write_manifest(tmp, artifact="candidates", config={"all_relations": True}, counts=counts)
    return Summary("candidates", out, counts)


def tune_reader_threshold(
    reader_dir: Path,
    dev_dirs: Sequence[Path],
    dev_split: str,
    *,
    candidates_dir: Path | None,
    passages_dir: Path | None,
    relation_candidates_dir: Path,
    relation_passages_dir: Path,
    batch_windows: int = 16,
) -> dict[str, float]:
    """Pick the relation threshold maximising strict triplet F1 on the dev windows; rewrite the reader.

    The dev pass keeps every triplet with p_rel > RELATION_FLOOR; keys are window-level strict
    triplets (window, subject offsets, relation, object offsets). When no threshold finds a dev
    triplet (F1 0 everywhere) the reader keeps its threshold.
    """
    from relik_ml.inference.reading import read_windows
    from relik_ml.metrics.relations import scored_triplet_keys, triplet_keys
    from relik_ml.metrics.thresholds import RELATION_FLOOR, tune_threshold
    from relik_ml.pipeline.reading import reader_examples
    from relik_ml.reader.artifact import load_reader, save_reader

    model, tokenizer = load_reader(reader_dir)
    windows = load_windows(dev_dirs)
    kb = {p.id: p for p in load_passages(passages_dir)} if passages_dir is not None else {}
    relations = {p.id: p for p in load_passages(relation_passages_dir)}
    examples = reader_examples(windows, dev_split, model.config, candidates_dir=candidates_dir, kb=kb,
                               relation_candidates_dir=relation_candidates_dir, relations=relations)
    tuned_from = model.config.relation_threshold
    model.config.relation_threshold = RELATION_FLOOR
    predictions = read_windows(model, tokenizer, examples, max_tokens=batch_windows * model.config.max_input_tokens)
    gold = [key for w in windows for key in triplet_keys(w.id, w.triplets)]
    choice = tune_threshold(gold, [pair for p in predictions for pair in scored_triplet_keys(p)])
    kept_default = choice.f1 <= 0.0  # no grid point finds a dev triplet: nothing to tune on
    model.config.relation_threshold = tuned_from if kept_default else choice.threshold
    manifest = read_manifest(reader_dir)
    tuning = {**choice.to_json(), "default_threshold": tuned_from, "kept_default": kept_default,
              "dev_windows": len(windows)}
    save_reader(model, tokenizer, reader_dir, config=manifest.get("config"), counts=manifest.get("counts"),
                extra={**{k: v for k, v in manifest.items() if k not in _MANIFEST_KEYS},
                       "relation_threshold_tuning": tuning})
    return tuning


def triplet_reader(
    name: str,
    backbone: Path,
    train_dirs: Sequence[Path],
    dev_dirs: Sequence[Path],
    candidates_dir: Path | None,
    splits: tuple[str, str],
    passages_dir: Path | None,
    model_config: dict[str, Any],
    train_config: dict[str, Any],
    tracking: TrackingConfig,
    root: Path,
    out: Path,
    *,
    relation_candidates_dir: Path,
    relation_passages_dir: Path,
) -> Summary:
    """The RE / cIE reader: `reading.reader`, then its relation threshold tuned on the dev windows."""
    from relik_ml.pipeline.reading import reader

    summary = reader(name, backbone, train_dirs, dev_dirs, candidates_dir, splits, passages_dir, model_config,
                     train_config, tracking, root, out, relation_candidates_dir=relation_candidates_dir,
                     relation_passages_dir=relation_passages_dir)
    tuning = tune_reader_threshold(out, dev_dirs, splits[1], candidates_dir=candidates_dir, passages_dir=passages_dir,
                                   relation_candidates_dir=relation_candidates_dir,
                                   relation_passages_dir=relation_passages_dir)
    return replace(summary, extra={**summary.extra, **{f"threshold/{k}": v for k, v in tuning.items()}})


def _write_passages(artifact: str, passages: list[Passage], inputs: dict[str, Path], out: Path) -> Summary:
    counts: dict[str, Any] = {"passages": len(passages)}
    with atomic_directory(out) as tmp:
        write_jsonl(tmp / PASSAGES_FILE, passages)
        write_manifest(tmp, artifact=artifact, inputs=inputs, counts=counts)
    return Summary(artifact, out, counts, preview(passages))
