"""The `relik` spaCy component on blank pipelines with the tiny model directories: doc.ents and
kb_id_ equal to the model's own predictions, batched nlp.pipe, triplets of an RE model, a rule-based
NER kept, and `spacy.load` of a saved pipeline finding the factory through the entry point alone."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.util import filter_spans

from relik_ml.inference import Relik
from relik_ml.serving.spacy_component import RelikComponent
from tests.inference.tiny_model import build_model_dir

TEXTS = [
    "Frank Blake left The Home Depot in Seattle and flew to Paris, France.",
    "Berlin is the capital of Germany and Moscow that of Russia.",
    "",
    "Tokyo, Beijing and Cairo hosted the talks with London.",
]


def _expected(doc, prediction) -> list[tuple[int, int, str]]:  # noqa: ANN001
    """The prediction's spans on the doc's tokens (expanded to whole tokens; of overlapping ones the
    longest, as spaCy's `filter_spans` keeps), as (start, end, kb id)."""
    spans = [doc.char_span(s.start, s.end, alignment_mode="expand", kb_id=s.label) for s, _ in prediction.spans]
    return [(span.start, span.end, span.kb_id_) for span in filter_spans(spans)]


def _ents(doc) -> list[tuple[int, int, str]]:  # noqa: ANN001
    return [(e.start, e.end, e.kb_id_) for e in doc.ents]


@pytest.fixture(scope="module")
def nlp(model_dir: Path):
    nlp = spacy.blank("en")
    nlp.add_pipe("relik", config={"model": str(model_dir)})
    return nlp


def test_ents_carry_the_models_spans_and_kb_ids(nlp, relik) -> None:
    doc = nlp(TEXTS[0])
    prediction = relik(TEXTS[0])
    assert prediction.spans, "the low-threshold tiny reader predicts spans"
    assert _ents(doc) == _expected(doc, prediction)
    by_tokens = {}
    for span, score in prediction.spans:
        aligned = doc.char_span(span.start, span.end, alignment_mode="expand")
        by_tokens[(aligned.start, aligned.end, span.label)] = (span, score)
    for ent in doc.ents:
        assert ent.label_ == "ENT"
        span, score = by_tokens[(ent.start, ent.end, ent.kb_id_)]
        assert (ent.kb_id_, ent._.relik_title, ent._.relik_score) == (span.label, span.title, score)
    assert doc._.relik_triplets == []  # an EL model relates nothing


def test_pipe_reads_each_batch_in_one_model_call(nlp, model_dir) -> None:
    component: RelikComponent = nlp.get_pipe("relik")
    calls = []
    model = component.relik

    def counted(texts, **options):  # noqa: ANN001, ANN202
        calls.append(list(texts))
        return model(texts, **options)

    component.relik = counted
    try:
        docs = list(nlp.pipe(TEXTS, batch_size=3))
    finally:
        component.relik = model
    assert calls == [TEXTS[:3], TEXTS[3:]]
    one_by_one = [nlp(text) for text in TEXTS]
    assert [_ents(d) for d in docs] == [_ents(d) for d in one_by_one]
    assert docs[2].ents == ()
    assert sum(len(d.ents) for d in docs) > 0


def test_an_re_model_fills_the_triplets_extension(tmp_path: Path) -> None:
    directory = build_model_dir(tmp_path, task="re")
    nlp = spacy.blank("en")
    nlp.add_pipe("relik", config={"model": str(directory), "label": "MENTION"})
    text = "Frank Blake works for Home Depot in Atlanta, the capital of Georgia."
    doc = nlp(text)
    prediction = Relik.from_pretrained(directory)(text)
    assert prediction.triplets, "the low-threshold tiny reader predicts triplets"
    got = [(s.start_char, s.end_char, r, o.start_char, o.end_char, round(p, 6)) for s, r, o, p in doc._.relik_triplets]
    expected = []
    for triplet, score in prediction.triplets:
        subject = doc.char_span(triplet.subject.start, triplet.subject.end, alignment_mode="expand")
        object_ = doc.char_span(triplet.object.start, triplet.object.end, alignment_mode="expand")
        expected.append((subject.start_char, subject.end_char, triplet.relation, object_.start_char, object_.end_char,
                         round(score, 6)))
    assert got == expected
    assert {e.label_ for e in doc.ents} == {"MENTION"}


def test_a_rule_based_ner_is_kept_when_not_overwriting(model_dir: Path) -> None:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "GPE", "pattern": "Seattle"}])
    nlp.add_pipe("relik", config={"model": str(model_dir), "overwrite_ents": False})
    doc = nlp(TEXTS[0])
    seattle = [e for e in doc.ents if e.text == "Seattle"]
    assert len(seattle) == 1 and seattle[0].label_ == "GPE" and seattle[0].kb_id_ == ""
    others = [e for e in doc.ents if e.label_ == "ENT"]
    assert others and all(e.kb_id_ for e in others)
    assert all(a.end <= b.start for a, b in zip(doc.ents, doc.ents[1:]))  # no overlap


def test_a_saved_pipeline_loads_through_the_entry_point(nlp, tmp_path: Path) -> None:
    nlp.to_disk(tmp_path / "pipeline")
    script = (
        "import sys, spacy\n"
        "assert 'relik_ml' not in sys.modules\n"
        f"nlp = spacy.load({str(tmp_path / 'pipeline')!r})\n"
        "doc = nlp('Berlin is the capital of Germany and Moscow that of Russia.')\n"
        "print(nlp.pipe_names, [(e.start, e.end, e.kb_id_) for e in doc.ents])\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    expected = [(e.start, e.end, e.kb_id_) for e in nlp(TEXTS[1]).ents]
    assert expected, "the doc has entities to compare"
    assert out.stdout.strip() == f"['relik'] {expected}"
