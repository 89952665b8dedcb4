"""`RelikReaderConfig`: every hyper-parameter of the ReLiK reader, explicit and documented.

Special tokens: EL uses `<ST0>` (NME) … `<STK>` (K = `max_candidates`); RE uses `<ST1>` …
`<STK'>` (K' = `max_relation_candidates`); cIE uses `<ST0>` … `<STK>` for entities and
`<ST{K+1}>` … `<ST{K+K'}>` for relations, as in the paper (§3.2).

Overflow policy: when `window + candidates` exceeds `max_input_tokens`, training trims: candidates
are dropped from the bottom of the retriever ranking (entities and relations interleaved by rank)
until the input fits, gold candidates never. EL inference reads all K: the candidates that do not
fit go in further passes over the same window, batched with the first and merged (spans and the
no-entity score from the first pass, each candidate's score from its own pass;
`relik_ml.inference.reading.read_windows(split_candidates=True)`); RE and cIE readers keep one
trimmed pass (their triplet head reads the candidates of one input together). The window is never
cut: a window longer than the budget is an input error.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from huggingface_hub.dataclasses import strict
from transformers import AutoConfig, PretrainedConfig

from relik_ml.errors import InputError
from relik_ml.settings import config_from_settings
from relik_ml.windows import TOKENIZERS

CANDIDATE_ATTENTION = ("joint", "own-text")
ARCHITECTURES = ("relik", "entqa")

Task = Literal["el", "re", "cie"]
CandidateText = Literal["title", "title+description"]


@strict(accept_kwargs=True)
class RelikReaderConfig(PretrainedConfig):
    """Configuration of `RelikReaderModel` (encoder + span, EL and RE heads)."""

    model_type = "relik-reader"

    # "relik": one pass over the window and all K candidates (this class). "entqa": EntQA's reader,
    # one pass per (window, candidate) pair with start / end / rerank heads (`EntqaReaderConfig`
    # below, which `from_settings` returns for it; its own keys are documented there).
    architecture: str = "relik"
    # Encoder config as a dict (`AutoConfig.for_model(**encoder)`, e.g. `BertConfig().to_dict()`);
    # filled in by `RelikReaderModel.from_backbone(path, config)` when built from a backbone dir.
    encoder: dict[str, Any] | None = None
    # "el" (spans + linking), "re" (spans + triplets) or "cie" (both, RE conditioned on EL).
    task: Task = "el"
    # K: entity candidates per window (paper: 100 for AIDA, 25 for cIE); <ST0> (NME) comes on top.
    max_candidates: int = 100
    # K': relation candidates per window (paper: 24 for NYT, 20 for cIE); unused for "el".
    max_relation_candidates: int = 24
    # Text shown for each candidate: its title (paper, EL) or "title: description" (RE, cIE).
    candidate_text: CandidateText = "title"
    # Tokens kept per candidate text (title or title+description) after tokenisation.
    max_candidate_tokens: int = 32
    # Input budget in tokens; BERT-family backbones (MiniLM-L6, me5-small) have 512 positions. See "trim" above.
    max_input_tokens: int = 512
    # Hidden size of the start/end heads: 0 = one linear layer as in the paper; > 0 adds a GELU layer.
    span_head_hidden_size: int = 0
    # Output size of the shared EL projection of mentions [X_s; X_e] and special tokens; 0 = encoder H.
    entity_projection_size: int = 0
    # Output size of the subject/object/relation projections (Hadamard space); 0 = encoder H.
    relation_projection_size: int = 0
    # Activation of every projection (paper: GELU).
    activation: str = "gelu"
    # Dropout on the encoder output before every head.
    dropout: float = 0.1
    # Weight of the positive class (a mention starts / ends here) in the start and end cross-entropy
    # (weighted mean). 1.0 = plain CE as in the paper. Starts are ~14% of AIDA window tokens and a
    # span's end is 1 of ~10 valid positions, so on a short budget plain CE keeps p_start under the
    # 0.5 threshold for hundreds of steps; 2-4 lifts gold starts above it early (sample: issue 4).
    span_positive_weight: float = 1.0
    # Weight of the positive class in the relation cross-entropy (summed over all spans² x relations
    # rows, divided by their number). 1.0 = the paper; on CoNLL04 about 1 row in 80 is a triplet.
    relation_positive_weight: float = 1.0
    # p_start(s) > start_threshold marks a mention start (paper: 0.5).
    start_threshold: float = 0.5
    # p_end(t | s) > end_threshold marks a mention end for start s (paper: 0.5).
    end_threshold: float = 0.5
    # p_rel > relation_threshold keeps a (subject, relation, object) triplet (paper: 0.5).
    relation_threshold: float = 0.5
    # At inference, at most this many predicted spans per window (highest span probability first).
    max_predicted_spans: int = 64
    # (subject, object, relation) rows materialised at once by the RE head; bounds its memory.
    relation_chunk_size: int = 8192
    # "joint" (the paper): every token attends to every token. "own-text": a candidate text token
    # attends to its own text only (positions restart at 1), <ST_i> to the window, the special
    # tokens and its own text, window tokens to everything; a candidate text then does not depend on
    # the window, so inference encodes each distinct text of a batch once (`own_text` module): less
    # reading time, a different model (train it that way); BERT-type encoders only.
    candidate_attention: str = "joint"
    # Predicted spans are widened to whole words of this word tokenizer (a key of
    # `windows.TOKENIZERS`; "" keeps the subword-token spans), see `word_spans`: "whitespace" for
    # data that is tokens joined by spaces (CoNLL04, where `Boise.` is one word), "whitespace-punct"
    # (the windows' default) for raw text.
    span_words: str = "whitespace-punct"

    def __post_init__(self, **kwargs: Any) -> None:
        super().__post_init__(**kwargs)
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {self.architecture!r}")
        if self.task not in ("el", "re", "cie"):
            raise ValueError(f"task must be 'el', 're' or 'cie', got {self.task!r}")
        if self.max_candidates < 1 or self.max_relation_candidates < 1:
            raise ValueError("max_candidates and max_relation_candidates must be >= 1")
        if self.relation_chunk_size < 1:
            raise ValueError("relation_chunk_size must be >= 1")
        if self.candidate_attention not in CANDIDATE_ATTENTION:
            raise ValueError(f"candidate_attention must be one of {CANDIDATE_ATTENTION}, got {self.candidate_attention!r}")
        if self.span_words and self.span_words not in TOKENIZERS:
            raise ValueError(f"span_words must be '' or one of {sorted(TOKENIZERS)}, got {self.span_words!r}")
        for name in ("span_positive_weight", "relation_positive_weight"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("start_threshold", "end_threshold", "relation_threshold"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], field: str = "model") -> RelikReaderConfig:
        """A config from user settings (a params `model:` section); unknown keys are an `InputError`
        on `field` (the constructor itself keeps them as extra attributes, as HF configs do).
        `architecture: entqa` gives an `EntqaReaderConfig`."""
        if settings.get("architecture") == "entqa" and cls is RelikReaderConfig:
            return EntqaReaderConfig.from_settings(settings, field)
        return config_from_settings(cls, settings, field, "reader")

    @property
    def has_entities(self) -> bool:
        """True when the reader links entities (EL or cIE)."""
        return self.task in ("el", "cie")

    @property
    def has_relations(self) -> bool:
        """True when the reader extracts triplets (RE or cIE)."""
        return self.task in ("re", "cie")

    @property
    def num_entity_tokens(self) -> int:
        """K + 1 entity special tokens (<ST0> = NME) or 0 for RE."""
        return self.max_candidates + 1 if self.has_entities else 0

    @property
    def num_relation_tokens(self) -> int:
        """K' relation special tokens, or 0 for EL."""
        return self.max_relation_candidates if self.has_relations else 0

    @property
    def num_special_tokens(self) -> int:
        """Special tokens added to the tokenizer: K + 1 (EL), K' (RE) or K + 1 + K' (cIE)."""
        return self.num_entity_tokens + self.num_relation_tokens

    def special_tokens(self) -> list[str]:
        """The names of the special tokens in input order: entities then relations."""
        first = 0 if self.has_entities else 1
        return [f"<ST{first + i}>" for i in range(self.num_special_tokens)]


