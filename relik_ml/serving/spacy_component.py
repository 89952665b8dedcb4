"""The `relik` spaCy pipeline component: `nlp.add_pipe("relik", config={"model": DIR})`.

Each doc's text is annotated by the model directory (`Relik`), a batch of docs per model call in
`nlp.pipe`. Predicted character spans become `doc.ents`, aligned to tokens with
`doc.char_span(..., alignment_mode="expand")`: `label_` the span's entity type or the configured
`label`, `kb_id_` the KB id (`NME` for a mention the reader left unlinked), `span._.relik_title`
and `span._.relik_score`. Relation triplets (RE / cIE models) go to `doc._.relik_triplets` as
`(subject span, relation id, object span, score)`. Overlapping spans after alignment keep the
longest; with `overwrite_ents` false the entities already on the doc (a trained NER) win.

spaCy finds the factory through the `spacy_factories` entry point (so `spacy.load` of a saved
pipeline config needs no import) and through `@Language.factory` when this module is imported.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc
from spacy.tokens import Span as SpacySpan
from spacy.util import filter_spans, minibatch

from relik_ml.errors import InputError
from relik_ml.inference import Relik
from relik_ml.types import Prediction, Span

FACTORY = "relik"
TRIPLETS = "relik_triplets"  # doc._.relik_triplets
TITLE = "relik_title"  # span._.relik_title
SCORE = "relik_score"  # span._.relik_score


@dataclass(frozen=True)
class RelikComponentConfig:
    """The component's settings (spaCy config keys of the same names)."""

    model: str  # a model directory (`relik-ml` `Relik.save_pretrained` layout)
    label: str = "ENT"  # entity label when the span has no type
    top_k: int | None = None  # candidates per window; None: the model's own
    batch_size: int = 32  # docs per model call in nlp.pipe
    device: str = "cpu"  # torch device of the model
    overwrite_ents: bool = True  # replace the doc's entities; false: keep them, add ours around


def _register_extensions() -> None:
    if not Doc.has_extension(TRIPLETS):
        Doc.set_extension(TRIPLETS, default=None)
    for name in (TITLE, SCORE):
        if not SpacySpan.has_extension(name):
            SpacySpan.set_extension(name, default=None)


class RelikComponent:
    """A spaCy component over one loaded `Relik` model directory."""

    def __init__(self, name: str, config: RelikComponentConfig) -> None:
        if config.batch_size < 1:
            raise InputError(f"must be a positive integer, got {config.batch_size!r}", field="batch_size")
        self.name = name
        self.config = config
        self.relik = Relik.from_pretrained(config.model, device=config.device)
        _register_extensions()

    def __call__(self, doc: Doc) -> Doc:
        return self._annotate([doc])[0]

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size or self.config.batch_size):
            yield from self._annotate(list(batch))

    def _annotate(self, docs: list[Doc]) -> list[Doc]:
        predictions = self.relik([doc.text for doc in docs], top_k=self.config.top_k)
        for doc, prediction in zip(docs, predictions, strict=True):
            self._set_annotations(doc, prediction)
        return docs

    def _set_annotations(self, doc: Doc, prediction: Prediction) -> None:
        entities = []
        for span, score in prediction.spans:
            entity = self._aligned(doc, span)
            if entity is not None:
                entity._.set(TITLE, span.title)
                entity._.set(SCORE, score)
                entities.append(entity)
        if self.config.overwrite_ents:
            doc.ents = filter_spans(entities)
        else:
            taken = {i for ent in doc.ents for i in range(ent.start, ent.end)}
            free = [e for e in filter_spans(entities) if not taken.intersection(range(e.start, e.end))]
            doc.ents = sorted([*doc.ents, *free], key=lambda e: e.start)
        triplets = []
        for triplet, score in prediction.triplets:
            subject, object_ = self._aligned(doc, triplet.subject), self._aligned(doc, triplet.object)
            if subject is not None and object_ is not None:
                triplets.append((subject, triplet.relation, object_, score))
        doc._.set(TRIPLETS, triplets)

    def _aligned(self, doc: Doc, span: Span) -> SpacySpan | None:
        """The token span covering the characters (None when they hold no token: whitespace only)."""
        return doc.char_span(
            span.start, span.end, label=span.type or self.config.label, kb_id=span.label, alignment_mode="expand"
        )


@Language.factory(
    FACTORY,
    default_config={"label": "ENT", "top_k": None, "batch_size": 32, "device": "cpu", "overwrite_ents": True},
    assigns=["doc.ents", "token.ent_iob", "token.ent_type", "token.ent_kb_id", f"doc._.{TRIPLETS}"],
)
def make_relik(
    nlp: Language, name: str, model: str, label: str, top_k: int | None, batch_size: int, device: str,
    overwrite_ents: bool,
) -> RelikComponent:
    """spaCy's factory: `config={"model": DIR}` plus the optional keys of `RelikComponentConfig`."""
    return RelikComponent(name, RelikComponentConfig(str(model), label, top_k, batch_size, device, overwrite_ents))
