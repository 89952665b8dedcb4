"""AIDA-style newswire documents generated from KB facts, templates and made-up (NME) names."""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

from scripts.make_sample import templates
from scripts.make_sample.facts import Triple, all_triples, surfaces
from scripts.make_sample.model import KnowledgeBase
from scripts.make_sample.text import Filler, Mention, render

SPORT_KINDS = frozenset({"club"})
BUSINESS_KINDS = frozenset({"company", "media"})


@dataclass(frozen=True)
class Sentence:
    tokens: list[str]
    mentions: list[Mention]


@dataclass(frozen=True)
class Document:
    """One generated news story: its focus entity and tokenised sentences."""

    focus: str
    sentences: list[Sentence]

    @property
    def tokens(self) -> list[str]:
        return [token for sentence in self.sentences for token in sentence.tokens]


class DocumentGenerator:
    """Builds documents around a focus entity from the facts that touch it (and its neighbours)."""

    def __init__(self, kb: KnowledgeBase, rng: random.Random) -> None:
        self.kb = kb
        self.rng = rng
        self.shared: dict[str, int] = defaultdict(int)
        for entity in kb.entities:
            for form in surfaces(kb, entity.title):
                self.shared[form] += 1
        self.by_entity: dict[str, list[Triple]] = defaultdict(list)
        for triple in all_triples(kb):
            self.by_entity[triple[0]].append(triple)
            self.by_entity[triple[2]].append(triple)

    def focus_pool(self, qid_only: bool) -> list[str]:
        """Entities with at least two usable facts, shuffled; those with an ambiguous name appear twice."""
        pool = [e.title for e in self.kb.entities if len(self._usable(e.title, qid_only)) >= 2 and surfaces(self.kb, e.title)]
        pool = [title for title in pool if not qid_only or self.kb[title].qid]
        pool += [title for title in pool if self._ambiguous(title)]
        self.rng.shuffle(pool)
        return pool

    def generate(self, focus: str, date: str, qid_only: bool) -> Document:
        """Headline, dateline, 2-5 fact sentences, 1-2 NME/plain sentences."""
        seen: dict[str, int] = defaultdict(int)
        facts = self._pick_facts(focus, qid_only)
        sentences = [self._headline(focus, seen), self._dateline(focus, facts, date, qid_only, seen)]
        sentences += [self._fact_sentence(triple, seen) for triple in facts]
        sentences.insert(self.rng.randint(3, len(sentences)), self._nme_sentence())
        if self.rng.random() < 0.5:
            sentences.append(Sentence(self.rng.choice(templates.PLAIN_SENTENCES).split(), []))
        return Document(focus, sentences)

    def _usable(self, title: str, qid_only: bool) -> list[Triple]:
        triples = self.by_entity.get(title, [])
        if qid_only:
            triples = [t for t in triples if self.kb[t[0]].qid and self.kb[t[2]].qid]
        return [t for t in triples if surfaces(self.kb, t[0]) and surfaces(self.kb, t[2])]

    def _pick_facts(self, focus: str, qid_only: bool) -> list[Triple]:
        own = self._usable(focus, qid_only)
        count = self.rng.randint(2, 5)
        picked = self.rng.sample(own, min(count, len(own)))
        neighbours = sorted({t[0] if t[2] == focus else t[2] for t in picked})
        extra = [t for n in neighbours for t in self._usable(n, qid_only) if t[0] == n and t not in picked]
        if len(picked) < count and extra:
            picked += self.rng.sample(extra, min(count - len(picked), len(extra)))
        return picked

    def _ambiguous(self, title: str) -> list[str]:
        return [form for form in surfaces(self.kb, title) if self.shared[form] > 1]

    def _filler(self, title: str, seen: dict[str, int]) -> Filler:
        """Surface form: often an ambiguous one, else the full name first and aliases later."""
        forms = surfaces(self.kb, title)
        ambiguous = self._ambiguous(title)
        if ambiguous and self.rng.random() < 0.5:
            surface = self.rng.choice(ambiguous)
        elif seen[title] == 0 or len(forms) == 1:
            surface = forms[0] if self.rng.random() < 0.6 else self.rng.choice(forms)
        else:
            surface = self.rng.choice(forms[1:]) if self.rng.random() < 0.7 else forms[0]
        seen[title] += 1
        return Filler(surface, title, self.kb[title].ner)

    def _headline(self, focus: str, seen: dict[str, int]) -> Sentence:
        kind = self.kb[focus].kind
        group = "sport" if kind in SPORT_KINDS or self.kb[focus].fact("team") else "business" if kind in BUSINESS_KINDS else "general"
        template = self.rng.choice(templates.HEADLINES[group])
        return Sentence(*render(template, {"S": self._filler(focus, seen)}, upper=True))

    def _dateline(self, focus: str, facts: list[Triple], date: str, qid_only: bool, seen: dict[str, int]) -> Sentence:
        cities = [t for triple in facts for t in (triple[0], triple[2]) if self.kb[t].kind == "city"]
        if not cities:
            cities = [e.title for e in self.kb.entities if e.kind == "city" and e.qid]
        city = self.rng.choice(cities)
        tokens, mentions = render("{C}", {"C": self._filler(city, seen)}, upper=True)
        return Sentence(tokens + [date], mentions)

    def _fact_sentence(self, triple: Triple, seen: dict[str, int]) -> Sentence:
        subject, fact, obj = triple
        template = self.rng.choice(templates.FACT_TEMPLATES[fact])
        order = ("S", "O") if template.index("{S}") < template.index("{O}") else ("O", "S")
        fillers = {}
        for role in order:
            fillers[role] = self._filler(subject if role == "S" else obj, seen)
        return Sentence(*render(template, fillers))

    def _nme_sentence(self) -> Sentence:
        template = self.rng.choice(templates.NME_TEMPLATES)
        fillers = {
            "N": Filler(self.rng.choice(templates.NME_PEOPLE), None, "PER"),
            "P": Filler(self.rng.choice(templates.NME_PLACES), None, "LOC"),
            "G": Filler(self.rng.choice(templates.NME_ORGS), None, "ORG"),
        }
        return Sentence(*render(template, fillers))
