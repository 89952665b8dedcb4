"""KB-dump automation end to end: a dump dropped in the landing folder → sensor → run on a real
instance → the promoted model retrieves and links the new entities, without retraining; the
emerging-entity schedule re-applies the newest dump to a model that lacks it.

The promoted model is small but real where it matters: an all-MiniLM-L6-v2 retriever (zero-shot,
never trained on these entities), a Flat index over KILT passages, and a MiniLM reader trained for
80 steps on made-up names (tests/assets/name_linker.py), so it has never seen these entities either.
"""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import pytest
import torch
import yaml

from relik_ml.errors import InputError
from relik_ml.index import PassageIndex
from relik_ml.landing import parse_key, scan_landing
from tests.paths import ROOT

SAMPLE_KILT = ROOT / "data" / "sample" / "kilt" / "knowledge_source.jsonl"
OLD_PAGES = 40
NEW_PAGES = {
    "Zorblax Quantum Foundry": "Zorblax Quantum Foundry is a semiconductor start-up in Tallinn that makes photonic chips.",
    "Mirela Vantongeren": "Mirela Vantongeren is a Dutch astrophysicist who studies brown dwarfs at Leiden Observatory.",
    "Kwazimodo Lagoon": "Kwazimodo Lagoon is a shallow lagoon on the coast of Vrendia, known for flamingos.",
}
MENTIONS = {  # a text mentioning each new entity, and the mention's character span
    "Zorblax Quantum Foundry": "Zorblax Quantum Foundry opened a chip plant in Tallinn last week .",
    "Mirela Vantongeren": "The astrophysicist Mirela Vantongeren spoke about brown dwarfs in Leiden .",
    "Kwazimodo Lagoon": "Tourists watched flamingos in the Kwazimodo Lagoon last summer .",
}


