"""The project's task branches, each a few lines of description (`stages.branch`)."""
from __future__ import annotations

from relik_ml.stages.branch import Branch, Retrieval

EL = Branch(
    prefix="el", task="el", what="EL", title="Entity linking evaluation", windows="shared",
    retrievals=(Retrieval("entity", kb="entity_passages", pretrained=True, sharded=True, recall_report=True),),
)

RE = Branch(
    prefix="re", task="re", what="RE", title="Relation extraction evaluation", windows="own",
    retrievals=(Retrieval("relation", kb="relation_definitions"),),
)

CIE = Branch(
    prefix="cie", task="cie", what="cIE", title="Closed information extraction evaluation", windows="own",
    retrievals=(Retrieval("entity", kb="qid_entities"), Retrieval("relation", kb="relation_passages")),
)

BRANCHES = (EL, RE, CIE)
