"""NIF/Turtle (GERBIL): `nif:Context` documents (`nif:isString`) and phrases with `nif:beginIndex`,
`nif:endIndex`, `nif:anchorOf`, `nif:referenceContext` and `itsrdf:taIdentRef`.

Labels: an English DBpedia resource gives its title, a Wikidata entity its QID, a local resource is
followed through `owl:sameAs` (OKE); anything else (notInWiki, other DBpedias) is `NME`. Documents
are ordered by context URI, numbers compared numerically; rdflib is imported on first use.

Some GERBIL files carry annotation slips (offsets one character off, anchors with a trailing space,
a context URI with a wrong length). With `realign` a phrase whose offsets do not read its anchor
moves to the nearest occurrence of the stripped anchor, and an unknown context URI resolves to the
only context of the same document (`stats["nif_spans_realigned"]`, `stats["nif_contexts_resolved"]`);
without it, or when nothing fits, these are errors.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from relik_ml.formats._common import (
    Where, check_span, check_unicode, log, natural_key, note, parse_natural, read_text, title_from_url,
)
from relik_ml.errors import InputError
from relik_ml.types import NME, Document, Span

NIF = "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"
ITS = "http://www.w3.org/2005/11/its/rdf#"
SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
_DBPEDIA = re.compile(r"https?://dbpedia\.org/resource/")
_WIKIDATA = re.compile(r"https?://www\.wikidata\.org/(?:entity|resource|wiki)/(Q[1-9][0-9]*)$")


def read_nif(path: str | Path, *, realign: bool = True, stats: Counter | None = None) -> list[Document]:
    """One Document per context, spans = its phrases."""
    path = Path(path)
    return parse_nif(read_text(path), path, realign=realign, stats=stats)


def parse_nif(text: str, path: str | Path, *, realign: bool = True, stats: Counter | None = None) -> list[Document]:
    """`read_nif` on Turtle already in memory (a request body); errors name `path`."""
    from rdflib import URIRef

    path = Path(path)
    graph = _parse(text, path)
    contexts = {str(s): str(o) for s, o in graph.subject_objects(URIRef(NIF + "isString"))}
    spans: dict[str, list[Span]] = {uri: [] for uri in contexts}
    counts: Counter = Counter()
    for phrase in sorted(set(graph.subjects(URIRef(NIF + "anchorOf"))), key=str):
        where = Where(path, _line_of(text, str(phrase)))
        context = _context(str(_one(graph, phrase, "referenceContext", where)), contexts, where, realign, counts)
        spans[context].append(_span(graph, phrase, contexts[context], where, realign, counts))
    if counts:
        log.warning("%s: repaired annotation slips %s", path, dict(counts))
    for key, value in counts.items():
        note(stats, key, value)
    return [
        Document(uri, contexts[uri], tuple(sorted(spans[uri], key=lambda s: (s.start, s.end))))
        for uri in sorted(contexts, key=natural_key)
    ]


def _parse(text: str, path: Path) -> Any:
    from rdflib import Graph

    graph = Graph()
    try:
        graph.parse(data=text, format="turtle")
    except Exception as exc:  # rdflib's Turtle errors have no common base (a truncated file: IndexError)
        line = getattr(exc, "lines", None)
        reason = re.search(r"Bad syntax \(([^)]*)\)", str(exc))
        message = reason.group(1) if reason else f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
        raise InputError(f"invalid Turtle: {message}", path=path,
                         line=line + 1 if isinstance(line, int) else None) from None
    for triple in graph:
        for term in triple:
            check_unicode(str(term), Where(path, _line_of(text, str(triple[0]))))
    return graph


def _line_of(text: str, uri: str) -> int | None:
    pos = text.find(f"<{uri}>")
    return text.count("\n", 0, pos) + 1 if pos >= 0 else None


def _one(graph: Any, subject: Any, name: str, where: Where) -> Any:
    from rdflib import URIRef

    value = graph.value(subject, URIRef(NIF + name), any=True)
    if value is None:
        raise where.at(f"nif:{name}").error("missing")
    return value


def _context(uri: str, contexts: dict[str, str], where: Where, realign: bool, counts: Counter) -> str:
    """The phrase's context, or the only context of the same document when `realign`."""
    if uri in contexts:
        return uri
    same_doc = [c for c in contexts if c.split("#")[0] == uri.split("#")[0]]
    if not realign or len(same_doc) != 1:
        raise where.at("nif:referenceContext").error(f"unknown context <{uri}>")
    counts["nif_contexts_resolved"] += 1
    return same_doc[0]


def _span(graph: Any, phrase: Any, text: str, where: Where, realign: bool, counts: Counter) -> Span:
    from rdflib import URIRef

    start, end = (_index(_one(graph, phrase, n, where), where.at(f"nif:{n}")) for n in ("beginIndex", "endIndex"))
    anchors = sorted(str(a) for a in graph.objects(phrase, URIRef(NIF + "anchorOf")))
    if text[start:end] not in anchors or not 0 <= start < end <= len(text):
        start, end = _realigned(text, start, end, anchors, where, realign)
        counts["nif_spans_realigned"] += 1
    refs = sorted(str(r) for r in graph.objects(phrase, URIRef(ITS + "taIdentRef")))
    labels = [_label(graph, ref) for ref in refs]
    label, title = next((pair for pair in labels if pair[0] != NME), (NME, labels[0][1] if labels else ""))
    return Span(start, end, label, title)


def _realigned(text: str, start: int, end: int, anchors: list[str], where: Where, realign: bool) -> tuple[int, int]:
    """The nearest occurrence of a stripped anchor, or the error of the original offsets."""
    if realign:
        for anchor in (a.strip() for a in anchors if a.strip()):
            found = [i for i in range(len(text)) if text.startswith(anchor, i)]
            if found:
                best = min(found, key=lambda i: abs(i - start))
                return best, best + len(anchor)
    check_span(text, start, end, where.at("nif:beginIndex"))
    raise where.at("nif:anchorOf").error(f"{anchors} does not match the text {text[start:end]!r}")


def _index(value: Any, where: Where) -> int:
    return parse_natural(str(value), where)


def _label(graph: Any, ref: str) -> tuple[str, str]:
    """(label, title) of a `taIdentRef`, following `owl:sameAs` from local resources."""
    from rdflib import URIRef

    for uri in [ref, *sorted(str(o) for o in graph.objects(URIRef(ref), URIRef(SAME_AS)))]:
        if _DBPEDIA.match(uri):
            title = title_from_url(uri, "/resource/")
            return title, title
        match = _WIKIDATA.match(uri)
        if match:
            return match.group(1), ""
    return NME, ""
