"""Fact triples `(subject title, fact name, object title)` read off the knowledge base."""
from __future__ import annotations

from scripts.make_sample.model import KnowledgeBase

Triple = tuple[str, str, str]


def all_triples(kb: KnowledgeBase) -> list[Triple]:
    """Every declared fact, in KB order."""
    return [(entity.title, name, obj) for entity in kb.entities for name, obj in entity.facts]


def surfaces(kb: KnowledgeBase, title: str) -> list[str]:
    """Surface forms usable in running text (the title itself only when it has no disambiguator)."""
    return [form for form in kb[title].aliases if "(" not in form]
