"""GERBIL's NIF web-service protocol: `POST /gerbil` with one NIF document (Turtle), NIF back.

GERBIL's A2KB and D2KB experiments post a `nif:Context` (`nif:isString`); D2KB adds the mentions to
link as `nif:Phrase`s (`nif:beginIndex`, `nif:endIndex`, `nif:anchorOf`). The request is read by the
project's NIF reader (`relik_ml.formats.nif.parse_nif`: validated offsets, realigned slips), so
malformed Turtle or a phrase off its text is a 400 naming the problem, never a 500. With phrases
the request is D2KB: the reader links exactly those mentions (`mentions=` of the runner, entity
disambiguation); without, A2KB: the model finds and links the mentions (`?task=a2kb|d2kb` forces
one). The answer is a fresh graph: each context (same URI and string) and one `nif:Phrase` per
linked mention, `itsrdf:taIdentRef` the DBpedia resource of its KB title and `itsrdf:taConfidence`
the model's score, written by rdflib as Turtle.
"""
from __future__ import annotations

import string
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request, Response
from rdflib import RDF, XSD, Graph, Namespace, URIRef
from rdflib import Literal as RdfLiteral
from starlette.concurrency import run_in_threadpool

from relik_ml.errors import InputError
from relik_ml.formats.nif import ITS, NIF, parse_nif
from relik_ml.types import NME, Document, Prediction, Span

TURTLE = "application/x-turtle"  # the media type GERBIL's NIF web services send and answer
DBPEDIA_RESOURCE = "http://dbpedia.org/resource/"
REQUEST_SOURCE = "request body"  # how errors name the posted document
# ASCII characters DBpedia leaves as they are in resource IRIs; other ASCII is percent-encoded,
# non-ASCII letters stay (IRIs): "AC/DC", "Washington,_D.C.", "Why%3F_(film)", "Zürich".
_DBPEDIA_SAFE = frozenset(string.ascii_letters + string.digits + "!$&'()*+,-./:;=@_~")


class Runner(Protocol):
    """What the endpoint calls: the service's (micro-batched) annotation of texts."""

    async def annotate(
        self, texts: list[str], *, top_k: int | None = None, mentions: list[list[tuple[int, int]]] | None = None
    ) -> list[Prediction]: ...


@dataclass(frozen=True)
class Phrase:
    """One annotation of a context: offsets, the linked resource (None: not linked) and its score."""

    context: str
    start: int
    end: int
    resource: str | None = None
    confidence: float | None = None


def dbpedia_uri(title: str) -> str:
    """The DBpedia resource IRI of a Wikipedia title: underscores for spaces, DBpedia's escapes."""
    name = title.strip().replace(" ", "_")
    return DBPEDIA_RESOURCE + "".join(
        ch if ch in _DBPEDIA_SAFE or ord(ch) > 127 else quote(ch, safe="") for ch in name
    )


