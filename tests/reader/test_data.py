"""Examples with gold candidates, token-budget batches and collate."""
from __future__ import annotations

from relik_ml.reader.data import TokenBudgetSampler, build_examples, collate, encode_examples, token_budget_batches


def test_gold_candidates_are_always_included_at_training_time(paris, passages):
    ranked = {paris.id: [passages[i] for i in ("Lyon", "Berlin", "Germany", "Paris", "France")]}
    (train,) = build_examples([paris], ranked, passages=passages, k=3, training=True, seed=3)
    (infer,) = build_examples([paris], ranked, passages=passages, k=3)
    assert len(train.entities) == 3 and {"Paris", "France"} <= {p.id for p in train.entities}
    assert [p.id for p in infer.entities] == ["Lyon", "Berlin", "Germany"]


def test_token_budget_batches_respect_the_budget():
    lengths = [5, 300, 40, 41, 700, 12, 90, 2100, 64, 64]
    batches = token_budget_batches(lengths, 256, seed=1)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= 256
    assert len(TokenBudgetSampler(lengths, 256)) == len(batches)


def test_collate_pads_and_offsets_gold(make_reader, paris, passages):
    _, tokenizer, config = make_reader("cie")
    ranked = {paris.id: [passages["Paris"], passages["France"]]}
    rels = {paris.id: [passages["P17"], passages["P1376"]]}
    examples = build_examples([paris, paris], ranked, relation_candidates=rels, passages=passages, k=4, training=True)
    inputs = encode_examples(examples, tokenizer, config, with_labels=True)
    batch = collate(inputs, tokenizer.pad_token_id, with_labels=True).tensors
    assert batch["input_ids"].shape == batch["window_mask"].shape == batch["attention_mask"].shape
    assert batch["window_mask"][0].sum() == inputs[0].num_window_tokens
    assert batch["spans"].tolist() == [[0, 1, 1], [0, 6, 6], [1, 1, 1], [1, 6, 6]]
    assert batch["triplets"].tolist() == [[0, 1, 1], [2, 3, 1]]
    assert batch["entity_positions"].shape == (2, 3) and batch["relation_mask"].all()
