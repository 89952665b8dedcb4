"""cIE on the real REBEL sample and the RE-only ablation, one command (`make real-cie`).

Phases (params.real-cie.yaml states them; `--phase all` runs them in order):

1. kb: the entity KB by QID as KILT JSONL (`raw.kilt`): one page per REBEL lead (every document's
   `uri` + `title`, page identity, not an annotation) and every QID labelled in a *train* document
   (title: its most frequent train surface form, text: its other train surface forms, or the title
   when it has none: a passage text must not be blank). No dev or
   test label enters it. The RE-only branch's relation KB (`re.relations`): {PID: "label:
   description"} of the same Wikidata properties as `relation_passages`.
2. build: the shared upstream stages, then `cie/evaluation_report` and `re/evaluation_report` in two
   processes side by side (`--threads` torch threads each); wall time per stage.
3. report: both candidate models (`<branch>/evaluation_report/model`) on the held-back test part
   (in no stage of the lineage); the dev figures that selected them are read from their reports.

Writes benchmarks/results/real_cie_rebel.json: cIE triplet F1 (strict: both arguments' offsets
and QIDs and the relation), its P/R, EL inside cIE, RE-strict of cIE and of the RE-only reader,
data counts per part, KB size and coverage, budget, wall time per stage, git commit.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("train", "dev", "test")
BRANCHES = ("cie", "re")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=Path, default=ROOT / "params.real-cie.yaml")
    parser.add_argument("--phase", choices=("all", "kb", "build", "report"), default="all")
    parser.add_argument("--targets", nargs="*", default=None, help="build phase: the stages to build (default both "
                                                                   "branches' evaluation reports)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per build process / in the report")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "real_cie_rebel.json")
    parser.add_argument("--note", default="", help="report: how this run was executed, when not by the one command")
    return parser.parse_args(argv)


def load(params_path: Path):
    from relik_ml.config import load_params

    return load_params(params_path)


def split_settings(params) -> tuple[Path, int, int]:
    """The REBEL file and the hash split both branches state (they must agree)."""
    from relik_ml.stages.branch_config import branch_config
    from relik_ml.stages.branches import CIE, RE

    held = {b.prefix: branch_config(params, b).settings.held_out for b in (CIE, RE)}
    if held["cie"] != held["re"]:
        raise SystemExit(f"cie.held_out {held['cie']} and re.held_out {held['re']} differ: the ablation needs one split")
    source = params.raw.datasets[branch_config(params, CIE).settings.dataset]
    (path,) = source.splits[held["cie"].source_split]
    return params.resolve(path), held["cie"].dev_percent, held["cie"].test_percent


def part_of(doc_id: str, dev_percent: int, test_percent: int) -> str:
    from relik_ml.pipeline.relations import in_part

    return next(p for p in PARTS if in_part(doc_id, p, dev_percent, test_percent))


# ---------------------------------------------------------------- phase 1: KBs


def entity_kb(rebel: Path, dev_percent: int, test_percent: int) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """KILT pages: leads of every document + QIDs labelled in train documents."""
    from relik_ml.formats._common import is_qid
    from relik_ml.io import iter_jsonl

    leads: dict[str, str] = {}
    surfaces: dict[str, Counter] = defaultdict(Counter)
    for _, obj in iter_jsonl(rebel):
        if is_qid(str(obj.get("uri", ""))):
            leads.setdefault(obj["uri"], str(obj.get("title") or obj["uri"]))
        if part_of(obj["docid"], dev_percent, test_percent) != "train":
            continue
        for entity in obj.get("entities", []):
            if is_qid(entity["uri"]):
                surfaces[entity["uri"]][entity["surfaceform"]] += 1
    pages, titles = [], Counter()
    lead_titles: dict[str, set[str]] = defaultdict(set)
    for qid, title in leads.items():
        lead_titles[title].add(qid)
    for qid in sorted(set(leads) | set(surfaces), key=lambda q: int(q[1:])):
        forms = [form for form, _ in surfaces[qid].most_common()]
        title = leads.get(qid) or forms[0]
        titles[title] += 1
        pages.append({"qid": qid, "title": title, "aliases": [f for f in forms if f != title]})
    for page in pages:  # KILT pages are keyed by title: a title shared with a lead gets its QID appended
        if titles[page["title"]] > 1 and (page["qid"] not in leads or len(lead_titles[page["title"]]) > 1):
            page["title"] = f"{page['title']} ({page['qid']})"
    kilt = [{"_id": p["qid"], "wikipedia_id": p["qid"], "wikipedia_title": p["title"],
             "text": [p["title"] + "\n", ", ".join(p["aliases"] or [p["title"]]) + "\n"],
             "wikidata_info": {"wikidata_id": p["qid"]}} for p in pages]
    counts = {"entities": len(kilt), "leads": len(leads), "train_label_qids": len(surfaces),
              "train_label_qids_not_leads": len(set(surfaces) - set(leads))}
    return kilt, counts


def relation_definitions(properties: Path, params) -> dict[str, str]:
    """{PID: "label: description"} of the properties `relation_passages` keeps (same config)."""
    from relik_ml.formats import read_passages

    config = params.relation_passages
    passages = read_passages("wikidata", [properties], drop_datatypes=config.drop_datatypes,
                             require_description=config.require_description)
    return {p.id: f"{p.title}: {p.text}" if p.text else p.title for p in passages}


def phase_kb(params) -> dict[str, Any]:
    from relik_ml.io import atomic_file, write_json

    rebel, dev_percent, test_percent = split_settings(params)
    kilt, counts = entity_kb(rebel, dev_percent, test_percent)
    kilt_path = params.resolve(params.raw.kilt)
    kilt_path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(kilt_path) as handle:
        for page in kilt:
            handle.write(json.dumps(page, ensure_ascii=False) + "\n")
    from relik_ml.stages.branch_config import branch_config
    from relik_ml.stages.branches import RE

    definitions = relation_definitions(params.resolve(params.raw.wikidata_properties), params)
    relations_path = params.resolve(branch_config(params, RE).settings.relations)
    write_json(relations_path, definitions)
    print(f"kb: {counts['entities']} entities -> {kilt_path}; {len(definitions)} relations -> {relations_path}",
          flush=True)
    return {**counts, "relations": len(definitions)}


# ---------------------------------------------------------------- phase 2: build


def build(params, targets: list[str], threads: int) -> dict[str, dict[str, Any]]:
    """Build the targets and their upstream stages; wall seconds per stage (0 when reused)."""
    import torch

    from relik_ml.stages import STAGES, check_params, stage_call
    from relik_ml.stages.closure import upstream_closure
    from relik_ml.stages.memo import run_memoized

    torch.set_num_threads(threads)
    check_params(params)
    stages: dict[str, dict[str, Any]] = {}
    for name in upstream_closure(targets):
        stage = STAGES[name]
        for partition in stage.partitions(params) if stage.partitions else [None]:
            started = time.monotonic()
            _, _, reused = run_memoized(stage_call(name, params, partition), params)
            key = f"{name}[{partition}]" if partition else name
            stages[key] = {"seconds": round(time.monotonic() - started, 1), "reused": reused}
            print(f"[{time.strftime('%H:%M:%S')}] {'reused' if reused else 'built '} {key} "
                  f"{stages[key]['seconds']}s", flush=True)
    return stages


def timings_path(params, name: str) -> Path:
    return params.data_root / f"stage_seconds.{name}.json"


def phase_build(params, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    from relik_ml.io import write_json

    if args.targets:  # one build process (the branches' runs below call this)
        stages = build(params, args.targets, args.threads)
        write_json(timings_path(params, "+".join(t.replace("/", "_") for t in args.targets)), stages)
        return stages
    shared = build(params, ["backbones", "relation_passages", "cie/task_windows", "re/task_windows"], args.threads)
    write_json(timings_path(params, "shared"), shared)
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    runs = {branch: subprocess.Popen(
        [sys.executable, __file__, "--params", str(args.params), "--phase", "build", "--threads", str(args.threads),
         "--targets", f"{branch}/evaluation_report"], env=env) for branch in BRANCHES}
    failed = [branch for branch, run in runs.items() if run.wait() != 0]
    if failed:
        raise SystemExit(f"build of {failed} failed (see the log above)")
    return recorded_stage_seconds(params)


def recorded_stage_seconds(params) -> dict[str, Any]:
    from relik_ml.io import read_json

    stages: dict[str, Any] = {}
    for path in sorted(params.data_root.glob("stage_seconds.*.json")):
        for key, value in read_json(path).items():
            if not value["reused"] or key not in stages:
                stages[key] = value
    return stages


# ---------------------------------------------------------------- phase 3: report


def documents_by_part(params) -> dict[str, list]:
    from relik_ml.formats import read_documents

    rebel, dev_percent, test_percent = split_settings(params)
    parts: dict[str, list] = {p: [] for p in PARTS}
    for doc in read_documents("rebel", [rebel]):
        parts[part_of(doc.id, dev_percent, test_percent)].append(doc)
    return parts


def part_counts(parts: dict[str, list]) -> dict[str, dict[str, int]]:
    from relik_ml.types import NME

    return {part: {"documents": len(docs), "entity_spans": sum(len(d.spans) for d in docs),
                   "qid_spans": sum(s.label != NME for d in docs for s in d.spans),
                   "literal_spans": sum(s.label == NME for d in docs for s in d.spans),
                   "triplets": sum(len(d.triplets) for d in docs)} for part, docs in parts.items()}


def kb_coverage(kb_ids: set[str], parts: dict[str, list]) -> dict[str, dict[str, Any]]:
    """Share of the dev / test gold QID mentions in the KB, and the gold triplets a cIE model can get
    right at all (every QID argument in the KB; a literal argument needs no link): cIE recall's bound."""
    from relik_ml.types import NME

    out = {}
    for part in ("dev", "test"):
        spans = [s for d in parts[part] for s in d.spans if s.label != NME]
        triplets = [t for d in parts[part] for t in d.triplets]
        reachable = [t for t in triplets if all(a.label == NME or a.label in kb_ids for a in (t.subject, t.object))]
        out[part] = {"gold_qid_mentions": len(spans), "covered": sum(s.label in kb_ids for s in spans),
                     "coverage": round(100 * sum(s.label in kb_ids for s in spans) / max(len(spans), 1), 2),
                     "gold_triplets": len(triplets), "triplets_reachable": len(reachable),
                     "cie_recall_bound": round(100 * len(reachable) / max(len(triplets), 1), 2)}
    return out


