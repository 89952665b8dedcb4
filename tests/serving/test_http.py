"""A real `relik-ml serve` process with the tiny model, on a free loopback port, talked to over HTTP."""
from __future__ import annotations

import json
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from relik_ml.inference.model_dir import write_model_files
from relik_ml.inference.settings import RelikSettings
from relik_ml.io import atomic_directory, read_json, write_jsonl
from relik_ml.types import NME
from tests.serving.fuzz import FuzzTally, fuzz_annotate_bodies, fuzz_schema
from tests.serving.server import ServerProcess

LIMITS = ("--max-text-chars", "2000", "--max-texts", "8", "--max-body-bytes", "40000")
SENTENCE = "Paris is the capital of France and Berlin is the capital of Germany."


@pytest.fixture(scope="module")
def served(model_dir, tmp_path_factory) -> Path:
    """A copy of the tiny model directory that the reload test replaces."""
    directory = tmp_path_factory.mktemp("served") / "model"
    shutil.copytree(model_dir, directory)
    return directory


@pytest.fixture(scope="module")
def server(served, tmp_path_factory):
    process = ServerProcess(served, "--threads", "1", "--max-wait-ms", "20", "--reload-poll-s", "0.2", *LIMITS,
                            log=tmp_path_factory.mktemp("serve-log") / "serve.log")
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def test_health_ready_and_schema(client, served):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    assert ready.json()["model"] == str(served)
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/annotate", "/gerbil", "/health", "/ready"} <= set(paths)
    body = paths["/annotate"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["text"]["maxLength"] == 2000 and body["properties"]["texts"]["maxItems"] == 8


def test_annotate_one_text_answers_the_cli_record(client):
    record = client.post("/annotate", json={"text": SENTENCE}).json()
    assert record["id"] == "0" and record["text"] == SENTENCE and record["triplets"] == []
    assert record["spans"], "the tiny reader predicts spans on every window"
    for span in record["spans"]:
        assert set(span) == {"start", "end", "text", "label", "title", "score"}
        assert SENTENCE[span["start"] : span["end"]] == span["text"]


def test_annotate_many_texts_keeps_order_and_ids(client):
    texts = ["Tokyo and Beijing.", "", "Moscow is in Russia.", "   "]
    records = client.post("/annotate", json={"texts": texts, "top_k": 3}).json()
    assert [r["id"] for r in records] == ["0", "1", "2", "3"]
    assert [r["text"] for r in records] == texts
    assert records[1]["spans"] == [] and records[3]["spans"] == []


def test_given_mentions_are_the_spans_linked(client):
    records = client.post("/annotate", json={"texts": [SENTENCE, "Tokyo."], "mentions": [[[0, 5], [24, 30]], []]}).json()
    assert [(s["start"], s["end"]) for s in records[0]["spans"]] == [(0, 5), (24, 30)]
    assert records[1]["spans"] == []
    one = client.post("/annotate", json={"text": SENTENCE, "mentions": [[0, 5]]}).json()
    assert [(s["start"], s["end"], s["text"]) for s in one["spans"]] == [(0, 5, "Paris")]


def test_concurrent_requests_are_batched_and_routed_back(client):
    texts = [f"{city} is a city number {i}." for i, city in enumerate(["Paris", "Lyon", "Cairo", "London"] * 4)]
    before = client.get("/ready").json()["batches"]
    with ThreadPoolExecutor(len(texts)) as pool:
        answers = list(pool.map(lambda text: client.post("/annotate", json={"text": text}), texts))
    assert [a.status_code for a in answers] == [200] * len(texts)
    assert [a.json()["text"] for a in answers] == texts  # each request got its own record back
    batches = client.get("/ready").json()["batches"] - before
    assert batches < len(texts), f"{len(texts)} concurrent requests were read in {batches} model calls"


@pytest.mark.parametrize(
    ("body", "status", "field", "words"),
    [
        ({"text": "x" * 2001}, 422, "text", "at most 2000 characters per text, got 2001"),
        ({"texts": ["a"] * 9}, 422, "texts", "at most 8 texts per request, got 9"),
        ({"texts": ["ok", 3]}, 422, "texts[1]", "expected a string, got 3"),
        ({"text": "ok", "top_k": 0}, 422, "top_k", "expected an integer >= 1, got 0"),
        ({"text": "ok", "top_k": "5"}, 422, "top_k", "expected an integer >= 1, got '5'"),
        ({"text": "ok", "top_k": 99}, 422, "top_k", "from 1 to the reader's max_candidates (8), got 99"),
        ({"text": "ok", "texts": ["ok"]}, 422, "text", 'give either "text"'),
        ({"txt": "ok"}, 422, "txt", "unknown field"),
        ({"text": "ok", "mentions": [[0, 3]]}, 422, "mentions[0]", "expected 0 <= start < end <= 2"),
        ({"texts": ["ok", "ok"], "mentions": [[]]}, 422, "mentions", "one list of [start, end] pairs per text (2)"),
        ({"texts": ["ok"], "mentions": [[[1, "2"]]]}, 422, "mentions[0][0]", "a [start, end] pair of integers"),
        ({"texts": ["a " * 25_000]}, 413, "body", "at most 40000 are accepted"),
    ],
)
def test_bad_requests_are_4xx_naming_the_field(client, body, status, field, words):
    answer = client.post("/annotate", json=body)
    assert answer.status_code == status, answer.text
    assert answer.json()["field"] == field and words in answer.json()["detail"]


def test_gerbil_bodies_are_bounded_like_annotate(client):
    answer = client.post("/gerbil", content=b"#" * 50_000, headers={"content-type": "application/x-turtle"})
    assert answer.status_code == 413, answer.text
    assert answer.json()["field"] == "body" and "at most 40000 are accepted" in answer.json()["detail"]


def test_lone_surrogate_is_422_worded_as_the_cli(client):
    body = b'{"texts": ["fine", "bad \\ud800 text"]}'  # JSON escapes decode to a lone surrogate
    answer = client.post("/annotate", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    assert answer.json() == {"detail": "field 'texts[1]': lone surrogate U+D800 at character 4 (not valid Unicode)",
                             "field": "texts[1]"}


def test_malformed_bodies_are_422(client):
    for body in (b"{", b"[1, 2]", b"\xff\xfe", b"[" * 50_000 + b"]" * 50_000):
        answer = client.post("/annotate", content=body[:39_000], headers={"content-type": "application/json"})
        assert answer.status_code == 422 and answer.json()["field"] == "body", (body[:20], answer.text)


def test_schema_and_hostile_body_fuzz_never_500(server):
    tally = FuzzTally()
    fuzz_schema(server.url, 8, tally)
    fuzz_annotate_bodies(server.url, 25, tally)
    assert tally.requests >= 50
    assert tally.failures == []


def test_replaced_model_directory_is_served_without_a_failed_request(client, served):
    """Runs last in the module: the directory is replaced by a model whose titles end in " (v2)"."""
    statuses: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=client.base_url, timeout=60) as own:
            while not stop.is_set():
                statuses.append(own.post("/annotate", json={"text": SENTENCE}).status_code)

    worker = threading.Thread(target=hammer)
    worker.start()
    try:
        time.sleep(0.5)
        _replace_with_renamed_titles(served, " (v2)")
        deadline = time.monotonic() + 60
        while client.get("/ready").json()["reloads"] < 1:
            assert time.monotonic() < deadline, "the replaced directory was not reloaded within 60 s"
            time.sleep(0.1)
        time.sleep(0.3)
    finally:
        stop.set()
        worker.join()
    assert statuses and set(statuses) == {200}, f"{len(statuses)} requests during the swap: {set(statuses)}"
    spans = client.post("/annotate", json={"text": SENTENCE}).json()["spans"]
    titles = {s["title"] for s in spans if s["label"] != NME}  # an NME span has no title
    assert titles and all(t.endswith(" (v2)") for t in titles), titles


def _replace_with_renamed_titles(directory: Path, suffix: str) -> None:
    """Write a second model (passage titles + `suffix`) over `directory` with `atomic_directory`."""
    with atomic_directory(directory) as tmp:
        shutil.copytree(directory, tmp, dirs_exist_ok=True)
        passages = [json.loads(line) for line in (tmp / "passages.jsonl").read_text(encoding="utf-8").splitlines()]
        write_jsonl(tmp / "passages.jsonl", [{**p, "title": p["title"] + suffix} for p in passages])
        write_model_files(tmp, RelikSettings.from_json(read_json(tmp / "relik.json")))
