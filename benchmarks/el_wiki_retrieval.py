"""AIDA testa retrieval recall@1/10/50/100 against the Wikipedia-scale KB (issue 16, item 5).

    nice -n 10 .venv/bin/python benchmarks/el_wiki_retrieval.py --systems alias_table,string_similarity,bm25
    nice -n 10 .venv/bin/python benchmarks/el_wiki_retrieval.py --systems dense_zero_shot

Writes the `retrieval` section of `benchmarks/results/el_wiki.json` (other sections are kept; each
run replaces only the systems it ran). Systems:
- `alias_table_cased` / `alias_table_uncased` (thesis Alg. 1-2) and `string_similarity` (normalised
  Indel, trigram blocking): mention rankers, one ranked list per gold mention (its surface string);
- `bm25` (window text + topic) and `dense_zero_shot` (the untrained MiniLM retriever, exact search
  over the passage-embedding shards): window retrievers, one ranked list per window;
- `dense_fine_tuned`: the retriever fine-tuned against this KB by `benchmarks/el_wiki_finetune.py`
  (stale negatives, a pool), exact search over the shards it re-embedded.

The unit is the gold InKB mention (AIDA label not NME). A mention is found at K when its entity is
in the top K of its own ranked list (mention rankers) or of any window that contains it (window
retrievers; W=32, S=16 as ReLiK). Entities match through the KB's key (`entity_key`): gold label and
retrieved id are compared keyed. Recall is over all InKB mentions and over the covered ones (entity
in the KB). The KB, its coverage, the counts and wall times are written beside.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clock import Clock  # noqa: E402
from kb_from_shared import read_aida  # noqa: E402  (benchmarks/ is not a package)

from relik_ml.baselines import AliasTable, AliasTableBuilder, StringSimilarity, StringSimilarityConfig  # noqa: E402
from relik_ml.baselines.alias_table import CASES  # noqa: E402
from relik_ml.io import iter_jsonl, read_json, read_manifest, write_json  # noqa: E402
from relik_ml.kb_union import entity_key  # noqa: E402
from relik_ml.types import NME, Document, Passage, Window  # noqa: E402
from relik_ml.windows import WindowConfig, windows_for_documents  # noqa: E402

KS = (1, 10, 50, 100)
ROOT = Path(__file__).resolve().parents[1]
MENTION_SYSTEMS = ("alias_table", "string_similarity")
WINDOW_SYSTEMS = ("bm25", "dense_zero_shot", "dense_fine_tuned")
DENSE_KINDS = {"dense_zero_shot": "zero-shot (untrained)",
               "dense_fine_tuned": "fine-tuned (benchmarks/el_wiki_finetune.py: stale negatives, pool)"}
Results = dict[str, Any]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / ".." / "shared" / "data")
    parser.add_argument("--kb", type=Path, default=ROOT / "data/real-wiki/entity_passages")
    parser.add_argument("--embeddings", type=Path, default=ROOT / "data/real-wiki/el/passage_embeddings",
                        help="passage-embedding shards (<dir>/<shard>/embeddings.npy + ids.txt)")
    parser.add_argument("--retriever", type=Path, default=ROOT / "data/real-wiki/el/retriever_zero_shot",
                        help="the retriever directory that embedded the shards")
    parser.add_argument("--fine-tuned-embeddings", type=Path,
                        default=ROOT / "data/real-wiki/el/passage_embeddings_fine_tuned")
    parser.add_argument("--fine-tuned-retriever", type=Path, default=ROOT / "data/real-wiki/el/retriever_fine_tuned")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/el_wiki.json")
    parser.add_argument("--work-dir", type=Path, default=ROOT / "data/real-wiki/baselines",
                        help="where the alias table is saved")
    parser.add_argument("--systems", default="alias_table,string_similarity,bm25",
                        help=f"comma-separated: {', '.join(MENTION_SYSTEMS + WINDOW_SYSTEMS)}")
    parser.add_argument("--block-size", type=int, default=StringSimilarityConfig().block_size)
    parser.add_argument("--full-scan-sample", type=int, default=20,
                        help="mentions also scored against every name (no blocking), to measure blocking")
    parser.add_argument("--max-docs", type=int, default=0, help="smoke runs: first n testa documents (0 = all)")
    parser.add_argument("--threads", type=int, default=2)
    return parser.parse_args(argv)


@dataclass(frozen=True)
class Mention:
    """A gold InKB mention of testa: its document, character span, surface string and keyed label."""

    doc_id: str
    start: int
    end: int
    surface: str
    label: str
    key: str


def gold_mentions(docs: Sequence[Document]) -> list[Mention]:
    """Every non-NME gold span of the documents, in document order."""
    return [Mention(d.id, s.start, s.end, d.text[s.start:s.end], s.label, entity_key(s.label))
            for d in docs for s in d.spans if s.label != NME]


def iter_kb(kb: Path) -> Iterator[Passage]:
    """The KB's passages, streamed from `passages.jsonl`."""
    for _, obj in iter_jsonl(kb / "passages.jsonl"):
        yield Passage.from_json(obj)


