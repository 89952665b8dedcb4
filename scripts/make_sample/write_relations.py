"""Relation inventories: Wikidata properties file plus CoNLL04 and NYT definition files."""
from __future__ import annotations

import json
from pathlib import Path

from relik_ml.io import write_json
from scripts.make_sample.relations import CONLL04_RELATIONS, NYT_RELATIONS, PROPERTIES


def properties_document() -> dict:
    """The `{"total", "properties": {pid: {pid, label, description, datatype}}}` layout."""
    ordered = sorted(PROPERTIES, key=lambda pid: int(pid[1:]))
    table = {
        pid: {"pid": pid, "label": PROPERTIES[pid][0], "description": PROPERTIES[pid][2], "datatype": PROPERTIES[pid][1]}
        for pid in ordered
    }
    return {"total": len(table), "properties": table}


def write_relations(out: Path) -> dict[str, int]:
    for name in ("wikidata", "conll04", "nyt"):
        (out / name).mkdir(parents=True, exist_ok=True)
    document = properties_document()
    (out / "wikidata" / "properties.json").write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    write_json(out / "conll04" / "relations.json", CONLL04_RELATIONS)
    write_json(out / "nyt" / "relations.json", NYT_RELATIONS)
    external = sum(1 for p in document["properties"].values() if p["datatype"] == "external-id")
    return {"properties": document["total"], "external_id": external, "conll04": len(CONLL04_RELATIONS), "nyt": len(NYT_RELATIONS)}
