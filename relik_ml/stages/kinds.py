"""What a candidate kind and a KB mean to the branch factory: stage names, keys, passages."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """The names one candidate kind uses throughout a branch."""

    retriever: str  # stage names: <prefix>/<retriever> ...
    embeddings: str
    index: str
    candidates: str
    k_key: str  # branch key stating K (retrieval depth): candidates, reader slots, relik.json, dev recall@K
    reader_k: str  # the reader model key K sets
    passages_input: str  # reader / report input name of the KB passages
    index_input: str  # report input name of the index
    retriever_task: str  # the retriever's training task (RetrieverTrainConfig.task)
    noun: str  # in stage descriptions


KINDS = {
    "entity": Kind("retriever", "passage_embeddings", "passage_index", "candidates", "top_k", "max_candidates",
                   "passages", "index", "el", "entity"),
    "relation": Kind("relation_retriever", "relation_embeddings", "relation_index", "relation_candidates",
                     "relation_top_k", "max_relation_candidates", "relations", "relation_index", "re", "relation"),
}


@dataclass(frozen=True)
class Kb:
    """Passages a retrieval runs over: a shared data-stage artifact or one the branch builds."""

    artifact: str  # shared: the artifact name; own: the name under the branch prefix
    builder: str = ""  # "" = shared; else how the branch builds it (a key of `factory.KB_BUILDS`)


KBS = {
    "entity_passages": Kb("entity_passages"),  # KILT pages keyed by title (data stage)
    "relation_passages": Kb("relation_passages"),  # Wikidata properties (data stage)
    "relation_definitions": Kb("relation_passages", "definitions"),  # `<prefix>.relations`: {id: definition}
    "qid_entities": Kb("entity_passages", "qid"),  # KILT pages keyed by Wikidata QID
}


def kb_artifact(prefix: str, kb: Kb) -> str:
    return f"{prefix}/{kb.artifact}" if kb.builder else kb.artifact