def pct(metric: dict[str, Any]) -> dict[str, Any]:
    return {"f1": round(100 * metric["f1"], 2), "precision": round(100 * metric["precision"], 2),
            "recall": round(100 * metric["recall"], 2), "tp": metric["tp"], "fp": metric["fp"], "fn": metric["fn"]}


def value(branches: dict[str, Any], branch: str, split: str, metric: str, field: str | None = None) -> Any:
    """One figure of a branch's report (None while the branch is not built)."""
    found = (branches.get(branch) or {}).get(split, {}).get(metric)
    return found if found is None or field is None else found[field]


def retriever_recalls(params) -> dict[str, Any]:
    """Dev recall@K of each trained retriever, before training (the backbone) and the kept weights."""
    from relik_ml.io import read_manifest

    out = {}
    for name in ("cie/retriever", "cie/relation_retriever", "re/relation_retriever"):
        directory = params.artifact_dir(name)
        if (directory / "manifest.json").exists():
            m = read_manifest(directory)
            out[name] = {"k": m["config"]["train"]["eval_k"], "untrained": round(100 * m["initial_dev_recall"], 2),
                         "trained": round(100 * m["best_dev_recall"], 2), "steps": m["counts"]["steps"],
                         "seconds": m["seconds"]}
    return out


def cached_test_result(params, branch: str, report_dir: Path, evaluate) -> dict[str, Any]:
    """The test evaluation of the branch's current candidate model, computed once per model (keyed by the
    report's creation time), so a report rerun after one branch finishes does not redo the other."""
    from relik_ml.io import read_json, read_manifest, write_json

    created, path = read_manifest(report_dir)["created"], params.artifact_dir(branch) / "test_result.json"
    if path.exists() and read_json(path).get("model_created") == created:
        return read_json(path)["result"]
    result = evaluate()
    write_json(path, {"model_created": created, "result": result})
    return result


