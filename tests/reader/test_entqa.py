"""EntQA's per-candidate reader (`architecture: entqa`): training, rejection, save / load, the façade."""
from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoTokenizer

from relik_ml.errors import InputError
from relik_ml.inference import Relik, RelikSettings, assemble_model_dir
from relik_ml.inference.reading import read_windows
from relik_ml.reader.artifact import load_reader, save_reader
from relik_ml.reader.configuration import RelikReaderConfig
from relik_ml.reader.data import ReaderExample
from relik_ml.reader.configuration import EntqaReaderConfig
from relik_ml.reader.entqa_data import collate_pairs, encode_entqa, training_examples, window_rows
from relik_ml.reader.entqa_modeling import EntqaReaderModel, group_log_softmax
from relik_ml.reader.train import ReaderTrainConfig, train_reader
from relik_ml.types import Span, Window

from .conftest import PASSAGES, minilm_path, paris_window, tiny_bert_config

ENTITIES = tuple(p for p in PASSAGES.values() if p.id in {"Paris", "France", "Lyon", "Berlin", "Germany"})


def make_entqa(**overrides) -> tuple[EntqaReaderModel, object]:
    torch.manual_seed(0)
    config = EntqaReaderConfig(
        max_candidates=5, train_candidates=3, encoder=tiny_bert_config().to_dict(), **overrides)
    return EntqaReaderModel(config).eval(), AutoTokenizer.from_pretrained(minilm_path())


def empty_window() -> Window:
    return Window("w-empty", "d2", "It rained all day long.", 0, 23)


def fit(model: EntqaReaderModel, tokenizer, examples: list[ReaderExample], steps: int) -> list[float]:
    """Plain AdamW steps on one batch of the examples' training pairs; the losses, first to last."""
    inputs = encode_entqa(training_examples(examples, model.config), tokenizer, model.config, with_labels=True)
    tensors = collate_pairs(window_rows(inputs), tokenizer.pad_token_id, with_labels=True).tensors
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3)
    model.train()
    losses = []
    for _ in range(steps):
        loss = model(**tensors).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    model.eval()
    return losses


def test_pairs_hold_the_window_then_the_candidate_and_gold_per_candidate():
    model, tokenizer = make_entqa()
    [encoded] = encode_entqa([ReaderExample(paris_window(), ENTITIES)], tokenizer, model.config, with_labels=True)
    assert [p.id for p in encoded.candidates] == [p.id for p in ENTITIES]
    pair = tokenizer.decode(encoded.pairs[0])
    assert pair.startswith("[CLS] paris is the capital of france. [SEP] paris : capital city of france")
    gold = dict(zip((p.id for p in encoded.candidates), encoded.gold))
    assert gold["Paris"] == ((0, 0),) and len(gold["France"]) == 1 and gold["Lyon"] == ()


def test_training_candidates_are_gold_plus_hard_and_random_negatives():
    config = EntqaReaderConfig(train_candidates=4, hard_negative_share=0.5)
    retrieved = tuple(PASSAGES[name] for name in ("Lyon", "Paris", "Berlin", "France"))
    ranked = ReaderExample(paris_window(), retrieved)
    other = ReaderExample(empty_window(), (PASSAGES["Germany"],))
    chosen = training_examples([ranked, other], config, seed=3)
    ids = [p.id for p in chosen[0].entities]
    # gold, then half of the 2 negatives hard (the best-ranked non-gold), the other drawn from the pool
    assert ids[:3] == ["Paris", "France", "Lyon"] and ids[3] in {"Berlin", "Germany"}
    ids = [p.id for p in chosen[1].entities]  # no gold: 4 negatives, the only retrieved one is hard
    assert ids[0] == "Germany" and len(ids) == len(set(ids)) == 4


def test_group_log_softmax_normalises_within_each_window():
    logits = torch.tensor([1.0, 2.0, 0.5, -1.0, 3.0])
    groups = torch.tensor([0, 0, 1, 1, 1])
    out = group_log_softmax(logits, groups)
    assert torch.allclose(out[:2], logits[:2].log_softmax(-1))
    assert torch.allclose(out[2:], logits[2:].log_softmax(-1))