def kb_aliases(kb: Path) -> Iterator[tuple[str, str]]:
    """(alias, entity id) pairs of the KB's redirect aliases (`aliases.jsonl`: {"alias", "ids"} per line)."""
    for _, obj in iter_jsonl(kb / "aliases.jsonl"):
        for entity_id in obj["ids"]:
            yield obj["alias"], entity_id


def recall(found_at: Sequence[int | None], mentions: Sequence[Mention], covered: set[str]) -> Results:
    """R@K over all InKB mentions and over the covered ones; `found_at` = 1-based rank or None."""
    def at(rows: list[int]) -> dict[str, float]:
        return {f"R@{k}": round(100 * sum(found_at[i] is not None and found_at[i] <= k for i in rows)
                                / max(len(rows), 1), 2) for k in KS}
    everything = list(range(len(mentions)))
    inside = [i for i, m in enumerate(mentions) if m.key in covered]
    return {"all_inkb": at(everything), "covered": at(inside),
            "mentions": len(everything), "covered_mentions": len(inside),
            "found_at_1": sum(f == 1 for f in found_at)}


def rank_of(key: str, ranked_ids: Sequence[str]) -> int | None:
    """1-based rank of the first retrieved id whose key is `key`, or None."""
    for rank, entity_id in enumerate(ranked_ids, start=1):
        if entity_key(entity_id) == key:
            return rank
    return None


def window_ranks(mentions: Sequence[Mention], windows: Sequence[Window], retrieved: Sequence[Sequence[str]]
                 ) -> list[int | None]:
    """Per mention, the best rank of its entity over the windows containing it entirely."""
    by_doc: dict[str, list[int]] = {}
    for i, w in enumerate(windows):
        by_doc.setdefault(w.doc_id, []).append(i)
    ranks: list[int | None] = []
    for m in mentions:
        found = [rank_of(m.key, retrieved[i]) for i in by_doc.get(m.doc_id, ())
                 if windows[i].start <= m.start and m.end <= windows[i].end]
        hits = [r for r in found if r is not None]
        ranks.append(min(hits) if hits else None)
    return ranks


def build_alias_table(kb: Path, train: Sequence[Document]) -> tuple[AliasTable, dict[str, int]]:
    """The thesis's alias table: KB titles, the KB's redirect aliases and AIDA train anchors."""
    builder = AliasTableBuilder(entity_key)
    builder.add_entities((p.id, p.title) for p in iter_kb(kb))
    builder.add_aliases(kb_aliases(kb))
    builder.add_anchors((d.text[s.start:s.end], s.label) for d in train for s in d.spans if s.label != NME)
    return builder.build(), dict(builder.skipped)