def branch_report(params, branch: str, test_docs: list, threads: int) -> dict[str, Any] | None:
    from relik_ml.evaluation.evaluate import evaluate_model
    from relik_ml.inference import Relik
    from relik_ml.io import read_json, read_manifest

    report_dir = params.artifact_dir(f"{branch}/evaluation_report")
    if not (report_dir / "manifest.json").exists():
        print(f"report: {branch}/evaluation_report is not built; its figures are null", flush=True)
        return None
    test = cached_test_result(params, branch, report_dir, lambda: evaluate_model(
        Relik.from_pretrained(report_dir / "model", threads=threads), test_docs, dataset_name="rebel-test"))
    (dev,) = read_manifest(report_dir)["extra"]["results"]
    reader = read_manifest(params.artifact_dir(f"{branch}/reader"))
    keys = ("re_strict", "cie", "triplet_el", "inkb_el", "inkb_el_covered", "mention_detection")
    return {
        "test": {k: pct(test["metrics"][k]) for k in keys if k in test["metrics"]},
        "dev": {k: pct(dev["metrics"][k]) for k in keys if k in dev["metrics"]},
        "test_kb": test.get("kb"),
        "test_seconds": round(test["ait_seconds"], 1),
        "reader": {k: reader.get(k) for k in ("counts", "extra") if k in reader},
        "relik_settings": read_json(report_dir / "model" / "relik.json"),
    }


def budget(params) -> dict[str, Any]:
    from relik_ml.stages.branch_config import branch_config
    from relik_ml.stages.branches import CIE, RE

    out = {}
    for b in (CIE, RE):
        sections = branch_config(params, b).sections
        out[b.prefix] = {
            "reader": {"backbone": sections["reader"].backbone, **{k: sections["reader"].train.get(k) for k in (
                "max_steps", "token_batch_size", "learning_rate", "head_learning_rate", "warmup_steps",
                "val_check_interval", "monitor")}},
            **{name: {"backbone": sections[name].backbone, "max_steps": sections[name].train.max_steps,
                      "max_epochs": sections[name].train.max_epochs, "batch_size": sections[name].train.batch_size,
                      "passages_per_batch": sections[name].train.passages_per_batch}
               for name in ("retriever", "relation_retriever") if name in sections},
        }
    return out


