"""benchmarks/real_cie_rebel.py without training: the entity KB holds no dev / test label, and the
split parts and the KB coverage it reports are counted from the real REBEL format."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from relik_ml.formats import read_documents
from relik_ml.pipeline.relations import in_part
from relik_ml.types import NME
from tests.paths import SAMPLE

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))  # the benchmarks import as scripts

import real_cie_rebel  # noqa: E402

REBEL = SAMPLE / "rebel" / "sample.jsonl"


def _records() -> list[dict]:
    return [json.loads(line) for line in REBEL.read_text().splitlines()]


def test_the_entity_kb_is_the_leads_and_the_train_labels_only():
    kilt, counts = real_cie_rebel.entity_kb(REBEL, 20, 20)
    qids = {page["wikidata_info"]["wikidata_id"] for page in kilt}
    records = _records()
    leads = {r["uri"] for r in records}
    train = {e["uri"] for r in records if in_part(r["docid"], "train", 20, 20) for e in r["entities"]
             if e["uri"].startswith("Q")}
    held = {e["uri"] for r in records if not in_part(r["docid"], "train", 20, 20) for e in r["entities"]
            if e["uri"].startswith("Q")}
    assert qids == leads | train
    assert held - leads - train and not (held - leads - train) & qids  # a dev / test-only label stays out
    assert counts["entities"] == len(kilt) and counts["leads"] == len(leads)
    titles = [page["wikipedia_title"] for page in kilt]
    assert len(set(titles)) == len(titles)  # KILT pages are keyed by title
    assert all(page["text"][1].strip() for page in kilt)  # no blank passage text


def test_parts_and_coverage_count_every_document_once():
    documents = read_documents("rebel", [REBEL])
    parts = {p: [d for d in documents if in_part(d.id, p, 20, 20)] for p in real_cie_rebel.PARTS}
    counts = real_cie_rebel.part_counts(parts)
    assert sum(c["documents"] for c in counts.values()) == len(documents)
    assert sum(c["triplets"] for c in counts.values()) == sum(len(d.triplets) for d in documents)
    kilt, _ = real_cie_rebel.entity_kb(REBEL, 20, 20)
    kb = {page["wikidata_info"]["wikidata_id"] for page in kilt}
    coverage = real_cie_rebel.kb_coverage(kb, parts)
    for part in ("dev", "test"):
        spans = [s for d in parts[part] for s in d.spans if s.label != NME]
        assert coverage[part]["gold_qid_mentions"] == len(spans)
        assert coverage[part]["covered"] == sum(s.label in kb for s in spans)
        assert coverage[part]["triplets_reachable"] <= coverage[part]["gold_triplets"]
