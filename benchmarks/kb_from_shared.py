"""The *oracle* entity KB: abstracts (NEL KB, REBEL leads) + every gold title of the shared data.

Oracle because its titles are harvested from the gold labels of the sets that are evaluated too
(AIDA testa, MSNBC, the NIF sets, KILT-EL), so their coverage is complete by construction and the
~10.9k entities are far fewer than Wikipedia's. It is kept as an explicitly named option (`make
real-retrieval` / `make real-el`); the KB without evaluation labels is the Wikipedia-scale one of
`benchmarks/kb_wiki.py` (`make real-wiki-kb`).

Abstract sources: NEL `kb.jsonl` (3,815 Wikipedia abstracts) and the REBEL sample (1,000 Wikipedia
lead sections keyed by `title`). Title sources: AIDA train+testa gold labels, the AIDA KILT samples,
KILT-EL samples (WNED, ClueWeb), NEL mention answers, the DBpedia-labelled NIF sets (Reuters-128,
Reuters-30, AQUAINT, OKE) and MSNBC (ELEVANT JSONL read by its Wikipedia `name`, format
"elevant-titles"). REBEL entities carry QIDs only and are left out. Entities without an abstract get
a title-only passage.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from relik_ml.errors import InputError
from relik_ml.formats import read_documents, read_passages
from relik_ml.io import iter_jsonl
from relik_ml.kb_union import normalize_title, union_passages
from relik_ml.types import NME, Document, Passage

AIDA_TSV = "aida-conll-yago/aida-annotations/AIDA-YAGO2-annotations.train+testa.tsv"
AIDA_CONLL = ("aida-conll-yago/conll2003-eng/eng.train", "aida-conll-yago/conll2003-eng/eng.testa")
TITLE_SETS: dict[str, tuple[str, tuple[str, ...]]] = {  # source name -> (reader format, paths under data)
    "aida-kilt": ("kilt-el", ("aida-conll-yago/kilt-format-sample/aidayago2-train-kilt.jsonl",
                              "aida-conll-yago/kilt-format-sample/aidayago2-dev-kilt.jsonl")),
    "kilt-el": ("kilt-el", ("kilt-el-samples/wned-dev-kilt.jsonl", "kilt-el-samples/cweb-dev-kilt.jsonl")),
    "nel-mentions": ("nel", ("nel-nil-el/train.jsonl", "nel-nil-el/valid.jsonl", "nel-nil-el/test.jsonl")),
    "reuters-128": ("nif", ("n3-reuters-128/Reuters-128.ttl",)),
    "reuters-30": ("nif", ("nif-extra-reuters30-aquaint/Reuters-30_DBpedia.ttl",)),
    "aquaint": ("nif", ("nif-extra-reuters30-aquaint/AQUAINT_DBpedia.ttl",)),
    "oke-2015": ("nif", ("oke-2015/oke2015_task1_training_dataset_task_1.ttl",
                         "oke-2015/oke2015_task1_evaluation-dataset-task1.ttl")),
    "oke-2016": ("nif", ("oke-2016-train/oke2016_task1_training_dataset_task_1.ttl",)),
    "msnbc": ("elevant-titles", ("msnbc/msnbc.benchmark.jsonl",)),
}


@dataclass(frozen=True)
class SharedKB:
    """The merged KB, the AIDA documents it was built for, and per-source counts."""

    passages: list[Passage]
    aida: list[Document]  # AIDA train + testa, `split` = "train" / "testa"
    counts: dict[str, int]  # distinct titles (or abstracts) contributed by each source


def read_aida(data: Path) -> list[Document]:
    """AIDA-CoNLL-YAGO train + testa documents with Wikipedia-title labels."""
    return read_documents("aida", [data / AIDA_TSV, *(data / p for p in AIDA_CONLL)])


def rebel_leads(path: Path) -> list[Passage]:
    """One passage per REBEL record: its Wikipedia `title` and lead `text`."""
    passages = []
    for number, obj in iter_jsonl(path):
        for field in ("title", "text"):
            if not isinstance(obj.get(field), str):
                raise InputError("expected a string", path=path, line=number, field=field)
        passages.append(Passage(normalize_title(obj["title"]), normalize_title(obj["title"]), obj["text"]))
    return passages


def gold_titles(docs: list[Document]) -> set[str]:
    """Normalised non-NME span labels that are not Wikidata QIDs."""
    labels = {s.label for d in docs for s in d.spans if s.label != NME}
    return {normalize_title(t) for t in labels if not (t[:1] == "Q" and t[1:].isdigit())}


def build_shared_kb(data: Path) -> SharedKB:
    """Read every source under `data` (the shared data folder) and merge them."""
    nel = read_passages("nel-kb", [data / "nel-nil-el" / "kb.jsonl"])
    rebel = rebel_leads(data / "rebel-sample" / "sample.jsonl")
    aida = read_aida(data)
    titles = {"aida": gold_titles(aida)}
    for name, (fmt, paths) in TITLE_SETS.items():
        titles[name] = gold_titles([d for p in paths for d in read_documents(fmt, data / p)])
    passages = union_passages([*nel, *rebel], set().union(*titles.values()))
    counts = Counter({"nel-kb-abstracts": len(nel), "rebel-abstracts": len(rebel)})
    counts.update({f"{name}-titles": len(t) for name, t in titles.items()})
    counts.update(passages=len(passages), with_abstract=sum(bool(p.text) for p in passages))
    return SharedKB(passages, aida, dict(counts))


def write_kilt(passages: list[Passage], path: Path) -> int:
    """The KB as a KILT knowledge source (`text` = [title, abstract], no anchors): what the lineage's
    `entity_passages` stage reads through `raw.kilt`. Written atomically; returns the page count."""
    from relik_ml.io import write_jsonl

    path.parent.mkdir(parents=True, exist_ok=True)
    pages = ({"wikipedia_id": str(number), "wikipedia_title": p.title, "text": [p.title, *([p.text] if p.text else [])],
              "anchors": []} for number, p in enumerate(passages))
    partial = path.with_name(path.name + ".partial")
    count = write_jsonl(partial, pages)
    partial.replace(path)
    return count


def main(argv: list[str] | None = None) -> None:
    import argparse
    import json

    parser = argparse.ArgumentParser(description="Write the shared-data entity KB as a KILT knowledge source")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"), help="the shared data folder")
    parser.add_argument("--kilt", type=Path, required=True, help="output JSONL (outside git, e.g. under data/)")
    args = parser.parse_args(argv)
    kb = build_shared_kb(args.data)
    count = write_kilt(kb.passages, args.kilt)
    print(json.dumps({"kilt": str(args.kilt), "pages": count, **kb.counts}))


if __name__ == "__main__":
    main()
