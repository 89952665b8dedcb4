"""Property-based fuzz run of `Relik.__call__` (issue 22): hostile texts and K values in; the only
acceptable outcomes are a checked result or the documented `InputError`.

    nice -n 10 .venv/bin/python benchmarks/hostile_relik.py                 # 10,000 inputs, tiny model
    .venv/bin/python benchmarks/hostile_relik.py --examples 200 --output /tmp/h.json --model DIR

Hypothesis draws each input: a text of one kind (`words`: KB titles and words mixed with hostile
pieces such as lone surrogates, NUL and escape characters, zero-width and bidi controls, emoji, RTL
and CJK text, combining marks, overlong tokens and base64 blobs; `random`: any code points,
surrogates included; `long_token`: a run of 50-5,000 copies of one character between two words;
`blob`: a base64 blob of 100-4,000 characters inside a sentence; `long`: a sentence repeated to up
to 30,000 characters; `blank`: empty or whitespace only) and a K (`default`: none given, `valid`:
1..the reader's max_candidates, `too_large`: above it up to 2**63, `not_positive`: 0 or negative,
`not_int`: True, 1.5, "5"). Inputs are read in batches of the same K (one model call per batch); a
batch that raises is split in halves until each error belongs to one input, so the outcome of
every input is the outcome of calling `Relik` on it alone.

Outcomes per input: `result` (the call returned and the prediction keeps the guarantees: its text is
the input, spans satisfy 0 <= start < end <= len(text), are unique, cover no unreadable run
(`relik_ml.windows.unreadable_runs`), carry a non-empty label and a score in [0, 1], and the JSON
record encodes as UTF-8), `input_error` (an `InputError` on the field "text" naming the text's
position, or on "top_k"), or `other`: any other exception, an `InputError` where none is due (a
valid text and K), a result where one is due (a lone surrogate, a bad K), or a result breaking a
guarantee. `other` is a failure; examples are recorded with a short repr.
The model is the tiny test model directory (tests/inference/tiny_model.py, untrained: the reader's
low thresholds make it predict spans everywhere, which is what the span checks need) unless
`--model` names one.
"""
from __future__ import annotations

import argparse
import base64
import json
import math
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from relik_ml.arguments import unicode_problem  # noqa: E402
from relik_ml.errors import InputError  # noqa: E402
from relik_ml.inference import Relik, to_json  # noqa: E402
from relik_ml.types import Prediction  # noqa: E402
from relik_ml.windows import unreadable_runs  # noqa: E402

SEED = 20261207
BATCH = 64  # texts per model call
EXAMPLES_KEPT = 10
WORDS = ["Paris", "Berlin", "Home Depot", "Frank Blake", "Seattle", "is", "in", "the", "said", "capital", "CEO",
         "of", "France", "Germany", "Tokyo", "and", ".", ",", "U.S.", "1996-08-22", "'s", "(", ")"]
HOSTILE_PIECES = [
    "\ud800", "\udfff", "a\udc80b", "\x00", "\x07", "\x1b[31m", "\x7f", "\u200b", "\u200d", "\ufeff", "\u202e",
    "\u2066", "\u2028", "\u3000", "\ufffd", "\U0001f600", "\U0001f469\u200d\U0001f469\u200d\U0001f467",
    "\U0001f1eb\U0001f1f7", "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
    "\u05e9\u05dc\u05d5\u05dd", "\u5317\u4eac\u662f\u9996\u90fd", "\u0e01\u0e23\u0e38\u0e07\u0e40\u0e17\u0e1e",
    "e" + "\u0301" * 40, "x" * 150, "x" * 3000, "=" * 500, "\t", "\r\n", "\n\n\n", "  ", "<br>", "&amp;",
    "\U000e0041", "\U0010ffff", "\uffff", "\u00ad", "\u034f" * 200,
]
RUN_CHARACTERS = ["x", "=", "-", "\U0001f600", "\u5317", "\u0301", "\u00e9", "0", "/", "\u200b"]
SENTENCE = "Seattle is rainy, Paris is not. Frank Blake replaces him, Home Depot said."
BLANKS = ["", " ", "\n\t", "\u3000\u2028 ", "\r\n" * 50, " " * 5000]
SEPARATORS = [" ", "", "\n", "  ", "\t"]