def kilt_page(title: str, text: str, page_id: int) -> dict:
    return {"_id": str(page_id), "wikipedia_id": str(page_id), "wikipedia_title": title,
            "text": [f"{title}\n", f"{text}\n"], "anchors": []}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> dict:
    """params.yaml in a temp root, an old KILT KB, and a promoted model built on it."""
    from relik_ml.backbones import resolve_backbone
    from relik_ml.config import EntityPassagesConfig
    from relik_ml.index import IndexConfig
    from relik_ml.inference import RelikSettings, assemble_model_dir
    from relik_ml.pipeline import entity_passages
    from relik_ml.pipeline.refresh import load_kb
    from relik_ml.retriever.config import RetrieverConfig
    from relik_ml.retriever.encoder import Retriever
    from tests.assets.name_linker import train_name_linker

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("automation")
    old_lines = SAMPLE_KILT.read_text(encoding="utf-8").splitlines()[:OLD_PAGES]
    (root / "old_kilt.jsonl").write_text("\n".join(old_lines) + "\n", encoding="utf-8")
    entity_passages(root / "old_kilt.jsonl", EntityPassagesConfig(), root / "old_passages")
    passages = list(load_kb(root / "old_passages").values())

    parts = root / "parts"
    retriever = Retriever.from_backbone(RetrieverConfig(backbone=str(resolve_backbone("minilm-l6"))))
    retriever.save_pretrained(parts / "retriever")
    embeddings = retriever.encode_passages(passages)
    PassageIndex.build(embeddings, [p.id for p in passages], IndexConfig(recall_check_queries=0)).save(parts / "index")
    train_name_linker(parts / "reader")
    promoted = root / "data" / "el" / "promoted_model"
    assemble_model_dir(promoted, retriever_dir=parts / "retriever", index_dir=parts / "index",
                       passages=root / "old_passages", reader_dir=parts / "reader",
                       settings=RelikSettings(top_k=5, batch_size=16))
    shutil.copytree(promoted, root / "model_before")

    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["paths"] = {"data_root": str(root / "data")}
    params["automation"] = {**params.get("automation", {}), "landing": str(root / "landing"), "settle_s": 0}
    (root / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    return {"root": root, "promoted": promoted, "old_lines": old_lines, "params": root / "params.yaml"}


def drop_new_dump(project: dict) -> Path:
    """The next KILT snapshot: page 5 deleted, page 6 rewritten, three new pages; copied then renamed."""
    lines = [json.loads(line) for line in project["old_lines"]]
    removed, changed = lines[5]["wikipedia_title"], lines[6]["wikipedia_title"]
    lines = [p for p in lines if p["wikipedia_title"] != removed]
    for page in lines:
        if page["wikipedia_title"] == changed:
            page["text"] = [f"{changed}\n", f"{changed} was entirely rewritten in the new dump.\n"]
    lines += [kilt_page(title, text, 900000 + i) for i, (title, text) in enumerate(NEW_PAGES.items())]
    folder = project["root"] / "landing" / "kilt"
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / "kilt-2026-12.jsonl.part"
    partial.write_text("".join(json.dumps(p) + "\n" for p in lines), encoding="utf-8")
    project.update(removed=removed, changed=changed)
    return partial.rename(folder / "kilt-2026-12.jsonl")


def run_request(defs: dg.Definitions, instance: dg.DagsterInstance, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
    """Execute a requested run on the instance, as the daemon would launch it."""
    job = defs.resolve_job_def(request.job_name)
    return job.execute_in_process(instance=instance, partition_key=request.partition_key, tags=request.tags)


def refresh_metadata(instance: dg.DagsterInstance, key: str) -> dict:
    event = instance.get_latest_materialization_event(dg.AssetKey(["el", "promoted_model_refresh"]))
    materialization = event.asset_materialization
    assert materialization.partition == key
    return {k: v.value for k, v in materialization.metadata.items()}


def test_dump_in_landing_folder_makes_new_entities_linkable(project, tmp_path):
    from relik_assets.definitions import build_definitions
    from relik_ml.inference import Relik
    from relik_ml.types import Document
    from relik_ml.windows import make_windows

    before = PassageIndex.load(project["promoted"] / "index")
    assert not set(NEW_PAGES) & set(before.ids)
    defs = build_definitions(project["params"], dvc_enabled=False)
    sensor = defs.get_sensor_def("kb_dump_sensor")
    resources = {"project": defs.resources["project"]}
    with dg.instance_for_test() as instance:
        empty = sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert not empty.run_requests and "no new dump" in empty.skip_reason.skip_message

        dump = drop_new_dump(project)
        result = sensor(dg.build_sensor_context(instance=instance, resources=resources))
        [request] = result.run_requests
        [partitions] = result.dynamic_partitions_requests
        assert request.partition_key == partitions.partition_keys[0] and parse_key(request.partition_key) == ("kilt", None)
        assert request.job_name == "kb_dump_refresh" and request.tags["relik/dump"] == str(dump)
        instance.add_dynamic_partitions(partitions.partitions_def_name, list(partitions.partition_keys))
        assert run_request(defs, instance, request).success

        metadata = refresh_metadata(instance, request.partition_key)
        assert (metadata["count/added"], metadata["count/updated"], metadata["count/removed"]) == (3, 1, 1)
        assert metadata["count/embedded"] == 4 and metadata["count/size"] == OLD_PAGES + 2

        again = sensor(dg.build_sensor_context(instance=instance, resources=resources, cursor=result.cursor))
        assert not again.run_requests  # the same file is not a new dump

    old = Relik.from_pretrained(project["root"] / "model_before")
    relik = Relik.from_pretrained(project["promoted"])
    assert project["removed"] not in relik.entities.index and project["removed"] not in relik.entities.passages
    for title, text in MENTIONS.items():
        mention = [[(text.index(title), text.index(title) + len(title))]]
        with pytest.raises(InputError, match="not in the KB"):
            old(text, mentions=mention, candidates=[[title]])  # before the refresh: not even a candidate
        windows = make_windows(Document("0", text), relik.settings.window_config)[0]
        [ranked] = relik.retrieve(windows, top_k=3)
        assert ranked[0].passage_id == title, (text, ranked)  # retrieved first, by the untouched retriever
        [(span, _)] = relik(text, mentions=mention, top_k=3).spans  # given the mention: linked among 3
        assert span.label == title, (text, span)
        # plain annotation: the reader finds the mention itself (its boundaries may be off after
        # 80 steps) and links it to the new entity
        start, end = mention[0][0]
        linked = [(s.start, s.end, s.label) for s, _ in relik(text, top_k=3).spans]
        assert any(s < end and start < e and label == title for s, e, label in linked), (text, linked)
    manifest = json.loads((project["promoted"] / "manifest.json").read_text())
    assert manifest["refresh"]["added"] == 3 and manifest["refresh"]["source"].endswith(request.partition_key)


def test_schedule_reapplies_the_newest_dump_to_a_model_without_it(project, tmp_path):
    from relik_assets.definitions import build_definitions

    defs = build_definitions(project["params"], dvc_enabled=False)
    schedule = defs.get_schedule_def("emerging_entities_schedule")
    if not scan_landing(project["root"] / "landing").dumps:
        drop_new_dump(project)
    key = scan_landing(project["root"] / "landing").dumps[0].key
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime(2026, 12, 1, 3, tzinfo=timezone.utc))
        assert isinstance(schedule(context), dg.SkipReason)  # no dump registered yet
        instance.add_dynamic_partitions("kb_dumps", [key])
        assert run_request(defs, instance, dg.RunRequest(partition_key=key, job_name="kb_dump_refresh")).success

        # A model promoted later, trained on the old KB, replaces the refreshed one.
        shutil.rmtree(project["promoted"])
        shutil.copytree(project["root"] / "model_before", project["promoted"])
        [request] = schedule(context)
        assert request.partition_key == key
        assert run_request(defs, instance, dg.RunRequest(partition_key=key, job_name="emerging_entities_refresh")).success
        metadata = refresh_metadata(instance, key)
        assert (metadata["count/added"], metadata["count/removed"], metadata["count/embedded"]) == (3, 1, 4)
        assert set(NEW_PAGES) <= set(PassageIndex.load(project["promoted"] / "index").ids)

        assert run_request(defs, instance, dg.RunRequest(partition_key=key, job_name="emerging_entities_refresh")).success
        assert refresh_metadata(instance, key)["count/embedded"] == 0  # already up to date: nothing embedded


def test_landing_folder_layout(tmp_path):
    (tmp_path / "kilt").mkdir()
    (tmp_path / "damuel" / "es").mkdir(parents=True)
    (tmp_path / "kilt" / "a.jsonl").write_text("{}\n")
    (tmp_path / "kilt" / "b.jsonl.part").write_text("{}\n")  # still being copied
    (tmp_path / "damuel" / "es" / "part-0.xz").write_bytes(b"x")
    (tmp_path / "stray.jsonl").write_text("{}\n")
    scan = scan_landing(tmp_path)
    assert [(d.kind, d.language) for d in scan.dumps] == [("damuel", "es"), ("kilt", None)]
    assert scan.ignored == ("stray.jsonl: not under one of kilt, wikidata_properties, damuel/",)
    assert scan_landing(tmp_path, scan.cache).dumps == scan.dumps
    (tmp_path / "kilt" / "a.jsonl").write_text('{"changed": true}\n')
    assert scan_landing(tmp_path, scan.cache).dumps[1].key != scan.dumps[1].key
    assert scan_landing(tmp_path, settle_s=3600).dumps == ()  # too fresh to count as landed
    with pytest.raises(InputError, match="not a KB dump key"):
        parse_key("kilt")
