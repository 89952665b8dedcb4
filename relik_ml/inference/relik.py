"""`Relik`: the user-facing façade over a self-contained model directory.

texts → windows (`make_windows`) → retriever embeds windows in batches → index top-K candidates →
reader inputs in token-budget batches → decode → windows merged per text (duplicates removed, the
more probable link wins; with `overlapping_spans` false only the best of overlapping spans) → spans
with character offsets into each text, KB id, title and score.
Windows of all the texts of one call share the retriever and reader batches, `WINDOWS_PER_STEP` at
a time, so a call on a huge text holds its windows and predictions but the model inputs of one step
only. `examples()` (windows + candidates) and `read()` (reader predictions per window) are the two
halves of a call. Candidate token ids are memoised per model (`TokenCache`); `precision="bf16"` runs
both models under bfloat16 autocast, `precision="int8"` reads with an int8 reader encoder.

Hostile input: a text that is not a string, or that holds a lone surrogate ("\ud800", which no
tokenizer can encode), is an `InputError` naming the text's position and the field "text"; an empty
or blank text gives an empty prediction; a run of more than 100 characters without a space is not
read (`relik_ml.windows`). `top_k` must be an integer from 1 to the reader's `max_candidates` (a
larger K would be cut by the reader, so it is refused rather than cut silently); the index is
never asked for more than it holds.
"""
from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import overload

import faiss
import torch
from transformers import PreTrainedTokenizerBase

from relik_ml.arguments import check_positive_int, parse_device, unicode_problem
from relik_ml.errors import InputError
from relik_ml.inference import model_dir as names
from relik_ml.inference.kb import KnowledgeBase
from relik_ml.inference.model_dir import write_model_files
from relik_ml.inference.quantization import quantize_reader_encoder
from relik_ml.inference.reading import read_windows, split_long_windows
from relik_ml.inference.settings import RelikSettings
from relik_ml.io import atomic_directory, read_json
from relik_ml.reader.artifact import load_reader, save_reader
from relik_ml.reader.data import ReaderExample, build_examples
from relik_ml.reader.decoding import merge_windows
from relik_ml.reader.inputs import TokenCache
from relik_ml.reader.modeling import RelikReaderModel
from relik_ml.types import Candidate, Document, Passage, Prediction, Span, Window
from relik_ml.windows import make_windows

Mentions = Sequence[Sequence[tuple[int, int]]]
PRECISIONS = ("fp32", "bf16", "int8")
WINDOWS_PER_STEP = 4096  # windows retrieved and read together in one step of a call (bounds the model inputs held)