@dataclass(frozen=True)
class Case:
    """One drawn input: the text (and its kind) and the K given (and its kind)."""

    index: int
    kind: str
    text: str
    k_kind: str
    top_k: Any


def text_strategy() -> st.SearchStrategy[tuple[str, str]]:
    any_character = st.characters(exclude_categories=())  # surrogates included
    piece = st.one_of(st.sampled_from(WORDS), st.sampled_from(HOSTILE_PIECES), st.text(any_character, max_size=12))
    words = st.tuples(st.lists(piece, max_size=60), st.sampled_from(SEPARATORS)).map(lambda p: p[1].join(p[0]))
    long_token = st.tuples(st.sampled_from(WORDS), st.sampled_from(RUN_CHARACTERS), st.integers(50, 5000),
                           st.sampled_from(WORDS)).map(lambda p: f"{p[0]} {p[1] * p[2]} {p[3]}")
    blob = st.tuples(st.binary(min_size=75, max_size=3000), st.sampled_from([" ", ". ", " key="])).map(
        lambda p: f"{SENTENCE}{p[1]}{base64.b64encode(p[0]).decode()} {SENTENCE}")
    long = st.integers(20, 400).map(lambda n: " ".join([SENTENCE] * n))
    kinds = {"words": words, "random": st.text(any_character, max_size=300), "long_token": long_token, "blob": blob,
             "long": long, "blank": st.sampled_from(BLANKS)}
    weighted = ["words"] * 3 + ["random"] * 2 + ["long_token", "blob", "long", "blank"]
    return st.sampled_from(weighted).flatmap(lambda kind: kinds[kind].map(lambda text: (kind, text)))


def k_strategy(max_candidates: int) -> st.SearchStrategy[tuple[str, Any]]:
    kinds = {
        "default": st.none(),
        "valid": st.integers(1, max_candidates),
        "too_large": st.one_of(st.integers(max_candidates + 1, 10**12), st.sampled_from([10**9, 2**63])),
        "not_positive": st.one_of(st.integers(-(10**12), 0), st.just(0)),
        "not_int": st.sampled_from([True, 1.5, "5", 2.0]),
    }
    weighted = ["default"] * 2 + ["valid"] * 3 + ["too_large", "not_positive", "not_int"]  # 5 in 8: a valid K
    return st.sampled_from(weighted).flatmap(lambda kind: kinds[kind].map(lambda k: (kind, k)))


def draw_cases(examples: int, max_candidates: int, seed_value: int) -> list[Case]:
    """`examples` inputs drawn by Hypothesis (generation phase only: no shrinking, no database)."""
    cases: list[Case] = []

    @seed(seed_value)
    @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(text_strategy(), k_strategy(max_candidates))
    def collect(text: tuple[str, str], k: tuple[str, Any]) -> None:
        cases.append(Case(len(cases), text[0], text[1], k[0], k[1]))

    collect()
    return cases


def expected_outcome(case: Case) -> str:
    if unicode_problem(case.text) is not None or case.k_kind in ("too_large", "not_positive", "not_int"):
        return "input_error"
    return "result"


def prediction_problem(case: Case, prediction: Prediction) -> str | None:
    """Why a returned prediction breaks a guarantee, or None."""
    if prediction.text != case.text:
        return "prediction text differs from the input"
    runs = unreadable_runs(case.text)
    bounds = [(s.start, s.end) for s, _ in prediction.spans]
    if len(bounds) != len(set(bounds)):
        return "duplicate spans"
    for span, score in prediction.spans:
        if not 0 <= span.start < span.end <= len(case.text):
            return f"span {span.start}-{span.end} outside a text of {len(case.text)} characters"
        if any(span.start < end and span.end > start for start, end in runs):
            return f"span {span.start}-{span.end} covers an unreadable run"
        if not isinstance(span.label, str) or not span.label:
            return f"span label {span.label!r}"
        if not (math.isfinite(score) and 0.0 <= score <= 1.0):
            return f"score {score!r}"
    json.dumps(to_json(prediction), ensure_ascii=False).encode("utf-8")
    return None


