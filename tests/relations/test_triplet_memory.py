"""A sentence with 40 entity mentions and K = 24 relations: every (subject, object, relation) row is
scored in bounded chunks, chunking does not change the result, and memory stays far below 4 GB."""
from __future__ import annotations

import resource

import pytest
import torch
from transformers import AutoTokenizer

from relik_ml.backbones import tiny_backbone
from relik_ml.reader.configuration import RelikReaderConfig
from relik_ml.reader.data import ReaderExample, collate, encode_examples
from relik_ml.reader.inputs import add_reader_tokens
from relik_ml.reader.modeling import RelikReaderModel
from relik_ml.types import Passage, Span, Triplet, Window

MENTIONS, RELATIONS = 40, 24
LIMIT_KB = 4 * 1024 * 1024  # ru_maxrss is in KiB on Linux


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    torch.set_num_threads(1)
    names = [f"Person{i}" for i in range(MENTIONS)]
    text = ", ".join(names) + " met."
    starts = [sum(len(n) + 2 for n in names[:i]) for i in range(MENTIONS)]
    spans = tuple(Span(s, s + len(n)) for s, n in zip(starts, names))
    triplets = (Triplet(spans[0], "R3", spans[1]), Triplet(spans[5], "R20", spans[39]))
    window = Window("w", "d", text, 0, len(text), "", spans, triplets)
    relations = tuple(Passage(f"R{i}", f"relation {i}", "") for i in range(RELATIONS))
    backbone = tiny_backbone(tmp_path_factory.mktemp("tiny") / "backbone")
    tokenizer = AutoTokenizer.from_pretrained(str(backbone))
    config = RelikReaderConfig(task="re", max_relation_candidates=RELATIONS, relation_chunk_size=1000,
                               relation_threshold=0.3)
    vocab = add_reader_tokens(tokenizer, config)
    torch.manual_seed(0)
    model = RelikReaderModel.from_backbone(str(backbone), config, vocab_size=vocab)
    encoded = encode_examples([ReaderExample(window, (), relations)], tokenizer, model.config, with_labels=True)
    return model, collate(encoded, tokenizer.pad_token_id, with_labels=True).tensors


def test_training_scores_every_row_in_chunks_within_memory(crowded):
    model, tensors = crowded
    assert tensors["spans"].shape[0] == MENTIONS and tensors["relation_positions"].shape[1] == RELATIONS
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    model.train()
    out = model(**tensors)
    out.loss.backward()
    rise = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert torch.isfinite(out.relation_loss)
    assert model.relation_head.classifier.weight.grad is not None
    assert rise < LIMIT_KB


def test_chunking_does_not_change_the_triplets(crowded):
    model, tensors = crowded
    model.eval()
    inputs = {k: v for k, v in tensors.items() if k not in ("span_entities", "triplets")}
    with torch.inference_mode():
        chunked = model(**inputs)
        model.config.relation_chunk_size = MENTIONS * MENTIONS * RELATIONS  # one chunk
        whole = model(**inputs)
        model.config.relation_chunk_size = 1000
    assert chunked.triplets.shape[0] > 0
    assert torch.equal(chunked.triplets, whole.triplets)
    assert torch.allclose(chunked.triplet_scores, whole.triplet_scores)
    assert int(chunked.triplets[:, 2].max()) < RELATIONS and int(chunked.triplets[:, :2].max()) < MENTIONS