AutoConfig.register(RelikReaderConfig.model_type, RelikReaderConfig, exist_ok=True)


@strict(accept_kwargs=True)
class EntqaReaderConfig(RelikReaderConfig):
    """Configuration of `EntqaReaderModel`: EntQA's reader (seed 003, §2.2, §2.3 and Appendix A), a
    reader variant with start, end and rerank heads.

    It keeps the ReLiK reader's keys that mean the same here (task, K = `max_candidates`, candidate text
    and its token cap, input budget, dropout, `span_words`) and adds EntQA's: P spans per candidate, the
    longest span, γ, and the training candidates (gold + 90% random / 10% hard negatives). The ReLiK
    keys of heads EntQA does not have (span / entity / relation projections, thresholds of the start and
    end heads, candidate attention) are accepted and unused. EntQA reads one pair
    `[CLS] window [SEP] candidate text [SEP]` per candidate, so the budget `max_input_tokens` bounds one
    pair: a candidate text that does not fit is cut, the window never is (a window over the budget is an
    input error, as in the ReLiK reader). EntQA links entities only: task "el".
    """

    model_type = "entqa-reader"

    architecture: str = "entqa"
    # Text shown for each candidate: EntQA appends title and description (φ_title ⊕ φ_desc).
    candidate_text: str = "title+description"
    # P: most probable spans kept per candidate, each more probable than the (1, 1) "no span" (paper: 3).
    top_spans: int = 3
    # Longest predicted span, in subword tokens (gold spans of any length are trained on).
    max_span_tokens: int = 16
    # γ: a labelled mention is kept when p_rerank(e_k) x p_span(s, t | e_k) > γ (paper: 0.05, its
    # Appendix A tunes it on dev); training sets it to the best dev value of `GAMMA_GRID`.
    rerank_threshold: float = 0.05
    # Candidates per training window: its gold entities, then negatives up to this count (the paper
    # trains on the retriever's top 64; fewer keep a CPU step affordable: one pass per candidate).
    train_candidates: int = 16
    # Share of the negatives that are hard (the retriever's best non-gold candidates of the window);
    # the rest are drawn uniformly from the candidate passages of all training windows (paper: 0.1).
    hard_negative_share: float = 0.1

    def __post_init__(self, **kwargs: Any) -> None:
        super().__post_init__(**kwargs)
        if self.architecture != "entqa":
            raise ValueError(f"architecture must be 'entqa' for an EntQA reader, got {self.architecture!r}")
        if self.task != "el":
            raise ValueError(f"task must be 'el' for an EntQA reader (it links entities only), got {self.task!r}")
        for name in ("top_spans", "max_span_tokens", "train_candidates"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 <= self.hard_negative_share <= 1.0:
            raise ValueError(f"hard_negative_share must be in [0, 1], got {self.hard_negative_share}")
        if not 0.0 <= self.rerank_threshold < 1.0:
            raise ValueError(f"rerank_threshold must be in [0, 1), got {self.rerank_threshold}")

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], field: str = "model") -> EntqaReaderConfig:
        """A config from user settings; a key neither this class nor the ReLiK reader config declares,
        or a value either refuses, is an `InputError` on `field`."""
        readers = [klass for klass in cls.__mro__ if issubclass(klass, RelikReaderConfig)]
        known = {name for klass in readers for name in klass.__annotations__}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise InputError(f"unknown reader keys {unknown}; known: {sorted(known)}", field=field)
        try:
            return cls(**settings)
        except (TypeError, ValueError) as exc:
            raise InputError(str(exc), field=field) from None

    def special_tokens(self) -> list[str]:
        """None: a pair is plain text (`[CLS] window [SEP] candidate [SEP]`)."""
        return []

    @property
    def num_special_tokens(self) -> int:
        return 0


AutoConfig.register(EntqaReaderConfig.model_type, EntqaReaderConfig, exist_ok=True)