class Relik:
    """Retriever + index + reader behind one call: `Relik.from_pretrained(dir)("some text")`."""

    def __init__(
        self,
        settings: RelikSettings,
        *,
        entities: KnowledgeBase | None = None,
        relations: KnowledgeBase | None = None,
        reader: tuple[RelikReaderModel, PreTrainedTokenizerBase] | None = None,
        precision: str = "fp32",
    ) -> None:
        if precision not in PRECISIONS:
            raise InputError(f"must be one of {PRECISIONS}, got {precision!r}", field="precision")
        self.settings = settings
        self.precision = precision
        self.entities = entities
        self.relations = relations
        self.reader, self.tokenizer = reader if reader is not None else (None, None)
        if precision == "int8" and self.reader is not None:
            self.reader = quantize_reader_encoder(self.reader)
        self._tokens = TokenCache(self.tokenizer, self.reader.config) if self.reader is not None else None
        _check_parts(self)

    @classmethod
    def from_pretrained(
        cls, directory: str | Path, *, device: str = "cpu", threads: int | None = None, precision: str = "fp32"
    ) -> Relik:
        """Load a model directory (see `relik_ml.inference.model_dir`).

        `threads` sets the torch and FAISS CPU threads. `precision` "bf16" runs the retriever and
        reader matrix products in bfloat16 (autocast; faster on CPUs with AVX512-BF16 or AMX);
        "int8" quantizes the reader encoder's linear layers (CPU only, `quantization` module). Both
        change scores slightly from "fp32", the default.
        """
        directory = Path(directory)
        try:
            parse_device(device)
        except InputError as exc:
            raise InputError(exc.message, field="device") from None
        if threads is not None:
            torch.set_num_threads(check_positive_int(threads, field="threads"))
            faiss.omp_set_num_threads(threads)
        settings_path = directory / names.SETTINGS_FILE
        settings = RelikSettings.from_json(read_json(settings_path), path=settings_path)
        entities = relations = reader = None
        if (directory / settings.kb).exists():
            entities = KnowledgeBase.load(
                directory / settings.kb, directory / names.RETRIEVER_DIR, directory / names.INDEX_DIR, device
            )
        if settings.relations:
            relations = KnowledgeBase.load(
                directory / settings.relations,
                directory / names.RELATION_RETRIEVER_DIR,
                directory / names.RELATION_INDEX_DIR,
                device,
            )
        if (directory / names.READER_DIR).is_dir():
            model, tokenizer = load_reader(directory / names.READER_DIR)
            reader = (model.to(device).eval(), tokenizer)
        return cls(settings, entities=entities, relations=relations, reader=reader, precision=precision)

    def save_pretrained(self, directory: str | Path) -> Path:
        """Write every component and `relik.json` into `directory` atomically; returns it."""
        if self.precision == "int8":
            raise InputError("an int8 reader is not saved: load the directory with precision fp32 to save it",
                             field="precision")
        settings = self.settings.overridden(
            kb=names.PASSAGES_FILE, relations=names.RELATIONS_FILE if self.relations else None
        )
        with atomic_directory(directory) as tmp:
            if self.entities is not None:
                self.entities.save(tmp / names.PASSAGES_FILE, tmp / names.RETRIEVER_DIR, tmp / names.INDEX_DIR)
            if self.relations is not None:
                self.relations.save(
                    tmp / names.RELATIONS_FILE, tmp / names.RELATION_RETRIEVER_DIR, tmp / names.RELATION_INDEX_DIR
                )
            if self.reader is not None:
                save_reader(self.reader, self.tokenizer, tmp / names.READER_DIR)
            write_model_files(tmp, settings)
        return Path(directory)

    @overload
    def __call__(self, texts: str, **options) -> Prediction: ...

    @overload
    def __call__(self, texts: Sequence[str], **options) -> list[Prediction]: ...

    def __call__(
        self,
        texts: str | Sequence[str],
        *,
        top_k: int | None = None,
        window_size: int | None = None,
        stride: int | None = None,
        batch_size: int | None = None,
        candidates: Sequence[Sequence[str]] | None = None,
        mentions: Mentions | None = None,
        progress: bool = False,
    ) -> Prediction | list[Prediction]:
        """Annotate one text (→ a `Prediction`) or many (→ a list, ids "0", "1", …).

        `candidates`: KB ids per text, given to every window of that text instead of retrieval.
        `mentions`: (start, end) character spans per text; the reader links (and relates) these
        instead of predicting spans (entity disambiguation).
        """
        single = isinstance(texts, str)
        texts = [texts] if single else _listed(texts)
        documents = _documents(texts, mentions)
        settings = self._call_settings(top_k, window_size, stride, batch_size)
        given = self._given_candidates(candidates, documents)
        windows = [w for doc in documents for w in make_windows(doc, settings.window_config)[0]]
        fitted: list[Window] = []  # the windows read: split to fit the reader, mention-less ones dropped if asked
        read: list[Prediction] = []
        for first in range(0, len(windows), WINDOWS_PER_STEP):
            step = self._fit(windows[first : first + WINDOWS_PER_STEP], mentions is not None)
            examples = self._examples(step, given, settings, progress)
            read += self.read(examples, batch_size=batch_size, given_mentions=mentions is not None, progress=progress)
            fitted += step
        overlapping = self.settings.overlapping_spans or mentions is not None  # given mentions are all kept
        predictions = _merge(texts, fitted, read, overlapping=overlapping)
        return predictions[0] if single else predictions

    def examples(
        self,
        texts: Sequence[str],
        *,
        top_k: int | None = None,
        window_size: int | None = None,
        stride: int | None = None,
        batch_size: int | None = None,
        candidates: Sequence[Sequence[str]] | None = None,
        mentions: Mentions | None = None,
        progress: bool = False,
    ) -> list[ReaderExample]:
        """The first half of a call: windows of the texts with their retrieved (or given) candidates."""
        documents = _documents(_listed(texts), mentions)
        settings = self._call_settings(top_k, window_size, stride, batch_size)
        given = self._given_candidates(candidates, documents)
        windows = [w for doc in documents for w in make_windows(doc, settings.window_config)[0]]
        return self._examples(self._fit(windows, mentions is not None), given, settings, progress)

    def _call_settings(
        self, top_k: int | None, window_size: int | None, stride: int | None, batch_size: int | None
    ) -> RelikSettings:
        """The settings of one call (checked before anything is allocated); K at most the reader's `max_candidates`."""
        self._require_reader()
        settings = self.settings.overridden(top_k=top_k, window_size=window_size, stride=stride, batch_size=batch_size)
        limit = self.reader.config.max_candidates
        if top_k is not None and self.reader.config.has_entities and top_k > limit:
            raise InputError(f"expected an integer from 1 to the reader's max_candidates ({limit}), got {top_k}",
                             field="top_k")
        return settings

    def read(
        self,
        examples: Sequence[ReaderExample],
        *,
        batch_size: int | None = None,
        given_mentions: bool = False,
        progress: bool = False,
    ) -> list[Prediction]:
        """The second half of a call: one reader prediction per example (offsets within its window)."""
        self._require_reader()
        batch_size = self.settings.batch_size if batch_size is None else check_positive_int(batch_size, "batch_size")
        budget = batch_size * self.reader.config.max_input_tokens
        with self._autocast():
            return read_windows(
                self.reader, self.tokenizer, examples, max_tokens=budget, given_mentions=given_mentions,
                progress=progress, tokens=self._tokens,
            )

    def _autocast(self) -> contextlib.AbstractContextManager:
        """bfloat16 autocast on the reader's device for precision "bf16", else nothing."""
        if self.precision != "bf16":
            return contextlib.nullcontext()
        device = self.reader.device.type if self.reader is not None else "cpu"
        return torch.autocast(device_type=device, dtype=torch.bfloat16)

    def _examples(
        self, windows: list[Window], given: dict[str, list[Passage]] | None, settings: RelikSettings, progress: bool,
    ) -> list[ReaderExample]:
        with self._autocast():
            entity_candidates = self._entity_candidates(windows, given, settings, progress)
            relation_candidates = self._relation_candidates(windows, settings, progress)
        return build_examples(
            windows, entity_candidates, relation_candidates=relation_candidates, k=settings.top_k,
            k_relations=settings.relation_top_k,
        )

    def _require_reader(self) -> None:
        if self.reader is None:
            raise InputError("this model directory has no reader/ (retriever only): use retrieve()", field="reader")

    def retrieve(
        self, windows: Sequence[Window], *, top_k: int | None = None, batch_size: int | None = None,
        relations: bool = False, progress: bool = False,
    ) -> list[list[Candidate]]:
        """Top-k entity (or, with `relations`, relation) candidates per window, best first."""
        kb = self.relations if relations else self.entities
        if kb is None:
            raise InputError("this model directory has no such KB", field="relations" if relations else "kb")
        settings = self.settings.overridden(top_k=top_k, batch_size=batch_size)
        k = settings.relation_top_k if relations and top_k is None else settings.top_k
        return kb.rank(windows, k, settings.batch_size, progress)

    def _fit(self, windows: list[Window], only_with_mentions: bool) -> list[Window]:
        """The windows with long ones split to fit the reader and, if asked, mention-less ones dropped."""
        windows = split_long_windows(windows, self.tokenizer, self.reader.config.max_input_tokens // 2)
        return [w for w in windows if w.spans] if only_with_mentions else windows

    def _given_candidates(
        self, candidates: Sequence[Sequence[str]] | None, documents: list[Document]
    ) -> dict[str, list[Passage]] | None:
        """The given candidate passages per document id (None: retrieve them); unknown ids are an `InputError`."""
        if candidates is None or not self.reader.config.has_entities:
            return None
        rows = _per_text(candidates, documents, "candidates")
        return {doc.id: self.entities.lookup(list(ids), "candidates") for doc, ids in zip(documents, rows)}

    def _entity_candidates(
        self, windows: list[Window], given: dict[str, list[Passage]] | None, settings: RelikSettings, progress: bool,
    ) -> dict[str, list[Passage]]:
        if not self.reader.config.has_entities:
            return {}
        if given is not None:
            return {w.id: given[w.doc_id] for w in windows}
        ranked = self.entities.rank(windows, settings.top_k, settings.batch_size, progress)
        return {w.id: [self.entities.passages[c.passage_id] for c in row] for w, row in zip(windows, ranked)}

    def _relation_candidates(
        self, windows: list[Window], settings: RelikSettings, progress: bool
    ) -> dict[str, list[Passage]]:
        if not self.reader.config.has_relations:
            return {}
        ranked = self.relations.rank(windows, settings.relation_top_k, settings.batch_size, progress)
        return {w.id: [self.relations.passages[c.passage_id] for c in row] for w, row in zip(windows, ranked)}


def _check_parts(relik: Relik) -> None:
    """Raise `InputError` when the components do not fit together."""
    config = relik.reader.config if relik.reader is not None else None
    if relik.entities is None or not relik.entities.searchable:
        if config is None or config.has_entities:
            raise InputError("an entity retriever/, index/ and passages are required", field="kb")
    if config is None:
        return
    if config.task != relik.settings.task:
        raise InputError(f"reader task {config.task!r} differs from relik.json task {relik.settings.task!r}", field="task")
    if config.has_relations:
        if relik.relations is None:
            raise InputError("an RE / cIE reader needs relation passages", field="relations")
        if not relik.relations.searchable and len(relik.relations.passages) > relik.settings.relation_top_k:
            raise InputError(
                f"{len(relik.relations.passages)} relations exceed relation_top_k={relik.settings.relation_top_k} "
                "and there is no relation index", field="relations",
            )


def _per_text(values: Sequence, documents: list[Document], field: str) -> Sequence:
    if isinstance(values, (str, bytes)) or len(values) != len(documents):
        raise InputError(f"expected one list per text ({len(documents)})", field=field)
    return values


def _listed(texts: object) -> list:
    """The texts of a call as a list; something that is no sequence of texts is an `InputError`."""
    if isinstance(texts, (bytes, bytearray)):
        raise InputError(f"expected a string or a list of strings, got {type(texts).__name__}", field="text")
    try:
        return list(texts)
    except TypeError:
        raise InputError(f"expected a string or a list of strings, got {type(texts).__name__}", field="text") from None


def _documents(texts: list, mentions: Mentions | None) -> list[Document]:
    """One `Document` per text (id = position); given mentions become NME spans to link."""
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise InputError(f"text {i} is a {type(text).__name__}, not a string", field="text")
        problem = unicode_problem(text)
        if problem is not None:
            raise InputError(f"text {i}: {problem}", field="text")
    spans = _per_text(mentions, [None] * len(texts), "mentions") if mentions is not None else [()] * len(texts)
    return [Document(str(i), text, _mention_spans(text, given)) for i, (text, given) in enumerate(zip(texts, spans))]


def _mention_spans(text: str, mentions: Sequence[tuple[int, int]]) -> tuple[Span, ...]:
    spans = []
    for pair in mentions:
        try:
            start, end = (int(x) for x in pair)
        except (TypeError, ValueError):
            raise InputError(f"expected a (start, end) pair, got {pair!r}", field="mentions") from None
        if not 0 <= start < end <= len(text):
            raise InputError(f"span ({start}, {end}) outside a text of {len(text)} characters", field="mentions")
        spans.append(Span(start, end))
    return tuple(sorted(set(spans), key=lambda s: (s.start, s.end)))


def _merge(texts: list[str], windows: list[Window], read: list[Prediction], *, overlapping: bool) -> list[Prediction]:
    """One prediction per text (id = position, as in `_documents`) from the window predictions."""
    by_doc: dict[str, list[tuple[Window, Prediction]]] = {str(i): [] for i in range(len(texts))}
    for window, prediction in zip(windows, read, strict=True):
        by_doc[window.doc_id].append((window, prediction))
    return [
        merge_windows([p for _, p in pairs], [w.start for w, _ in pairs], doc_id=doc_id, doc_text=text,
                      overlapping=overlapping)
        for (doc_id, pairs), text in zip(by_doc.items(), texts)
    ]
