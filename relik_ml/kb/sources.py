"""The shared-data sources of the Wikipedia-scale KB: descriptive texts and training-split labels.

Descriptive sources, in priority order (the first one holding an entity gives its display title
and text): Wikipedia lead summaries (`wiki-summaries/summaries_en.jsonl`), NEL abstracts
(`nel-nil-el/kb.jsonl`), REBEL lead sections (`rebel-sample/sample.jsonl`). Label titles come from
training splits only: the AIDA-CoNLL-YAGO train documents (never testa / testb, which are evaluated).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from relik_ml.formats import read_documents, read_passages
from relik_ml.formats._common import Where, get
from relik_ml.io import iter_jsonl
from relik_ml.kb_union import entity_key
from relik_ml.types import NME

WIKI_SUMMARIES = "wiki-summaries/summaries_en.jsonl"
NEL_KB = "nel-nil-el/kb.jsonl"
REBEL = "rebel-sample/sample.jsonl"
AIDA_TSV = "aida-conll-yago/aida-annotations/AIDA-YAGO2-annotations.train+testa.tsv"
AIDA_CONLL = ("aida-conll-yago/conll2003-eng/eng.train", "aida-conll-yago/conll2003-eng/eng.testa")
TRAINING_SPLITS = ("train",)  # AIDA document splits whose labels may enter the KB


@dataclass(frozen=True)
class DescribedEntity:
    """An entity a source describes: its key, display title, text (whitespace collapsed) and source."""

    key: str
    title: str
    text: str
    source: str


@dataclass(frozen=True)
class SharedSources:
    """What the shared data adds to the dump: described entities (priority order) and label titles."""

    described: list[DescribedEntity]
    training_titles: list[str]  # distinct gold titles of the training splits, as labelled
    counts: dict[str, int] = field(default_factory=dict)
    inputs: dict[str, Path] = field(default_factory=dict)  # name -> file, for the manifest's hashes


def read_shared_sources(shared: Path) -> SharedSources:
    """Read the descriptive sources and the AIDA train labels under the shared data folder."""
    summaries = read_described("wiki-summaries", shared / WIKI_SUMMARIES)
    nel = read_described("nel-kb", shared / NEL_KB)
    rebel = read_described("rebel", shared / REBEL)
    aida_files = [shared / AIDA_TSV, *(shared / p for p in AIDA_CONLL)]
    titles = training_label_titles(read_documents("aida", aida_files))
    counts = {"wiki-summaries": len(summaries), "nel-kb": len(nel), "rebel": len(rebel), "aida-train-titles": len(titles)}
    inputs = {"wiki_summaries": shared / WIKI_SUMMARIES, "nel_kb": shared / NEL_KB, "rebel": shared / REBEL,
              "aida_annotations": shared / AIDA_TSV}
    return SharedSources([*summaries, *nel, *rebel], titles, counts, inputs)


DESCRIBED_SOURCES = ("wiki-summaries", "nel-kb", "rebel")  # the descriptive sources, in priority order


def read_described(source: str, path: Path) -> list[DescribedEntity]:
    """The entities one descriptive source (a name of `DESCRIBED_SOURCES`) describes in `path`."""
    if source == "nel-kb":
        return [DescribedEntity(entity_key(p.title), p.title, p.text, source) for p in read_passages(source, [path])]
    if source in DESCRIBED_SOURCES:
        return read_titled_texts(path, source, text_field="text")
    raise ValueError(f"unknown descriptive source {source!r}; expected one of {DESCRIBED_SOURCES}")


def read_titled_texts(path: Path, source: str, *, text_field: str) -> list[DescribedEntity]:
    """One described entity per JSONL record `{"title": ..., text_field: ...}`."""
    entities = []
    for number, obj in iter_jsonl(path):
        where = Where(path, number)
        title, text = get(obj, "title", str, where), get(obj, text_field, str, where)
        entities.append(DescribedEntity(entity_key(title), title, " ".join(text.split()), source))
    return entities


def training_label_titles(documents, splits: tuple[str, ...] = TRAINING_SPLITS) -> list[str]:
    """Distinct non-NME gold labels of the documents of the training `splits`, sorted."""
    return sorted({s.label for d in documents if d.split in splits for s in d.spans if s.label != NME})