def git_commit() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def phase_report(params, args: argparse.Namespace, kb: dict[str, Any], stages: dict[str, Any],
                 seconds: dict[str, float]) -> dict[str, Any]:
    from relik_ml.io import write_json
    from relik_ml.pipeline.artifacts import load_passages

    started = time.monotonic()
    parts = documents_by_part(params)
    kb_ids = {p.id for p in load_passages(params.artifact_dir("cie/entity_passages"))}
    _, dev_percent, test_percent = split_settings(params)
    branches = {b: branch_report(params, b, parts["test"], args.threads) for b in BRANCHES}
    seconds["report"] = round(time.monotonic() - started, 1)
    coverage = kb_coverage(kb_ids, parts)
    cie_tp = value(branches, "cie", "test", "cie", "tp")
    results = {
        "benchmark": "real_cie_rebel",
        "command": "make real-cie",
        "params": str(args.params.relative_to(ROOT) if args.params.is_absolute() else args.params),
        "data": "../shared/data/rebel-sample/sample.jsonl (Babelscape/rebel data/rebel/sample.jsonl)",
        "split": {"hash": "sha1(docid)[:8] as int % 100", "dev_buckets": f"0-{dev_percent - 1}",
                  "test_buckets": f"{dev_percent}-{dev_percent + test_percent - 1}",
                  "train_buckets": f"{dev_percent + test_percent}-99",
                  "selected_on": "dev (reader weights by val/triplet_f1_tuned, span + relation thresholds, "
                                 "retrievers by dev recall@K)",
                  "reported_on": "test (in no stage of the lineage)"},
        "counts": part_counts(parts),
        "kb": {**kb, "entity_passages": len(kb_ids), "coverage": coverage,
               "built_from": "REBEL leads (uri + title of every document) + QIDs labelled in train documents"},
        "retrievers_dev_recall_at_k": retriever_recalls(params),
        "headline": {
            "cie_triplet_f1_test": value(branches, "cie", "test", "cie", "f1"),
            "cie_triplet_precision_test": value(branches, "cie", "test", "cie", "precision"),
            "cie_triplet_recall_test": value(branches, "cie", "test", "cie", "recall"),
            "el_f1_inside_cie_test": value(branches, "cie", "test", "inkb_el", "f1"),
            "triplet_argument_el_f1_test": value(branches, "cie", "test", "triplet_el", "f1"),
            "cie_recall_bound_test": coverage["test"]["cie_recall_bound"],
            "cie_recall_of_reachable_test": None if cie_tp is None else round(
                100 * cie_tp / max(coverage["test"]["triplets_reachable"], 1), 2),
            "cie_re_strict_f1_test": value(branches, "cie", "test", "re_strict", "f1"),
            "re_only_re_strict_f1_test": value(branches, "re", "test", "re_strict", "f1"),
        },
        "ablation": {
            "what": "RE strict (offsets + relation, links ignored) of the cIE reader (RE conditioned on entity "
                    "candidates) vs the RE-only reader (no entity candidates), same documents, split, relation KB, "
                    "relation retriever budget and reader budget (ReLiK A.4.2: 76.0 vs 75.4 on full REBEL)",
            **{f"{name}_re_strict_{split}": value(branches, b, split, "re_strict")
               for name, b in (("cie", "cie"), ("re_only", "re")) for split in ("test", "dev")},
        },
        "branches": branches,
        "budget": {**budget(params), "threads_per_training_process": args.threads,
                   "machine": f"{os.cpu_count()} CPU cores, shared", "parallel": "cie and re built side by side"},
        "wall_seconds": {**seconds, "stages": stages},
        "git_commit": git_commit(),
        **({"run_note": args.note} if args.note else {}),
    }
    write_json(args.out, results)
    print(json.dumps(results["headline"], indent=2))
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    params = load(args.params)
    seconds: dict[str, float] = {}
    if args.phase == "kb":
        phase_kb(params)
        return 0
    if args.phase == "build":
        phase_build(params, args)
        return 0
    started = time.monotonic()
    kb = phase_kb(params)
    seconds["kb"] = round(time.monotonic() - started, 1)
    if args.phase == "all":
        started = time.monotonic()
        stages = phase_build(params, args)
        seconds["build"] = round(time.monotonic() - started, 1)
    else:  # report only: the stage times the last build recorded
        stages = recorded_stage_seconds(params)
    phase_report(params, args, kb, stages, seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
