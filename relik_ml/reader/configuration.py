"""`RelikReaderConfig`: every hyper-parameter of the ReLiK reader, explicit and documented.

Special tokens: EL uses `<ST0>` (NME) … `<STK>` (K = `max_candidates`); RE uses `<ST1>` …
`<STK'>` (K' = `max_relation_candidates`); cIE uses `<ST0>` … `<STK>` for entities and
`<ST{K+1}>` … `<ST{K+K'}>` for relations, as in the paper (§3.2).

Overflow policy ("trim"): when `window + candidates` exceeds `max_input_tokens`, candidates are
dropped from the bottom of the retriever ranking (entities and relations interleaved by rank) until
the input fits; gold candidates are never dropped when labels are built (training). The window is
never cut: a window longer than the budget is an input error. One pass per window keeps the
single-forward-pass property of the method; the paper reports that trimming K at inference costs
no accuracy (Table 8).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from huggingface_hub.dataclasses import strict
from transformers import AutoConfig, PretrainedConfig

from relik_ml.settings import config_from_settings
from relik_ml.windows import TOKENIZERS

CANDIDATE_ATTENTION = ("joint", "own-text")

Task = Literal["el", "re", "cie"]
CandidateText = Literal["title", "title+description"]


@strict(accept_kwargs=True)
class RelikReaderConfig(PretrainedConfig):
    """Configuration of `RelikReaderModel` (encoder + span, EL and RE heads)."""

    model_type = "relik-reader"

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
        on `field` (the constructor itself keeps them as extra attributes, as HF configs do)."""
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