def test_a_few_steps_lower_the_loss_and_the_rejection_is_learnt():
    model, tokenizer = make_entqa()
    examples = [ReaderExample(paris_window(), ENTITIES), ReaderExample(empty_window(), ENTITIES)]
    losses = fit(model, tokenizer, examples, steps=100)
    assert losses[-1] < 0.5 * losses[0]
    model.config.rerank_threshold = 0.0
    empty = read_windows(model, tokenizer, examples[1:], max_tokens=4096)[0]
    assert empty.spans == ()  # at any γ: every candidate ranks (1, 1) above all spans of a window without mentions
    model.config.rerank_threshold = 0.1
    paris = read_windows(model, tokenizer, examples[:1], max_tokens=4096)[0]
    assert {(s.start, s.end, s.label) for s, _ in paris.spans} == {(0, 5, "Paris"), (24, 30, "France")}


def test_a_threshold_above_every_score_predicts_nothing():
    model, tokenizer = make_entqa(rerank_threshold=0.0)
    example = [ReaderExample(paris_window(), ENTITIES)]
    [prediction] = read_windows(model, tokenizer, example, max_tokens=4096)
    assert prediction.spans
    model.config.rerank_threshold = max(score for _, score in prediction.spans)
    [prediction] = read_windows(model, tokenizer, example, max_tokens=4096)
    assert prediction.spans == ()


def test_given_mentions_are_all_returned_linked_or_nme():
    model, tokenizer = make_entqa()
    fit(model, tokenizer, [ReaderExample(paris_window(), ENTITIES), ReaderExample(empty_window(), ENTITIES)], steps=100)
    model.config.rerank_threshold = 0.1
    window = Window("w", "d", "Paris is the capital of France.", 0, 31, spans=(Span(24, 30), Span(0, 5)))
    [prediction] = read_windows(model, tokenizer, [ReaderExample(window, ENTITIES)], max_tokens=4096,
                                given_mentions=True)
    assert [(s.start, s.end, s.label) for s, _ in prediction.spans] == [(0, 5, "Paris"), (24, 30, "France")]


def test_train_reader_saves_an_entqa_directory_that_loads_to_identical_predictions(tmp_path, backbone_dir):
    config = RelikReaderConfig.from_settings({"architecture": "entqa", "max_candidates": 5, "train_candidates": 3})
    train = [ReaderExample(paris_window(), ENTITIES), ReaderExample(empty_window(), ENTITIES)]
    cfg = ReaderTrainConfig(backbone_path=backbone_dir, learning_rate=1e-3, max_steps=4, warmup_steps=1,
                            val_check_interval=2, monitor="val/link_f1")
    summary = train_reader(train, train, config, cfg, tmp_path / "reader")
    assert summary.steps == 4 and set(summary.dev_scores) >= {"link_f1", "span_f1"}
    saved = json.loads((tmp_path / "reader" / "config.json").read_text())
    assert saved["model_type"] == "entqa-reader" and saved["architecture"] == "entqa"
    assert saved["rerank_threshold"] == summary.thresholds["rerank_threshold"]
    assert (tmp_path / "reader" / "model.safetensors").is_file() and (tmp_path / "reader" / "manifest.json").is_file()
    model, tokenizer = load_reader(tmp_path / "reader")
    assert isinstance(model, EntqaReaderModel)
    model.config.rerank_threshold = 0.0
    first = read_windows(model, tokenizer, train, max_tokens=4096)
    save_reader(model, tokenizer, tmp_path / "again")
    again, tokenizer = load_reader(tmp_path / "again")
    assert again.config.rerank_threshold == 0.0
    assert read_windows(again, tokenizer, train, max_tokens=4096) == first


@pytest.fixture(scope="module")
def entqa_model_dir(tmp_path_factory):
    """The tiny model directory of tests/inference with an (untrained) EntQA reader, γ = 0."""
    from tests.inference.tiny_model import build_model_dir

    root = tmp_path_factory.mktemp("entqa")
    parts = build_model_dir(root / "parts", with_reader=False).parent
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = EntqaReaderModel.from_backbone(str(parts / "backbone"), EntqaReaderConfig(max_candidates=5,
                                                                                          rerank_threshold=0.0))
    save_reader(model.eval(), AutoTokenizer.from_pretrained(str(parts / "backbone")), root / "reader")
    return assemble_model_dir(
        root / "model", retriever_dir=parts / "retriever", index_dir=parts / "index",
        passages=parts / "passages.jsonl", reader_dir=root / "reader", settings=RelikSettings(top_k=5),
    )


def test_relik_from_pretrained_annotates_with_an_entqa_reader(entqa_model_dir):
    from tests.inference.tiny_model import TOY_KB

    relik = Relik.from_pretrained(entqa_model_dir)
    assert isinstance(relik.reader, EntqaReaderModel)
    text = "Paris is the capital of France and Berlin of Germany."
    prediction = relik(text)
    assert prediction.spans and {s.label for s, _ in prediction.spans} <= {p.id for p in TOY_KB}
    assert all(0 <= s.start < s.end <= len(text) and 0.0 < score <= 1.0 for s, score in prediction.spans)
    with pytest.raises(InputError, match="top_k"):
        relik(text, top_k=6)


