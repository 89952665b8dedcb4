"""REBEL-format closed-IE documents: entity description + fact sentences, QID entities, PID triples."""
from __future__ import annotations

import random
from pathlib import Path

from relik_ml.io import write_jsonl
from scripts.make_sample.facts import surfaces
from scripts.make_sample.model import Entity, KnowledgeBase, parse_markup
from scripts.make_sample.relations import FACT_TO_PID, PROPERTIES

DOCS = 150
SENTENCES = {
    "country": "{S} lies in {O}.", "in": "{S} is part of {O}.", "capital": "The capital of {S} is {O}.",
    "born": "{S} was born in {O}.", "died": "{S} died in {O}.", "lives": "{S} has lived in {O}.",
    "citizen": "{S} is a citizen of {O}.", "employer": "{S} has worked for {O}.", "team": "{S} has played for {O}.",
    "member": "{S} was a member of {O}.", "founder": "{S} was founded by {O}.", "hq": "{S} has its headquarters in {O}.",
    "formed": "{S} was formed in {O}.", "killed": "{S} killed {O}.", "child": "{O} is a child of {S}.",
}


def _span(kb: KnowledgeBase, title: str, start: int, end: int, text: str) -> dict:
    return {"uri": kb[title].qid, "boundaries": [start, end], "surfaceform": text[start:end], "annotator": "Me"}


def rebel_record(kb: KnowledgeBase, entity: Entity) -> dict | None:
    """Text = description + one sentence per QID fact; triples align subject/object mentions."""
    description, anchors = parse_markup(entity.markup)
    name = surfaces(kb, entity.title)[0]
    text = description
    mentions = [(s, e, t) for s, e, t in anchors if kb[t].qid]
    subject_at = description.find(name)
    if subject_at >= 0:
        mentions.append((subject_at, subject_at + len(name), entity.title))
    facts = [(fact, obj) for fact, obj in entity.facts if kb[obj].qid and surfaces(kb, obj)]
    triples = []
    for fact, obj in facts:
        sentence = SENTENCES[fact]
        base = len(text) + 1
        first, second = ("S", "O") if sentence.index("{S}") < sentence.index("{O}") else ("O", "S")
        words = {"S": (name, entity.title), "O": (surfaces(kb, obj)[0], obj)}
        rendered = sentence.replace("{" + first + "}", words[first][0], 1)
        s1 = base + sentence.index("{" + first + "}")
        spans = {first: (s1, s1 + len(words[first][0]))}
        s2 = base + rendered.index("{" + second + "}")
        spans[second] = (s2, s2 + len(words[second][0]))
        text += " " + rendered.replace("{" + second + "}", words[second][0], 1)
        mentions += [(*spans["S"], entity.title), (*spans["O"], obj)]
        triples.append(_triple(kb, text, fact, (spans["S"], entity.title), (spans["O"], obj), text.count(". ", 0, spans["O"][0])))
    if not triples:
        return None
    entities = [_span(kb, t, s, e, text) for s, e, t in sorted(set(mentions))]
    return {"docid": kb.page_id[entity.title], "title": entity.title, "uri": entity.qid, "text": text, "entities": entities, "triples": triples}


def _triple(kb: KnowledgeBase, text: str, fact: str, subject: tuple, obj: tuple, sentence_id: int) -> dict:
    pid, direction = FACT_TO_PID[fact]
    head, tail = (subject, obj) if direction == "forward" else (obj, subject)
    annotator = "Simple-Aligner"
    return {
        "subject": _span(kb, head[1], *head[0], text),
        "predicate": {"uri": pid, "boundaries": None, "surfaceform": PROPERTIES[pid][0], "annotator": annotator},
        "object": _span(kb, tail[1], *tail[0], text),
        "sentence_id": sentence_id,
        "dependency_path": None,
        "confidence": None,
        "annotator": annotator,
    }


def write_rebel(kb: KnowledgeBase, rng: random.Random, out: Path) -> dict[str, int]:
    candidates = [e for e in kb.with_qid()]
    rng.shuffle(candidates)
    records = [r for r in (rebel_record(kb, e) for e in candidates) if r][:DOCS]
    records.sort(key=lambda r: int(r["docid"]))
    (out / "rebel").mkdir(parents=True)
    write_jsonl(out / "rebel" / "sample.jsonl", records)
    return {"docs": len(records), "entities": sum(len(r["entities"]) for r in records), "triples": sum(len(r["triples"]) for r in records)}
