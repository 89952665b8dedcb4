"""Fuzzing the HTTP API of a running server: Schemathesis cases drawn from its OpenAPI schema (bodies
that fit the schema and bodies that break it, for every operation) and hostile JSON bodies for
`/annotate` (lone surrogates, control and bidi characters, deep nesting, wrong types, bytes that
are not UTF-8). A response with status 500 or more, or no response, is a failure."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

SEED = 20261207
HOSTILE_CHARACTERS = st.sampled_from(["\ud800", "\udfff", "\x00", "\x1b", "\u200b", "\u202e", "\ufeff", "é", "日本",
                                      "\U0001F600", "\u0301", " ", "\n", "Paris", "France", "\\", '"'])
HOSTILE_TEXT = st.one_of(st.text(max_size=200), st.lists(HOSTILE_CHARACTERS, max_size=60).map("".join),
                         st.text(st.characters(categories=["Cs", "Cc", "Cf", "Mn", "Zs", "Lo", "So"]), max_size=80))
JSON_VALUE = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | HOSTILE_TEXT,
                          lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                          max_leaves=12)
TOP_K = st.one_of(st.none(), st.integers(-3, 12), st.integers(), st.floats(), st.booleans(), st.text(max_size=4))


@dataclass
class FuzzTally:
    """Requests sent and statuses seen per operation; `failures` holds the requests answered >= 500."""

    statuses: Counter = field(default_factory=Counter)
    failures: list[dict] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def record(self, label: str, status: int, request: object) -> None:
        self.statuses[f"{label} {status}"] += 1
        if status >= 500 and len(self.failures) < 20:
            self.failures.append({"operation": label, "status": status, "request": repr(request)[:300]})


def _hostile_body() -> st.SearchStrategy[bytes]:
    annotate = st.fixed_dictionaries({}, optional={"text": HOSTILE_TEXT | JSON_VALUE,
                                                   "texts": st.lists(HOSTILE_TEXT, max_size=6) | JSON_VALUE,
                                                   "top_k": TOP_K})
    encoded = (annotate | JSON_VALUE).map(lambda obj: json.dumps(obj).encode())
    nested = st.integers(1, 100_000).map(lambda depth: ("[" * depth + "]" * depth).encode())
    return st.one_of(encoded, encoded, nested, st.binary(max_size=200))


def fuzz_schema(base_url: str, examples: int, tally: FuzzTally) -> None:
    """Up to `examples` Schemathesis cases per operation and generation mode (fewer where the schema
    allows fewer distinct requests, as `GET /health`)."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @seed(SEED)
            @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case) -> None:
                response = case.call(base_url=base_url, timeout=60)
                tally.record(operation.label, response.status_code, case)

            try:
                call()
            except Unsatisfiable:  # nothing to break in an operation without parameters or body (GET /health)
                continue


def fuzz_annotate_bodies(base_url: str, examples: int, tally: FuzzTally) -> None:
    """`examples` hostile bodies posted to `/annotate`."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        @seed(SEED)
        @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(body=_hostile_body())
        def post(body: bytes) -> None:
            response = client.post("/annotate", content=body, headers={"content-type": "application/json"})
            tally.record("POST /annotate (hostile body)", response.status_code, body)

        post()
