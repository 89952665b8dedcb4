"""Sentence-level RE sets from KB facts: CoNLL04 unified JSON and NYT CasRel JSON."""
from __future__ import annotations

import json
import random
from pathlib import Path

from scripts.make_sample.facts import Triple, all_triples, surfaces
from scripts.make_sample.model import KnowledgeBase
from scripts.make_sample.relations import FACT_TO_CONLL04
from scripts.make_sample.templates import FACT_TEMPLATES
from scripts.make_sample.text import Filler, render

CONLL04_TYPE = {"PER": "Peop", "ORG": "Org", "LOC": "Loc", "MISC": "Other"}
CONLL04_SPLIT = (250, 60)
NYT_SPLIT = (200, 50)
PLACE_KINDS = frozenset({"country", "state", "region", "city", "district", "river", "island", "mountain"})


def _sentence(kb: KnowledgeBase, triple: Triple, rng: random.Random) -> tuple[list[str], dict[str, tuple[int, int, str]]]:
    """Render one fact; returns tokens and role -> (start, end, surface)."""
    subject, fact, obj = triple
    fillers = {
        "S": Filler(rng.choice(surfaces(kb, subject)), subject, kb[subject].ner),
        "O": Filler(rng.choice(surfaces(kb, obj)), obj, kb[obj].ner),
    }
    template = rng.choice(FACT_TEMPLATES[fact])
    tokens, mentions = render(template, fillers)
    roles = {}
    for mention in mentions:
        role = "S" if mention.title == subject else "O"
        roles[role] = (mention.start, mention.end, " ".join(tokens[mention.start : mention.end]))
    return tokens, roles


def conll04_records(kb: KnowledgeBase, rng: random.Random) -> tuple[list[dict], list[dict]]:
    """Balanced train/dev sentences: per relation type, facts are split 80/20 and rendered in turn."""
    by_type: dict[str, list[Triple]] = {}
    for triple in all_triples(kb):
        if triple[1] in FACT_TO_CONLL04 and surfaces(kb, triple[0]) and surfaces(kb, triple[2]):
            by_type.setdefault(FACT_TO_CONLL04[triple[1]], []).append(triple)
    train: list[dict] = []
    dev: list[dict] = []
    per_type = [size // len(by_type) for size in CONLL04_SPLIT]
    for name in sorted(by_type):
        facts = by_type[name]
        rng.shuffle(facts)
        cut = max(1, len(facts) // 5)
        train += [_conll04_record(kb, facts[cut:][i % (len(facts) - cut)], rng) for i in range(per_type[0])]
        dev += [_conll04_record(kb, facts[:cut][i % cut], rng) for i in range(per_type[1])]
    rng.shuffle(train)
    rng.shuffle(dev)
    return train, dev


def _conll04_record(kb: KnowledgeBase, triple: Triple, rng: random.Random) -> dict:
    tokens, roles = _sentence(kb, triple, rng)
    (hs, he, _), (ts, te, _) = roles["S"], roles["O"]
    entities = sorted([[hs, he, CONLL04_TYPE[kb[triple[0]].ner]], [ts, te, CONLL04_TYPE[kb[triple[2]].ner]]])
    return {"tokens": tokens, "entities": entities, "relations": [[hs, he, ts, te, FACT_TO_CONLL04[triple[1]]]]}


def nyt_relations(kb: KnowledgeBase, triple: Triple) -> list[tuple[str, str, str]]:
    """NYT (head, relation, tail) roles for one fact, or [] when the fact has no NYT counterpart."""
    subject, fact, obj = triple
    s_kind, o_kind = kb[subject].kind, kb[obj].kind
    person_facts = {"born": "place_of_birth", "lives": "place_lived", "citizen": "nationality", "child": "children"}
    if fact in person_facts:
        return [("S", f"/people/person/{person_facts[fact]}", "O")]
    if fact == "died":
        return [("S", "/people/deceased_person/place_of_death", "O")]
    if fact == "founder" and s_kind == "company":
        return [("S", "/business/company/founders", "O")]
    if fact == "employer" and o_kind == "company":
        return [("S", "/business/person/company", "O")]
    if fact == "formed" and s_kind == "company":
        return [("S", "/business/company/place_founded", "O")]
    if fact == "hq" and s_kind == "club":
        return [("S", "/sports/sports_team/location", "O"), ("O", "/sports/sports_team_location/teams", "S")]
    if fact == "capital" and s_kind == "country":
        return [("S", "/location/country/capital", "O"), ("S", "/location/location/contains", "O")]
    if fact == "country" and s_kind in ("state", "region"):
        return [("S", "/location/administrative_division/country", "O"), ("O", "/location/country/administrative_divisions", "S")]
    if fact == "in" and s_kind == "district":
        return [("S", "/location/neighborhood/neighborhood_of", "O")]
    if fact in ("in", "country") and s_kind in PLACE_KINDS:
        return [("O", "/location/location/contains", "S")]
    return []


def nyt_records(kb: KnowledgeBase, rng: random.Random) -> list[dict]:
    triples = [t for t in all_triples(kb) if nyt_relations(kb, t) and surfaces(kb, t[0]) and surfaces(kb, t[2])]
    rng.shuffle(triples)
    records = []
    for triple in triples[: sum(NYT_SPLIT)]:
        tokens, roles = _sentence(kb, triple, rng)
        surface = {role: span[2] for role, span in roles.items()}
        triple_list = [[surface[h], rel, surface[t]] for h, rel, t in nyt_relations(kb, triple)]
        records.append({"text": " ".join(tokens), "triple_list": triple_list})
    return records


def write_re(kb: KnowledgeBase, rng: random.Random, out: Path) -> dict[str, int]:
    train, dev = conll04_records(kb, rng)
    nyt = nyt_records(kb, rng)
    (out / "conll04").mkdir(parents=True, exist_ok=True)
    (out / "nyt").mkdir(parents=True, exist_ok=True)
    (out / "conll04" / "train.json").write_text(json.dumps(train), encoding="utf-8")
    (out / "conll04" / "dev.json").write_text(json.dumps(dev), encoding="utf-8")
    for name, part in (("train", nyt[: NYT_SPLIT[0]]), ("dev", nyt[NYT_SPLIT[0] :])):
        (out / "nyt" / f"{name}.json").write_text(json.dumps(part, indent=4, ensure_ascii=False), encoding="utf-8")
    return {
        "conll04_train": len(train), "conll04_dev": len(dev),
        "nyt_train": min(len(nyt), NYT_SPLIT[0]), "nyt_dev": max(0, len(nyt) - NYT_SPLIT[0]),
        "nyt_triples": sum(len(r["triple_list"]) for r in nyt),
    }