def classify(case: Case, outcome: Prediction | BaseException) -> tuple[str, str | None]:
    """(`result` | `input_error` | `other`, why it is `other`)."""
    expected = expected_outcome(case)
    if isinstance(outcome, InputError):
        documented = outcome.field == "top_k" or (outcome.field == "text" and outcome.message.startswith("text 0"))
        if not documented:
            return "other", f"undocumented InputError: {outcome}"
        if expected != "input_error":
            return "other", f"InputError on a valid input: {outcome}"
        return "input_error", None
    if isinstance(outcome, BaseException):
        return "other", f"{type(outcome).__name__}: {outcome}"
    if expected != "result":
        return "other", "a result where an InputError is due"
    problem = prediction_problem(case, outcome)
    return ("other", problem) if problem else ("result", None)


def call(relik: Relik, cases: list[Case]) -> list[Prediction | BaseException]:
    """Outcome per case of `relik(texts, top_k=K)` (one K per batch); a batch that raises is split in halves."""
    try:
        predictions = relik([c.text for c in cases], top_k=cases[0].top_k)
    except Exception as exc:  # noqa: BLE001 - every exception is an outcome here
        if len(cases) == 1:
            return [exc]
        half = len(cases) // 2
        return call(relik, cases[:half]) + call(relik, cases[half:])
    return list(predictions)


def fuzz(relik: Relik, *, examples: int, seed_value: int = SEED, batch: int = BATCH) -> dict[str, Any]:
    """Draw `examples` inputs, run them, count outcomes; `other` examples kept with a short repr."""
    started = time.monotonic()
    max_candidates = relik.reader.config.max_candidates
    cases = draw_cases(examples, max_candidates, seed_value)
    drawn_seconds = time.monotonic() - started
    groups: dict[str, list[Case]] = {}
    for case in cases:
        groups.setdefault(repr(case.top_k), []).append(case)
    outcomes: Counter[str] = Counter()
    by_kind: dict[str, Counter[str]] = {}
    others: list[dict[str, Any]] = []
    for group in groups.values():
        for first in range(0, len(group), batch):
            part = group[first : first + batch]
            for case, outcome in zip(part, call(relik, part), strict=True):
                kind, why = classify(case, outcome)
                if kind == "other" and not isinstance(outcome, BaseException) and len(part) > 1:
                    kind, why = classify(case, call(relik, [case])[0])  # alone, as a user would call it
                outcomes[kind] += 1
                by_kind.setdefault(f"text:{case.kind}", Counter())[kind] += 1
                by_kind.setdefault(f"k:{case.k_kind}", Counter())[kind] += 1
                if kind == "other" and len(others) < EXAMPLES_KEPT:
                    others.append({"index": case.index, "text": repr(case.text)[:200], "text_chars": len(case.text),
                                   "top_k": repr(case.top_k)[:40], "why": (why or "")[:300]})
    return {
        "inputs": len(cases),
        "outcomes": {k: outcomes.get(k, 0) for k in ("result", "input_error", "other")},
        "outcomes_by_kind": {k: dict(v) for k, v in sorted(by_kind.items())},
        "examples_of_other": others,
        "text_chars": {"total": sum(len(c.text) for c in cases), "max": max((len(c.text) for c in cases), default=0)},
        "seconds": {"draw": round(drawn_seconds, 1), "total": round(time.monotonic() - started, 1)},
    }


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--model", default=None, help="model directory (default: the tiny test model, built here)")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "hostile_relik.json"))
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        if args.model is None:
            from tests.inference.tiny_model import build_model_dir

            model_dir, model_name = build_model_dir(Path(tmp)), "tiny test model (tests/inference/tiny_model.py)"
        else:
            model_dir, model_name = Path(args.model), args.model
        relik = Relik.from_pretrained(model_dir, threads=args.threads)
        report = fuzz(relik, examples=args.examples, seed_value=args.seed, batch=args.batch)
    report = {
        **report,
        "settings": {"examples": args.examples, "batch": args.batch, "threads": args.threads, "model": model_name,
                     "max_candidates": relik.reader.config.max_candidates, "relik.json": relik.settings.to_json(),
                     "hypothesis": hypothesis.__version__},
        "seed": args.seed,
        "wall_seconds": round(time.monotonic() - started, 1),
        "git_commit": git_commit(),
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: report[k] for k in ("inputs", "outcomes", "wall_seconds")}))
    return 0 if report["outcomes"]["other"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
