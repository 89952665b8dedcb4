#!/usr/bin/env python
"""Replay a GERBIL NIF dataset through `POST /gerbil` over HTTP and score the answers like `relik-ml evaluate`.

Each document goes in its own request, as GERBIL's experiments send them: A2KB the context alone,
D2KB the context with the gold InKB mentions as phrases, their links removed (the mentions
`relik-ml evaluate` disambiguates in its ED pass). The answers are read back by the project's NIF
reader (DBpedia URI -> title), titles mapped to the model's KB ids, and scored with the project's
metrics on the gold of the same reader: InKB EL (A2KB) and ED accuracy (D2KB). The reference is
`relik-ml evaluate --format nif FILE --json` of the same model directory, run as its own process;
`equal` says whether the counts (tp, fp, fn) match.

`--via serve` posts to a `relik-ml serve` process on a free loopback port (the service: micro-batcher,
limits); `--via router` to uvicorn serving only the GERBIL router over a runner that calls the model
directly (`mentions=` given through), for a service whose runner does not pass mentions yet.

    .venv/bin/python benchmarks/gerbil_replay.py --model DIR [--nif FILE ...] [--via serve|router]

Without `--model` the tiny test model (tests/inference/tiny_model.py) is built in a temporary folder.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import httpx  # noqa: E402

from relik_ml import metrics  # noqa: E402
from relik_ml.formats.nif import parse_nif, read_nif  # noqa: E402
from relik_ml.inference import model_dir as names  # noqa: E402
from relik_ml.inference.model_dir import read_passage_file  # noqa: E402
from relik_ml.inference.settings import RelikSettings  # noqa: E402
from relik_ml.io import read_json  # noqa: E402
from relik_ml.kb.coverage import with_kb_ids  # noqa: E402
from relik_ml.serving.gerbil import TURTLE, given_phrases, to_turtle  # noqa: E402
from relik_ml.types import NME, Document, Prediction, Span  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
DEFAULT_FILES = [SHARED / "n3-reuters-128" / "Reuters-128.ttl",
                 SHARED / "oke-2015" / "oke2015_task1_evaluation-dataset-task1.ttl"]
OUT = ROOT / "benchmarks" / "results" / "gerbil_replay.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_serve(model: Path, port: int) -> subprocess.Popen:
    command = [str(ROOT / ".venv" / "bin" / "relik-ml"), "serve", "--model", str(model), "--port", str(port),
               "--reload-poll-s", "0", "--max-text-chars", "1000000", "--max-body-bytes", "50000000",
               "--timeout-s", "600", "--log-level", "warning"]
    return subprocess.Popen(command, cwd=ROOT)


def start_router(model: Path, port: int) -> object:
    """uvicorn in a thread serving the GERBIL router over a direct `Relik` runner."""
    import uvicorn
    from fastapi import FastAPI
    from starlette.concurrency import run_in_threadpool

    from relik_ml.inference import Relik
    from relik_ml.serving.gerbil import build_router

    relik = Relik.from_pretrained(model)

    class DirectRunner:
        async def annotate(self, texts, *, top_k=None, mentions=None):  # noqa: ANN001, ANN202
            return await run_in_threadpool(lambda: relik(texts, top_k=top_k, mentions=mentions))

    runner = DirectRunner()
    app = FastAPI()
    app.include_router(build_router(lambda: runner))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    return server


def wait_until_up(base: str, via: str, seconds: float = 300) -> None:
    """Until the service's model is loaded (`/ready` 200), or the router answers (an empty body: 400)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if via == "serve" and httpx.get(base + "/ready", timeout=5).status_code == 200:
                return
            if via == "router" and httpx.post(base + "/gerbil", content=b"", timeout=5).status_code == 400:
                return
        except httpx.TransportError:
            pass
        time.sleep(1)
    raise RuntimeError(f"{base} was not ready within {seconds} s")


def replay(base: str, documents: list[Document], task: str) -> tuple[list[Document], list[float]]:
    """One POST per document; the answers read back by the NIF reader (links: titles)."""
    answers, latencies = [], []
    with httpx.Client(base_url=base, timeout=600) as client:
        for doc in documents:
            unlinked = replace(doc, spans=tuple(replace(s, label=NME, title="") for s in doc.spans if s.label != NME))
            body = to_turtle([unlinked], given_phrases([unlinked]) if task == "d2kb" else [])
            started = time.perf_counter()
            response = client.post("/gerbil", params={"task": task}, content=body.encode(),
                                   headers={"Content-Type": TURTLE})
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{task} {doc.id}: HTTP {response.status_code} {response.text[:300]}")
            [answer] = parse_nif(response.text, f"answer to {doc.id}")
            if (answer.id, answer.text) != (doc.id, doc.text):
                raise RuntimeError(f"{task} {doc.id}: the answer's context differs from the request's")
            answers.append(answer)
    return answers, latencies


