"""How much of NYT's held-back dev is memorisation: train-triplet overlap, a lookup baseline, a reader split by it.

    python benchmarks/nyt_memorization.py --data-root data/real-nyt
    python benchmarks/nyt_memorization.py --data-root data/real-nyt --reader data/real-nyt/re/reader

NYT's triplets are distantly supervised (Freebase facts aligned to sentences), so whether a pair
of mentions is labelled depends on the KB, not only on the sentence. This script measures, on the
`re/task_windows` of a `make real-nyt` run (our train part and held-back dev part of NYT dev):

- overlap: the share of held-back triplets whose (subject string, relation, object string) is a
  triplet of our train part;
- lookup baseline: every train triplet whose two argument strings both occur (as whole tokens) in
  a held-back window is predicted there; window-level P/R/F1 by strings;
- by train size: the overlap and the lookup baseline again with 1/8, 1/4, 1/2 and all of our train
  documents (nested subsets, chosen by a hash of the document id), i.e. how memorisable the
  held-back part becomes as train data grows;
- with `--reader`: the reader's window-level strict triplets (offsets, at its tuned thresholds),
  recall on seen and unseen gold triplets and precision on seen and unseen predictions, and for
  each train size above the F1 this reader's seen / unseen rates would give at that overlap (a
  projection, not a measurement: it holds those four rates fixed).

Window-level figures count a triplet once per window that holds it, so they differ slightly from
the document-level report (`relik-ml evaluate`).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import platform
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import torch

from relik_ml.io import write_json
from relik_ml.metrics.micro import Counts, match
from relik_ml.pipeline.artifacts import load_passages, load_windows
from relik_ml.types import Triplet, Window

StringTriplet = tuple[str, str, str]
TRAIN_FRACTIONS = (0.125, 0.25, 0.5, 1.0)  # the last one is all of our train part


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, default=Path("data/real-nyt"), help="data_root of params.real-nyt.yaml")
    parser.add_argument("--reader", type=Path, default=None, help="a trained RE reader directory (optional)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/nyt_memorization.json"))
    parser.add_argument("--threads", type=int, default=2)
    return parser.parse_args(argv)


def string_triplet(window: Window, triplet: Triplet) -> StringTriplet:
    subject, obj = triplet.subject, triplet.object
    return window.text[subject.start:subject.end], triplet.relation, window.text[obj.start:obj.end]


def scores(counts: Counts) -> dict[str, float | int]:
    return {"precision": round(counts.precision, 4), "recall": round(counts.recall, 4), "f1": round(counts.f1, 4),
            "tp": counts.tp, "predicted": counts.tp + counts.fp, "gold": counts.tp + counts.fn}


def lookup_baseline(train: Iterable[StringTriplet], dev: Sequence[Window]) -> dict[str, Any]:
    """Predict each train triplet in every dev window holding both argument strings as whole tokens."""
    known = set(train)
    gold = [(w.id, string_triplet(w, t)) for w in dev for t in w.triplets]
    padded = {w.id: f" {w.text} " for w in dev}
    guessed = [(w.id, k) for w in dev for k in known if f" {k[0]} " in padded[w.id] and f" {k[2]} " in padded[w.id]]
    return scores(match(gold, guessed))


def nested_train_subsets(train: Sequence[Window], fractions: Sequence[float]) -> dict[float, list[Window]]:
    """The windows of the first `fraction` of train documents in an order fixed by a hash of their ids."""
    documents = sorted({w.doc_id for w in train}, key=lambda d: hashlib.sha1(d.encode("utf-8")).hexdigest())
    subsets = {}
    for fraction in fractions:
        kept = set(documents[:round(fraction * len(documents))])
        subsets[fraction] = [w for w in train if w.doc_id in kept]
    return subsets


def memorisation_by_train_size(train: Sequence[Window], dev: Sequence[Window]) -> list[dict[str, Any]]:
    """Held-back overlap and lookup baseline with growing nested parts of our train documents."""
    dev_triplets = [string_triplet(w, t) for w in dev for t in w.triplets]
    rows = []
    for fraction, windows in nested_train_subsets(train, TRAIN_FRACTIONS).items():
        seen = {string_triplet(w, t) for w in windows for t in w.triplets}
        rows.append({"train_fraction": fraction, "train_documents": len({w.doc_id for w in windows}),
                     "dev_triplets_seen_in_train": round(sum(t in seen for t in dev_triplets) / max(1, len(dev_triplets)), 4),
                     "lookup_baseline": lookup_baseline(seen, dev)})
    return rows


def projected_f1(seen_share: float, seen: dict[str, Any], unseen: dict[str, Any]) -> float:
    """F1 of a reader with fixed seen / unseen recall and precision when `seen_share` of gold is seen."""
    found = seen_share * seen["recall"] + (1 - seen_share) * unseen["recall"]
    predicted = (seen_share * seen["recall"] / seen["precision"] if seen["precision"] else 0.0) + (
        (1 - seen_share) * unseen["recall"] / unseen["precision"] if unseen["precision"] else 0.0)
    precision = found / predicted if predicted else 0.0
    return round(2 * precision * found / (precision + found), 4) if precision + found else 0.0


def reader_breakdown(reader_dir: Path, data_root: Path, dev: Sequence[Window], seen: set[StringTriplet]) -> dict[str, Any]:
    """The reader's window-level strict triplets, split by whether their strings are train triplets."""
    from relik_ml.inference.reading import read_windows
    from relik_ml.metrics.relations import triplet_keys
    from relik_ml.pipeline.reading import reader_examples
    from relik_ml.reader.artifact import load_reader

    model, tokenizer = load_reader(reader_dir)
    relations = {p.id: p for p in load_passages(data_root / "re" / "relation_passages")}
    examples = reader_examples(dev, "dev", model.config, candidates_dir=None, kb={},
                               relation_candidates_dir=data_root / "re" / "relation_candidates", relations=relations)
    started = time.perf_counter()
    predictions = read_windows(model, tokenizer, examples, max_tokens=16 * model.config.max_input_tokens)
    seconds = time.perf_counter() - started
    text = {w.id: w.text for w in dev}

    def strings(key: tuple) -> StringTriplet:
        window_id, s_start, s_end, relation, o_start, o_end = key
        return text[window_id][s_start:s_end], relation, text[window_id][o_start:o_end]

    gold = {key for w in dev for key in triplet_keys(w.id, w.triplets)}
    kept = {key for p in predictions for key in triplet_keys(p.id, [t for t, _ in p.triplets])}
    is_seen = {key: strings(key) in seen for key in gold | kept}
    parts: dict[str, Any] = {"all": scores(match(gold, kept))}
    for name, wanted in (("seen", True), ("unseen", False)):
        gold_part = {k for k in gold if is_seen[k] == wanted}
        kept_part = {k for k in kept if is_seen[k] == wanted}
        parts[name] = {"recall": round(match(gold_part, kept).recall, 4), "gold": len(gold_part),
                       "precision": round(match(gold, kept_part).precision, 4), "predicted": len(kept_part)}
    thresholds = {k: getattr(model.config, k) for k in ("start_threshold", "end_threshold", "relation_threshold")}
    return {"reader": str(reader_dir), "thresholds": thresholds, "read_seconds": round(seconds, 1), **parts}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    train = load_windows([args.data_root / "re" / "task_windows" / "train"])
    dev = load_windows([args.data_root / "re" / "task_windows" / "dev"])
    by_size = memorisation_by_train_size(train, dev)
    results: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "threads": args.threads},
        "data_root": str(args.data_root),
        "train_windows": len(train), "dev_windows": len(dev),
        "dev_triplets": sum(len(w.triplets) for w in dev),
        "dev_triplets_seen_in_train": by_size[-1]["dev_triplets_seen_in_train"],
        "lookup_baseline": by_size[-1]["lookup_baseline"],
        "by_train_size": [{**{k: v for k, v in row.items() if k != "lookup_baseline"},
                           "lookup_f1": row["lookup_baseline"]["f1"]} for row in by_size],
    }
    if args.reader is not None:
        seen = {string_triplet(w, t) for w in train for t in w.triplets}
        reader = reader_breakdown(args.reader, args.data_root, dev, seen)
        results["reader"] = reader
        for row in results["by_train_size"]:
            row["projected_reader_f1"] = projected_f1(row["dev_triplets_seen_in_train"], reader["seen"], reader["unseen"])
    write_json(args.out, results)
    print(args.out.read_text())
    return results


if __name__ == "__main__":
    main()
