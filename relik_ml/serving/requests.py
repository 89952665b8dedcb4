"""The `/annotate` request body: its JSON schema (for the OpenAPI document) and its checks.

`{"text": "..."}` or `{"texts": ["...", ...]}`, optional `"top_k"` and `"mentions"` (given spans
to link instead of predicted ones: `[[start, end], ...]` for a text, one such list per text of texts). The checks are the command
line's (`relik_ml.arguments`: an integer >= 1, no lone surrogate), worded the same, with the field
named (`texts[3]`); the service's limits (characters per text, texts per request) are checked here
too, before anything is queued.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from relik_ml.arguments import check_positive_int, unicode_problem
from relik_ml.errors import InputError


FIELDS = ("text", "texts", "top_k", "mentions")
PAIR = {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2}


def annotate_schema(*, max_texts: int, max_text_chars: int) -> dict[str, Any]:
    """The JSON schema of the body (OpenAPI), with the service's limits."""
    text = {"type": "string", "maxLength": max_text_chars}
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "text": {**text, "description": "one text: the answer is one record"},
            "texts": {"type": "array", "items": text, "maxItems": max_texts,
                      "description": "several texts: the answer is a list of records, ids '0', '1', …"},
            "top_k": {"type": "integer", "minimum": 1,
                      "description": "candidates per window, at most the reader's max_candidates (default: relik.json)"},
            "mentions": {"type": "array", "items": {"anyOf": [PAIR, {"type": "array", "items": PAIR}]},
                         "description": "given mentions (entity disambiguation): [start, end] character pairs of "
                                        "the text, or one list of pairs per text of texts; only these are linked"},
        },
        "oneOf": [{"required": ["text"]}, {"required": ["texts"]}],
    }


@dataclass(frozen=True)
class Annotation:
    """A checked request: its texts, whether it gave one `text`, and its `top_k`."""

    texts: list[str]
    single: bool
    top_k: int | None
    mentions: list[list[tuple[int, int]]] | None = None  # (start, end) pairs per text, when given


def parse_annotate(body: bytes, *, max_texts: int, max_text_chars: int) -> Annotation:
    """Decode and check a request body; every problem is an `InputError` naming the field."""
    try:
        obj = json.loads(body)
    except UnicodeDecodeError as exc:
        raise InputError(f"the body is not valid UTF-8 (byte {exc.start})", field="body") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})", field="body") from None
    except RecursionError:
        raise InputError("JSON nested too deeply", field="body") from None
    if not isinstance(obj, dict):
        raise InputError(f"expected a JSON object, got {type(obj).__name__}", field="body")
    unknown = sorted(set(obj) - set(FIELDS))
    if unknown:
        raise InputError(f"unknown field; known: {', '.join(FIELDS)}", field=unknown[0][:60].encode("utf-8", "backslashreplace").decode())
    if ("text" in obj) == ("texts" in obj):
        raise InputError('give either "text" (a string) or "texts" (a list of strings)', field="text")
    top_k = obj.get("top_k")
    if top_k is not None:
        check_positive_int(top_k, field="top_k")
    if "text" in obj:
        texts = [check_text(obj["text"], "text", max_text_chars)]
        given = [obj["mentions"]] if obj.get("mentions") is not None else None
        return Annotation(texts, True, top_k, _check_mentions(given, texts, single=True))
    texts = obj["texts"]
    if not isinstance(texts, list):
        raise InputError(f"expected a list of strings, got {type(texts).__name__}", field="texts")
    if len(texts) > max_texts:
        raise InputError(f"at most {max_texts} texts per request, got {len(texts)}", field="texts")
    texts = [check_text(t, f"texts[{i}]", max_text_chars) for i, t in enumerate(texts)]
    return Annotation(texts, False, top_k, _check_mentions(obj.get("mentions"), texts, single=False))


def _check_mentions(given: Any, texts: list[str], *, single: bool) -> list[list[tuple[int, int]]] | None:
    """(start, end) pairs per text within its bounds, or None when no mentions are given."""
    if given is None:
        return None
    if not isinstance(given, list) or len(given) != len(texts):
        raise InputError(f"expected one list of [start, end] pairs per text ({len(texts)})", field="mentions")
    checked = []
    for i, pairs in enumerate(given):
        where = "mentions" if single else f"mentions[{i}]"
        if not isinstance(pairs, list):
            raise InputError(f"expected a list of [start, end] pairs, got {pairs!r:.60}", field=where)
        checked.append([_pair(pair, f"{where}[{j}]", len(texts[i])) for j, pair in enumerate(pairs)])
    return checked


def _pair(pair: Any, field: str, length: int) -> tuple[int, int]:
    if (not isinstance(pair, list) or len(pair) != 2
            or any(isinstance(v, bool) or not isinstance(v, int) for v in pair)):
        raise InputError(f"expected a [start, end] pair of integers, got {pair!r:.60}", field=field)
    start, end = pair
    if not 0 <= start < end <= length:
        raise InputError(f"expected 0 <= start < end <= {length} (the text's length), got [{start}, {end}]",
                         field=field)
    return start, end


def check_text(value: Any, field: str, max_chars: int) -> str:
    """`value` if it is a string the model can read within the length limit, else an `InputError` on `field`."""
    if not isinstance(value, str):
        raise InputError(f"expected a string, got {value!r:.60}", field=field)
    if len(value) > max_chars:
        raise InputError(f"at most {max_chars} characters per text, got {len(value)}", field=field)
    problem = unicode_problem(value)
    if problem is not None:
        raise InputError(problem, field=field)
    return value