def as_predictions(answers: list[Document], id_of_title: dict[str, str]) -> list[Prediction]:
    """Answers as predictions with KB ids (a title the KB does not hold keeps its title)."""
    return [Prediction(a.id, a.text, tuple((replace(s, label=id_of_title.get(s.label, s.label)), 1.0)
                                           for s in a.spans)) for a in answers]


def reference(model: Path, path: Path) -> dict:
    command = [str(ROOT / ".venv" / "bin" / "relik-ml"), "evaluate", "--model", str(model), "--format", "nif",
               str(path), "--json"]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    return result[0] if isinstance(result, list) else result


def counts(obj: dict) -> dict:
    return {k: obj[k] for k in ("tp", "fp", "fn")}


def replay_file(base: str, model: Path, path: Path, id_of_title: dict[str, str], kb_ids: set[str]) -> dict:
    documents = read_nif(path)
    gold = with_kb_ids(documents, kb_ids)
    started = time.monotonic()
    a2kb, a2kb_latency = replay(base, documents, "a2kb")
    d2kb, d2kb_latency = replay(base, documents, "d2kb")
    replay_seconds = time.monotonic() - started
    el = metrics.inkb_el(gold, as_predictions(a2kb, id_of_title)).to_json()
    ed = metrics.ed_accuracy(gold, as_predictions(d2kb, id_of_title))
    ref = reference(model, path)
    ref_el, ref_ed = ref["metrics"]["inkb_el"], ref["metrics"]["ed"]
    return {
        "file": str(path.relative_to(ROOT.parent)) if path.is_relative_to(ROOT.parent) else str(path),
        "documents": len(documents),
        "requests": 2 * len(documents),
        "gold_inkb_mentions": sum(s.label != NME for d in documents for s in d.spans),
        "replay": {"a2kb_inkb_el": el, "d2kb_ed": ed,
                   "linked_a2kb": sum(len(a.spans) for a in a2kb), "linked_d2kb": sum(len(a.spans) for a in d2kb),
                   "median_latency_s": {"a2kb": statistics.median(a2kb_latency),
                                        "d2kb": statistics.median(d2kb_latency)},
                   "seconds": round(replay_seconds, 1)},
        "evaluate": {"inkb_el": ref_el, "ed": ref_ed, "top_k": ref["top_k"]},
        "equal": {"inkb_el": counts(el) == counts(ref_el), "ed": counts(ed) == counts(ref_ed)},
    }


def git_commit() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--model", type=Path, help="model directory (default: the tiny test model, built here)")
    parser.add_argument("--nif", type=Path, nargs="+", default=DEFAULT_FILES)
    parser.add_argument("--via", choices=("serve", "router"), default="serve")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        model_name = str(model) if model else "tiny test model (tests/inference/tiny_model.py build_model_dir)"
        if model is None:
            from tests.inference.tiny_model import build_model_dir

            model = build_model_dir(Path(tmp))
        settings = RelikSettings.from_json(read_json(model / names.SETTINGS_FILE))
        passages = read_passage_file(model / settings.kb)
        id_of_title: dict[str, str] = {}
        for passage in passages.values():
            id_of_title.setdefault(passage.title, passage.id)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_serve(model, port) if args.via == "serve" else start_router(model, port)
        try:
            wait_until_up(base, args.via)
            files = [replay_file(base, model, path, id_of_title, set(passages)) for path in args.nif]
        finally:
            if isinstance(server, subprocess.Popen):
                server.terminate()
                try:
                    server.wait(120)
                except subprocess.TimeoutExpired:
                    server.kill()
            else:
                server.should_exit = True
    manifest = model / "manifest.json"
    report = {
        "description": "GERBIL NIF documents replayed through POST /gerbil (A2KB: context only; D2KB: gold "
                       "InKB mentions as phrases, unlinked), answers scored with relik_ml.metrics; compared "
                       "with `relik-ml evaluate --format nif` of the same model on the same file",
        "model": model_name,
        "model_inputs": read_json(manifest).get("inputs") if manifest.exists() else None,
        "kb_passages": len(passages),
        "ambiguous_titles": len(passages) - len(id_of_title),
        "via": args.via,
        "files": files,
        "all_equal": all(all(f["equal"].values()) for f in files),
        "wall_seconds": round(time.monotonic() - started, 1),
        "git_commit": git_commit(),
        "machine": {"python": platform.python_version(), "processor": platform.machine(), "cpus": os.cpu_count()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("model", "via", "all_equal", "wall_seconds")}))
    for f in files:
        print(f["file"], json.dumps({"replay_f1": f["replay"]["a2kb_inkb_el"]["f1"],
                                     "evaluate_f1": f["evaluate"]["inkb_el"]["f1"],
                                     "replay_ed": f["replay"]["d2kb_ed"]["accuracy"],
                                     "evaluate_ed": f["evaluate"]["ed"]["accuracy"], "equal": f["equal"]}))


if __name__ == "__main__":
    main()
