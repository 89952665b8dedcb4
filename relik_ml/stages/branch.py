"""A task branch as a small typed description; `relik_ml.stages.factory` builds its stages from it.

A branch is a prefix (the params.yaml section and the artifact folder: `el` -> `el.reader`,
`data/el/reader`), the reader task, where its windows come from, and one retrieval chain per
candidate kind (entity and / or relation), each over a KB. Stage names, upstream, inputs, params
keys and configs all follow from the description; `relik_ml.stages.branches` holds the project's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CandidateKind = Literal["entity", "relation"]
WindowSource = Literal["shared", "own"]


@dataclass(frozen=True)
class Retrieval:
    """One candidate kind of a branch: retriever -> embeddings -> index -> candidates over one KB."""

    kind: CandidateKind  # "entity": retriever, passage_* and candidates stages; "relation": relation_* stages
    kb: str  # a KB of `relik_ml.stages.kbs.KBS`: a shared passages artifact or one the branch builds itself
    pretrained: bool = False  # a `retriever_pretrained` stage (hyperlink windows) first; else from a backbone
    sharded: bool = False  # embeddings partitioned by passage shard (`passage_embeddings.shards`); else one piece
    recall_report: bool = False  # a `retriever_eval_report` stage: R@k of trained, untrained and BM25; recall gate


@dataclass(frozen=True)
class Branch:
    """A task branch of the lineage: windows, retrievals, one reader, its report and promoted model."""

    prefix: str  # artifact prefix and params.yaml section
    task: str  # reader and relik.json task: "el", "re" or "cie"
    what: str  # the branch's short name in stage descriptions ("EL")
    title: str  # the evaluation report's default title
    windows: WindowSource  # "shared": task_windows[<dataset>-<split>]; "own": <prefix>/task_windows[train|dev]
    retrievals: tuple[Retrieval, ...]  # entity and / or relation candidates, in stage order

    def retrieval(self, kind: CandidateKind) -> Retrieval | None:
        return next((r for r in self.retrievals if r.kind == kind), None)