def test_the_evaluation_runs_an_entqa_model_directory_unchanged(entqa_model_dir):
    from relik_ml.evaluation.evaluate import evaluate_model
    from relik_ml.formats import read_documents
    from tests.paths import ROOT

    documents = read_documents("elevant", [ROOT / "tests" / "fixtures" / "formats" / "elevant.jsonl"])
    result = evaluate_model(Relik.from_pretrained(entqa_model_dir), documents, dataset_name="elevant")
    scores = result["metrics"]
    assert {"inkb_el", "mention_detection", "ed"} <= set(scores)
    assert scores["inkb_el"]["tp"] + scores["inkb_el"]["fn"] == 4  # the in-KB gold mentions
    assert scores["ed"]["mentions"] == 4  # the given-mentions pass links every gold mention (or NME)
    json.dumps(result)


@pytest.mark.parametrize("settings, field", [
    ({"architecture": "bert"}, "architecture"),
    ({"architecture": "entqa", "top_spans": 0}, "top_spans"),
    ({"architecture": "entqa", "hard_negative_share": 1.5}, "hard_negative_share"),
    ({"architecture": "entqa", "rerank_threshold": 1.0}, "rerank_threshold"),
    ({"architecture": "entqa", "task": "cie"}, "task"),
    ({"architecture": "entqa", "negatives": 3}, "negatives"),
])
def test_bad_entqa_settings_are_input_errors_naming_the_key(settings, field):
    with pytest.raises(InputError, match=field) as raised:
        RelikReaderConfig.from_settings(settings, field="el/reader.model")
    assert raised.value.field == "el/reader.model"


def test_read_pairs_keeps_the_top_p_spans_above_the_no_span_answer():
    from relik_ml.reader.entqa_decoding import read_pairs
    from relik_ml.reader.entqa_modeling import EntqaReaderOutput

    # one pair, [CLS] + 4 window tokens + 1 candidate token; p_start / p_end over [CLS] and the window
    start = torch.tensor([[0.10, 0.50, 0.05, 0.30, 0.05, 0.0]])
    end = torch.tensor([[0.10, 0.05, 0.60, 0.05, 0.20, 0.0]])
    mask = torch.tensor([[True, True, True, True, True, False]])
    output = EntqaReaderOutput(start_log_probs=start.log(), end_log_probs=end.log(), rerank_logits=torch.zeros(1))
    [reading] = read_pairs(output, mask, [(0, 0)], top_spans=3, max_span_tokens=4)
    assert [(s, e) for s, e, _ in reading.spans] == [(1, 2), (1, 4), (3, 4)]  # 0.30, 0.10, 0.06 > 0.01 = (1, 1)
    [reading] = read_pairs(output, mask, [(0, 0)], top_spans=3, max_span_tokens=2)
    assert [(s, e) for s, e, _ in reading.spans] == [(1, 2), (3, 4), (2, 2)]  # (1, 4) is 4 tokens long
    assert reading.spans[0][2] == pytest.approx(0.30)
    null = EntqaReaderOutput(start_log_probs=torch.tensor([[0.9, 0.1, 0, 0, 0, 0]]).log(),
                             end_log_probs=torch.tensor([[0.9, 0.1, 0, 0, 0, 0]]).log(), rerank_logits=torch.zeros(1))
    assert read_pairs(null, mask, [(0, 0)], top_spans=3, max_span_tokens=4)[0].spans == ()


def test_random_negatives_from_a_large_pool_are_distinct_and_never_gold():
    from relik_ml.types import Passage

    pool = tuple(Passage(f"E{i}", f"Entity {i}", "") for i in range(200))
    config = EntqaReaderConfig(train_candidates=30, hard_negative_share=0.1)
    examples = [ReaderExample(paris_window(), (PASSAGES["Paris"], PASSAGES["France"], *pool[:100])),
                ReaderExample(empty_window(), pool[100:])]
    for example in training_examples(examples, config, seed=1):
        ids = [p.id for p in example.entities]
        assert len(ids) == len(set(ids)) == 30
    ids = [p.id for p in training_examples(examples, config, seed=1)[0].entities]
    assert ids[:2] == ["Paris", "France"] and ids[2:5] == ["E0", "E1", "E2"]  # 3 hard of 28 negatives