def mention_rankers(args: argparse.Namespace, mentions: Sequence[Mention], train: Sequence[Document],
                    covered: set[str], systems: set[str], clock: Clock) -> Results:
    """Alias table (cased, uncased) and string similarity, each ranking entities per gold mention."""
    k = max(KS)
    table, skipped = clock.run("alias_table/build", lambda: build_alias_table(args.kb, train))
    saved = args.work_dir / "alias_table"
    clock.run("alias_table/save", lambda: table.save(saved, extra={"kb": str(args.kb)}))
    loaded = clock.run("alias_table/load", lambda: AliasTable.load(saved, entity_key))
    same = all(loaded.ranked(m.surface, case) == table.ranked(m.surface, case) for m in mentions for case in CASES)
    del loaded
    info = {"counts": table.counts(), "skipped": skipped, "anchors_from": "AIDA train gold mentions",
            "saved_to": str(saved), "saved_bytes": sum(f.stat().st_size for f in saved.iterdir()),
            "reloaded_ranks_equal_on_testa": same,
            "seconds": {k: clock.seconds[f"alias_table/{k}"] for k in ("build", "save", "load")}}
    out: Results = {}
    if "alias_table" in systems:
        for case in CASES:
            ranks = clock.run(f"alias_table_{case}/query", lambda case=case: [
                rank_of(m.key, table.lookup(m.surface, k, case)) for m in mentions])
            out[f"alias_table_{case}"] = {
                "unit": "mention", "kind": "alias table (thesis Alg. 1-2)", "case": case, "table": info,
                **recall(ranks, mentions, covered),
                "seconds": {"build": clock.seconds["alias_table/build"],
                            "query": clock.seconds[f"alias_table_{case}/query"]}}
    if "string_similarity" in systems:
        out["string_similarity"] = string_similarity(args, table, mentions, covered, clock)
    return out


def string_similarity(args: argparse.Namespace, table: AliasTable, mentions: Sequence[Mention],
                      covered: set[str], clock: Clock) -> Results:
    """Indel similarity over the alias table's uncased names, blocked by trigram Dice."""
    config = StringSimilarityConfig(block_size=args.block_size)
    ranker = clock.run("string_similarity/index", lambda: StringSimilarity(table, config))
    ranks = clock.run("string_similarity/query", lambda: [
        rank_of(m.key, ranker.lookup(m.surface, max(KS))) for m in mentions])
    return {"unit": "mention", "kind": "normalised Indel similarity (rapidfuzz fuzz.ratio), uncased names",
            "config": asdict(config), "names": len(ranker.names),
            "blocking": ("character-trigram inverted index over the names; per mention the block_size names "
                         "with the highest Dice overlap of trigram sets are scored with Indel"),
            "full_scan_check": clock.run("string_similarity/full_scan_check",
                                         lambda: full_scan_check(ranker, mentions, args.full_scan_sample)),
            **recall(ranks, mentions, covered),
            "seconds": {"index": clock.seconds["string_similarity/index"],
                        "query": clock.seconds["string_similarity/query"],
                        "per_mention_ms": round(1000 * clock.seconds["string_similarity/query"] / max(len(mentions), 1), 2)}}


