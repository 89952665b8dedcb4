"""EntQA reader training pieces for `train.train_reader` (`architecture: entqa`): the Lightning
system, the data and the dev tuning of γ.

Training windows carry their gold entities and sampled negatives (`entqa_data.training_examples`);
a batch holds whole windows (the rerank softmax runs over a window's candidates). Dev windows are
read with their first K retrieved candidates; each validation logs `val/link_f1` (span + entity, at
the best γ of `GAMMA_GRID`) and `val/span_f1` (at that γ); after the last phase γ
(`rerank_threshold`) is set to the best dev value when `tune_thresholds` is on.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from torch.utils.data import DataLoader
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from relik_ml.errors import InputError
from relik_ml.reader.artifact import load_reader
from relik_ml.reader.configuration import EntqaReaderConfig
from relik_ml.reader.data import ReaderExample, TokenBudgetSampler
from relik_ml.reader.entqa_data import EntqaBatch, EntqaInput, collate_pairs, encode_entqa, padded_size, \
    training_examples, window_rows
from relik_ml.reader.entqa_decoding import PairReading, dev_scores, read_pairs, tune_gamma
from relik_ml.reader.entqa_modeling import EntqaReaderModel
from relik_ml.reader.entqa_reading import read_inputs
from relik_ml.reader.module import RelikReaderModule


class EntqaReaderModule(RelikReaderModule):
    """The ReLiK reader's Lightning system (optimiser, schedule, loss logging) with EntQA's dev scores."""

    def __init__(self, model: EntqaReaderModel, **optimisation) -> None:
        super().__init__(model, **optimisation)
        self._dev_inputs: list[EntqaInput] = []
        self._dev_readings: list[PairReading] = []

    def validation_step(self, batch: EntqaBatch, batch_idx: int) -> None:
        out = self.model(**batch.tensors)
        self._log_losses("val", out, len(batch.inputs), on_step=False)
        first = len(self._dev_inputs)
        numbered = {id(inp): first + n for n, inp in enumerate(batch.inputs)}
        self._dev_inputs += batch.inputs
        places = [(numbered[id(inp)], k) for inp, k in batch.rows]
        config = self.model.config
        self._dev_readings += read_pairs(
            out, batch.tensors["span_mask"], places, config.top_spans, config.max_span_tokens)

    def on_validation_epoch_end(self) -> None:
        if self._dev_inputs:
            choice = tune_gamma(self._dev_inputs, self._dev_readings)
            scores = dev_scores(self._dev_inputs, self._dev_readings, choice.threshold)
            self.log("val/link_f1", scores["link_f1"])
            self.log("val/span_f1", scores["span_f1"])
        self._dev_inputs, self._dev_readings = [], []


@dataclass
class EntqaData:
    """Encoded training and dev windows and their loaders (batches of whole windows)."""

    train_inputs: list[EntqaInput]
    dev_inputs: list[EntqaInput]
    train_loader: DataLoader
    dev_loader: DataLoader | None


def entqa_data(
    train_examples: Sequence[ReaderExample], dev_examples: Sequence[ReaderExample], model: EntqaReaderModel,
    tokenizer: PreTrainedTokenizerBase, token_batch_size: int, seed: int,
) -> EntqaData:
    """Training windows with their sampled candidates, dev windows with their first K, both encoded."""
    config = model.config
    chosen = training_examples(train_examples, config, seed=seed)
    train_inputs = encode_entqa(chosen, tokenizer, config, with_labels=True)
    dev_inputs = encode_entqa(dev_examples, tokenizer, config, with_labels=True)
    read_dev = [i for i in dev_inputs if i.pairs]  # a window without candidates has nothing to read
    pad = tokenizer.pad_token_id
    return EntqaData(
        train_inputs, dev_inputs, _loader(train_inputs, pad, token_batch_size, seed, shuffle=True),
        _loader(read_dev, pad, token_batch_size, seed, shuffle=False) if read_dev else None,
    )


def tune_and_score(
    model: EntqaReaderModel, tokenizer: PreTrainedTokenizerBase, dev_inputs: Sequence[EntqaInput], *,
    tune: bool, token_batch_size: int,
) -> tuple[dict[str, float], dict[str, float]]:
    """With `tune`, set γ (`rerank_threshold`) to the best dev value; returns (the tuning, dev scores at γ)."""
    if not dev_inputs:
        return {}, {}
    config = model.config
    readings = read_inputs(model.eval(), tokenizer, dev_inputs, max_tokens=token_batch_size)
    thresholds: dict[str, float] = {}
    if tune:
        choice = tune_gamma(dev_inputs, readings)
        thresholds = {"rerank_threshold": choice.threshold, "previous": config.rerank_threshold, "link_f1": choice.f1}
        config.rerank_threshold = choice.threshold
    return thresholds, dev_scores(dev_inputs, readings, config.rerank_threshold)


def initial_entqa_model(
    reader_config: EntqaReaderConfig, backbone_path: str, init_from: str | None, run_keys: Sequence[str],
) -> tuple[EntqaReaderModel, PreTrainedTokenizerBase]:
    """A saved EntQA reader (warm start; `run_keys` taken from `reader_config`) or the backbone with
    fresh heads (its vocabulary unchanged)."""
    if init_from is not None:
        model, tokenizer = load_reader(init_from)
        if not isinstance(model, EntqaReaderModel):
            raise InputError("not an EntQA reader directory", path=init_from, field="init_from")
        for name in run_keys:
            setattr(model.config, name, getattr(reader_config, name))
        return model.train(), tokenizer
    tokenizer = AutoTokenizer.from_pretrained(backbone_path, local_files_only=True)
    return EntqaReaderModel.from_backbone(backbone_path, copy.deepcopy(reader_config)), tokenizer


def _loader(
    inputs: Sequence[EntqaInput], pad_token_id: int, max_tokens: int, seed: int, *, shuffle: bool
) -> DataLoader:
    """Batches of whole windows (all their pairs) under the token budget."""
    sampler = TokenBudgetSampler([padded_size(i) for i in inputs], max_tokens, shuffle=shuffle, seed=seed)
    collate = partial(_collate_windows, pad_token_id=pad_token_id)
    return DataLoader(list(inputs), batch_sampler=sampler, collate_fn=collate)


def _collate_windows(windows: Sequence[EntqaInput], pad_token_id: int) -> EntqaBatch:
    return collate_pairs(window_rows(windows), pad_token_id, with_labels=True)
