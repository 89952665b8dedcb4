"""`POST /gerbil`: real NIF documents (Reuters-128, OKE 2015) posted as GERBIL posts them, through a
FastAPI app with the router and a runner over the tiny model; answers read back by the NIF reader."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from starlette.concurrency import run_in_threadpool

from relik_ml.formats._common import title_from_url
from relik_ml.formats.nif import parse_nif, read_nif
from relik_ml.serving.gerbil import TURTLE, build_router, dbpedia_uri, given_phrases, to_turtle
from relik_ml.types import NME, Document

pytestmark = pytest.mark.shared_data


class RelikRunner:
    """The runner protocol over a `Relik`, one call per request (no micro-batching)."""

    def __init__(self, relik) -> None:  # noqa: ANN001
        self.relik = relik

    async def annotate(self, texts, *, top_k=None, mentions=None):  # noqa: ANN001, ANN201
        return await run_in_threadpool(lambda: self.relik(texts, top_k=top_k, mentions=mentions))


@pytest.fixture(scope="module")
def client(relik) -> TestClient:
    app = FastAPI()
    runner = RelikRunner(relik)
    app.include_router(build_router(lambda: runner))
    return TestClient(app)


@pytest.fixture(scope="module")
def reuters(shared_data: Path) -> list[Document]:
    return read_nif(shared_data / "n3-reuters-128" / "Reuters-128.ttl")[:4]


@pytest.fixture(scope="module")
def oke(shared_data: Path) -> list[Document]:
    return read_nif(shared_data / "oke-2015" / "oke2015_task1_evaluation-dataset-task1.ttl")[:3]


def _post(client: TestClient, turtle: str | bytes, **params) -> object:
    return client.post("/gerbil", content=turtle, params=params, headers={"Content-Type": TURTLE})


def test_a2kb_links_the_models_mentions_in_the_posted_context(client, relik, reuters) -> None:
    for doc in reuters:
        response = _post(client, to_turtle([doc], []))  # A2KB: the context only
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(TURTLE)
        [answer] = parse_nif(response.text, "answer")
        assert (answer.id, answer.text) == (doc.id, doc.text)
        expected = [(s.start, s.end, s.title) for s, _ in relik(doc.text).spans if s.label != NME]
        assert expected, "the tiny model predicts spans on every Reuters document it reads"
        assert [(s.start, s.end, s.label) for s in answer.spans] == sorted(expected)


def test_d2kb_links_exactly_the_given_phrases(client, relik, oke) -> None:
    gold_free = [replace(d, spans=tuple(replace(s, label=NME, title="") for s in d.spans)) for d in oke]  # as GERBIL sends
    response = _post(client, to_turtle(gold_free, given_phrases(gold_free)))
    assert response.status_code == 200, response.text
    answers = parse_nif(response.text, "answer")
    assert [(a.id, a.text) for a in answers] == [(d.id, d.text) for d in oke]
    mentions = [[(s.start, s.end) for s in d.spans] for d in oke]
    direct = relik([d.text for d in oke], mentions=mentions)
    for answer, doc, prediction in zip(answers, oke, direct, strict=True):
        given = {(s.start, s.end) for s in doc.spans}
        assert {(s.start, s.end) for s in answer.spans} <= given
        assert sorted((s.start, s.end, s.label) for s in answer.spans) == sorted(
            (s.start, s.end, s.title) for s, _ in prediction.spans if s.label != NME
        )
    assert sum(len(a.spans) for a in answers) > 0


def test_forced_a2kb_ignores_the_given_phrases(client, relik, oke) -> None:
    doc = oke[0]
    response = _post(client, to_turtle([doc], given_phrases([doc])), task="a2kb")
    [answer] = parse_nif(response.text, "answer")
    expected = sorted((s.start, s.end) for s, _ in relik(doc.text).spans if s.label != NME)
    assert [(s.start, s.end) for s in answer.spans] == expected


def test_the_raw_gerbil_file_is_accepted_and_its_links_replaced(client, shared_data: Path) -> None:
    raw = (shared_data / "oke-2015" / "oke2015_task1_evaluation-dataset-task1.ttl").read_bytes()
    response = _post(client, raw)
    assert response.status_code == 200
    answers = parse_nif(response.text, "answer")
    assert len(answers) == 101
    assert all(s.label == NME or s.label == title_from_url(dbpedia_uri(s.label), "/resource/")
               for a in answers for s in a.spans)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"@prefix nif: <http://x#> .\n<a> nif:isString \"unterminated .\n", "invalid Turtle"),
        (b"<http://a> <http://b> <http://c>", "invalid Turtle"),
        ("\ufeff<http://a> <http://b> \"caf\xe9\" .".encode("latin-1", "replace"), "not UTF-8"),
        (b"", "no nif:Context"),
        (b"@prefix nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#> .\n"
         b"<http://d#char=0,5> nif:isString \"Paris\" .\n"
         b"<http://d#char=3,9> nif:referenceContext <http://d#char=0,5> ; nif:anchorOf \"isXYZ\" ;\n"
         b"  nif:beginIndex \"3\" ; nif:endIndex \"9\" .\n", "nif:"),
    ],
)
def test_malformed_documents_are_400_with_the_reason(client, body: bytes, expected: str) -> None:
    response = _post(client, body)
    assert response.status_code == 400, response.text
    assert expected in response.json()["detail"]
    assert "request body" in response.json()["detail"]


def test_a_top_k_over_the_readers_limit_is_400(client, reuters) -> None:
    response = _post(client, to_turtle(reuters[:1], []), top_k=10_000)
    assert response.status_code == 400
    assert "top_k" in response.json()["detail"]


def test_dbpedia_uris_escape_as_dbpedia_and_read_back_as_the_title() -> None:
    assert dbpedia_uri("Washington, D.C.") == "http://dbpedia.org/resource/Washington,_D.C."
    assert dbpedia_uri("Why? (film)") == "http://dbpedia.org/resource/Why%3F_(film)"
    assert dbpedia_uri("AC/DC") == "http://dbpedia.org/resource/AC/DC"
    assert dbpedia_uri("Zürich") == "http://dbpedia.org/resource/Zürich"
    for title in ("Why? (film)", "100% \"Pure\" <Love>", "C#", "Ben & Jerry's", "Zürich"):
        assert title_from_url(dbpedia_uri(title), "/resource/") == title



def test_the_services_body_reader_bounds_the_request(relik, reuters) -> None:
    small = to_turtle([Document("http://d#char=0,5", "Paris")], []).encode()
    limit = len(small)

    async def bounded(request):  # noqa: ANN001, ANN202
        body = await request.body()
        if len(body) > limit:
            raise HTTPException(status_code=413, detail=f"the body has {len(body)} bytes, at most {limit}")
        return body

    app = FastAPI()
    runner = RelikRunner(relik)
    app.include_router(build_router(lambda: runner, read_body=bounded))
    client = TestClient(app)
    assert _post(client, small).status_code == 200
    assert _post(client, to_turtle(reuters[:1], [])).status_code == 413
