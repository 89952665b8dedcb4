"""The full sample knowledge base, assembled from the data modules."""
from __future__ import annotations

from functools import cache

from scripts.make_sample import kb_countries, kb_orgs, kb_people, kb_places
from scripts.make_sample.model import KnowledgeBase


@cache
def knowledge_base() -> KnowledgeBase:
    """All entities in a fixed order; references are checked once."""
    entities = [
        *kb_countries.COUNTRIES,
        *kb_countries.REGIONS,
        *kb_places.CITIES,
        *kb_places.NATURE,
        *kb_people.POLITICS,
        *kb_people.SPORT,
        *kb_people.BUSINESS,
        *kb_people.CULTURE,
        *kb_orgs.COMPANIES,
        *kb_orgs.MEDIA_AND_BODIES,
        *kb_orgs.CLUBS,
        *kb_orgs.CONCEPTS,
    ]
    kb = KnowledgeBase(entities)
    kb.check_references()
    return kb