def read_request(body: bytes) -> list[Document]:
    """The documents of a posted NIF body (UTF-8 Turtle); an `InputError` for anything malformed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 ({exc.reason} at byte {exc.start})", path=REQUEST_SOURCE) from None
    documents = parse_nif(text, REQUEST_SOURCE)
    if not documents:
        raise InputError("no nif:Context with a nif:isString", path=REQUEST_SOURCE)
    return documents


def linked_phrases(documents: Sequence[Document], predictions: Sequence[Prediction]) -> list[Phrase]:
    """One phrase per predicted in-KB span, linked to the DBpedia resource of its title (else its id)."""
    return [
        Phrase(doc.id, span.start, span.end, dbpedia_uri(span.title or span.label), score)
        for doc, prediction in zip(documents, predictions, strict=True)
        for span, score in prediction.spans
        if span.label != NME
    ]


def given_phrases(documents: Sequence[Document]) -> list[Phrase]:
    """The documents' spans as phrases, linked when their label is a title (as GERBIL's gold is)."""
    return [
        Phrase(doc.id, s.start, s.end, dbpedia_uri(s.label) if s.label != NME else None)
        for doc in documents
        for s in doc.spans
    ]


def to_turtle(documents: Sequence[Document], phrases: Sequence[Phrase]) -> str:
    """A NIF 2.0 graph of the contexts (URI, string) and the phrases, serialized as Turtle."""
    nif, its = Namespace(NIF), Namespace(ITS)
    graph = Graph()
    graph.bind("nif", nif)
    graph.bind("itsrdf", its)
    graph.bind("xsd", XSD)
    texts = {}
    for doc in documents:
        context = URIRef(doc.id)
        texts[doc.id] = doc.text
        for kind in (nif.Context, nif.String, nif.RFC5147String):
            graph.add((context, RDF.type, kind))
        graph.add((context, nif.isString, RdfLiteral(doc.text, datatype=XSD.string)))
        _add_offsets(graph, context, 0, len(doc.text))
    for phrase in phrases:
        node = URIRef(f"{phrase.context.split('#', 1)[0]}#char={phrase.start},{phrase.end}")
        for kind in (nif.Phrase, nif.String, nif.RFC5147String):
            graph.add((node, RDF.type, kind))
        graph.add((node, nif.referenceContext, URIRef(phrase.context)))
        graph.add((node, nif.anchorOf, RdfLiteral(texts[phrase.context][phrase.start : phrase.end], datatype=XSD.string)))
        _add_offsets(graph, node, phrase.start, phrase.end)
        if phrase.resource is not None:
            graph.add((node, its.taIdentRef, URIRef(phrase.resource)))
        if phrase.confidence is not None:
            graph.add((node, its.taConfidence, RdfLiteral(float(phrase.confidence), datatype=XSD.double)))
    return graph.serialize(format="turtle")


def _add_offsets(graph: Graph, node: URIRef, start: int, end: int) -> None:
    nif = Namespace(NIF)
    graph.add((node, nif.beginIndex, RdfLiteral(start, datatype=XSD.nonNegativeInteger)))
    graph.add((node, nif.endIndex, RdfLiteral(end, datatype=XSD.nonNegativeInteger)))


async def answer(runner: Runner, body: bytes, *, task: str = "auto", top_k: int | None = None) -> str:
    """Read a posted NIF document, link it (A2KB, or D2KB on its phrases), and return NIF Turtle."""
    documents = await run_in_threadpool(read_request, body)
    texts = [doc.text for doc in documents]
    given = task == "d2kb" or (task == "auto" and any(doc.spans for doc in documents))
    if given:
        mentions = [[(s.start, s.end) for s in doc.spans] for doc in documents]
        predictions = await runner.annotate(texts, top_k=top_k, mentions=mentions)
    else:
        predictions = await runner.annotate(texts, top_k=top_k)
    return await run_in_threadpool(to_turtle, documents, linked_phrases(documents, predictions))


def build_router(
    get_runner: Callable[[], Runner], *, read_body: Callable[[Request], Awaitable[bytes]] | None = None
) -> APIRouter:
    """The `POST /gerbil` route over the runner `get_runner()` returns at each request; `read_body`
    reads the request's body (the service's, with its size limit; default: all of it)."""
    router = APIRouter()

    @router.post(
        "/gerbil",
        response_class=Response,
        responses={200: {"content": {TURTLE: {}}, "description": "the NIF document with its links (Turtle)"},
                   400: {"description": "malformed NIF, with the parse error"}},
        summary="GERBIL NIF web service (A2KB / D2KB)",
    )
    async def gerbil(
        request: Request,
        task: Literal["auto", "a2kb", "d2kb"] = Query("auto", description="auto: D2KB when the document has phrases"),
        top_k: int | None = Query(None, ge=1, description="candidates per window (default: the model's)"),
    ) -> Response:
        body = await (read_body(request) if read_body is not None else request.body())
        try:
            turtle = await answer(get_runner(), body, task=task, top_k=top_k)
        except InputError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        return Response(content=turtle, media_type=TURTLE)

    return router