def full_scan_check(ranker: StringSimilarity, mentions: Sequence[Mention], sample: int) -> Results:
    """On every n-th mention: seconds of a scan over all names, and whether blocking keeps the best scores."""
    if sample < 1 or not mentions:
        return {}
    picked = mentions[:: max(1, len(mentions) // sample)][:sample]
    seconds, same_best, same_top10 = [], 0, 0
    for m in picked:
        started = time.monotonic()
        full = ranker.full_scan(m.surface, 10)
        seconds.append(time.monotonic() - started)
        blocked = ranker.ranked_names(m.surface, 10)
        same_best += bool(full) and bool(blocked) and full[0][1] == blocked[0][1]
        same_top10 += [s for _, s in full] == [s for _, s in blocked]
    return {"mentions": len(picked), "median_full_scan_seconds": round(float(np.median(seconds)), 3),
            "best_score_equal": same_best, "top10_scores_equal": same_top10}


def bm25_system(args: argparse.Namespace, mentions: Sequence[Mention], windows: Sequence[Window],
                covered: set[str], clock: Clock) -> Results:
    """BM25 over the KB passages (title + text), one query per window (text + topic)."""
    from relik_ml.retriever.bm25 import BM25

    bm25 = clock.run("bm25/index", lambda: BM25(iter_kb(args.kb)))
    retrieved = clock.run("bm25/query", lambda: bm25.search_windows(windows, max(KS)))
    return {"unit": "window", "kind": "Okapi BM25 (k1 1.5, b 0.75), query = window text + topic",
            "vocabulary": len(bm25.vocabulary), "postings": int(bm25.matrix.nnz),
            **recall(window_ranks(mentions, windows, retrieved), mentions, covered),
            "seconds": {"index": clock.seconds["bm25/index"], "query": clock.seconds["bm25/query"]}}


def dense(name: str, embeddings: Path, retriever_dir: Path, args: argparse.Namespace, mentions: Sequence[Mention],
          windows: Sequence[Window], covered: set[str], clock: Clock) -> Results:
    """The retriever that embedded the shards, queried with testa windows; exact top-k over every shard."""
    import torch

    from relik_ml.retriever import Retriever

    torch.set_num_threads(args.threads)
    shards = finished_shards(embeddings)
    retriever = Retriever.from_pretrained(retriever_dir)
    queries = clock.run(f"{name}/encode_windows", lambda: retriever.encode_windows(windows, 128))
    retrieved, rows = clock.run(f"{name}/search", lambda: exact_over_shards(queries, shards, max(KS)))
    kind = DENSE_KINDS[name]
    return {"unit": "window", "kind": f"{kind} MiniLM bi-encoder, exact inner-product search over the shards",
            "retriever": str(retriever_dir), "shards": len(shards), "passages": rows,
            **recall(window_ranks(mentions, windows, retrieved), mentions, covered),
            "seconds": {"encode_windows": clock.seconds[f"{name}/encode_windows"],
                        "search": clock.seconds[f"{name}/search"]}}


def finished_shards(embeddings: Path) -> list[Path]:
    """The shard directories under `embeddings`, all finished (a manifest; temporaries are hidden)."""
    shards = sorted(d for d in embeddings.glob("*") if not d.name.startswith(".") and (d / "manifest.json").exists())
    if not shards:
        raise SystemExit(f"no finished passage-embedding shard under {embeddings}")
    expected = read_manifest(shards[0]).get("config", {}).get("shards", len(shards))
    if len(shards) != expected:
        raise SystemExit(f"{len(shards)} of {expected} shards finished under {embeddings}")
    return shards


def exact_over_shards(queries: np.ndarray, shards: Sequence[Path], k: int, rows_per_block: int = 131_072
                      ) -> tuple[list[list[str]], int]:
    """Top-k passage ids per query over every shard's embeddings (memory-mapped, a block at a time)."""
    from relik_ml.index import exact_search

    best_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_ids = np.full((len(queries), k), "", dtype=object)
    total = 0
    for shard in shards:
        embeddings = np.load(shard / "embeddings.npy", mmap_mode="r")
        ids = np.array((shard / "ids.txt").read_text(encoding="utf-8").splitlines(), dtype=object)
        for start in range(0, len(embeddings), rows_per_block):
            block = np.array(embeddings[start : start + rows_per_block], dtype=np.float32)  # a writable copy
            scores, positions = exact_search(block, queries, k)  # (q, k)
            merged_scores = np.concatenate([best_scores, scores], axis=1)  # (q, 2k)
            merged_ids = np.concatenate([best_ids, ids[start + np.maximum(positions, 0)]], axis=1)
            top = np.argsort(-merged_scores, axis=1, kind="stable")[:, :k]
            best_scores = np.take_along_axis(merged_scores, top, axis=1)
            best_ids = np.take_along_axis(merged_ids, top, axis=1)
        total += len(embeddings)
    return [[i for i in row if i] for row in best_ids.tolist()], total


def kb_facts(kb: Path, mentions: Sequence[Mention]) -> tuple[Results, set[str]]:
    """KB size from one pass over the passages, and which gold keys it holds (coverage)."""
    gold = {m.key for m in mentions}
    covered: set[str] = set()
    passages = with_text = 0
    for p in iter_kb(kb):
        passages += 1
        with_text += bool(p.text)
        covered.update(k for k in (entity_key(p.id), entity_key(p.title)) if k in gold)
    covered_mentions = sum(m.key in covered for m in mentions)
    manifest = read_manifest(kb)
    facts = {"path": str(kb), "created": manifest.get("created", ""), "passages": passages, "with_text": with_text,
             "manifest_counts": manifest.get("counts", {}),
             "testa_inkb_mentions": len(mentions), "testa_covered_mentions": covered_mentions,
             "coverage": round(100 * covered_mentions / max(len(mentions), 1), 2),
             "testa_distinct_entities": len(gold), "testa_distinct_entities_covered": len(covered)}
    return facts, covered


def git_commit() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def main(argv: list[str] | None = None) -> Results:
    args = parse_args(argv)
    systems = set(args.systems.split(","))
    unknown = systems - set(MENTION_SYSTEMS + WINDOW_SYSTEMS)
    if unknown:
        raise SystemExit(f"unknown systems {sorted(unknown)}")
    clock = Clock()
    aida = clock.run("read_aida", lambda: read_aida(args.data))
    train = [d for d in aida if d.split == "train"]
    testa = [d for d in aida if d.split == "testa"][: args.max_docs or None]
    mentions = gold_mentions(testa)
    windows, window_stats = windows_for_documents(testa, WindowConfig())
    kb, covered = clock.run("kb_pass", lambda: kb_facts(args.kb, mentions))
    results: Results = read_json(args.out) if args.out.exists() else {}
    section = results.setdefault("retrieval", {})
    section.update({
        "dataset": "AIDA-CoNLL testa (dev; only train and testa exist here)",
        "unit": ("gold InKB mention (AIDA label not NME); found at K when its entity is in the top K of its own "
                 "ranked list (mention rankers: alias table, string similarity) or of any window containing it "
                 "entirely (window retrievers: BM25, dense; W=32, S=16, topic)"),
        "match": "gold label and retrieved id compared through relik_ml.kb_union.entity_key",
        "ks": list(KS), "kb": kb, "testa_documents": len(testa), "testa_windows": len(windows),
        "testa_mentions_with_nme": sum(len(d.spans) for d in testa), "window_stats": asdict(window_stats),
    })
    runs = section.setdefault("systems", {})
    started = time.monotonic()
    if systems & set(MENTION_SYSTEMS):
        runs.update(stamped(mention_rankers(args, mentions, train, covered, systems, clock), args, kb))
        save(args, results, clock, started)
    if "bm25" in systems:
        runs.update(stamped({"bm25": bm25_system(args, mentions, windows, covered, clock)}, args, kb))
        save(args, results, clock, started)
    dense_inputs = {"dense_zero_shot": (args.embeddings, args.retriever),
                    "dense_fine_tuned": (args.fine_tuned_embeddings, args.fine_tuned_retriever)}
    for name, (embeddings, retriever_dir) in dense_inputs.items():
        if name in systems:
            runs.update(stamped({name: dense(name, embeddings, retriever_dir, args, mentions, windows, covered, clock)},
                                args, kb))
        save(args, results, clock, started)
    return results


def stamped(systems: Results, args: argparse.Namespace, kb: Results) -> Results:
    """Each system's results with the commit, date, KB and testa slice they were measured on."""
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    facts = {"git_commit": git_commit(), "measured": when, "max_docs": args.max_docs,
             "kb_passages": kb["passages"], "kb_created": kb["created"]}
    return {name: {**result, **facts} for name, result in systems.items()}


def save(args: argparse.Namespace, results: Results, clock: Clock, started: float) -> None:
    """Write what has run so far, with the run's facts (a killed run keeps its finished systems)."""
    results["retrieval"]["last_run"] = {
        "git_commit": git_commit(), "systems": args.systems, "max_docs": args.max_docs,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "threads": args.threads},
        "seconds": dict(clock.seconds), "wall_seconds": round(time.monotonic() - started, 1)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, results)


if __name__ == "__main__":
    main()
