"""Load and fuzz run of the HTTP service (issue 19): a real `relik-ml serve` process on loopback.

    nice -n 10 .venv/bin/python benchmarks/serve_load.py            # writes serve_load.json and serve_fuzz.json
    .venv/bin/python benchmarks/serve_load.py --load-s 10 --step-s 5 --fuzz-examples 300 --output-dir /tmp/sl

The model is `--model` (default `data/el/promoted_model`, after `make demo`) if it exists, else the tiny test model
(tests/inference/tiny_model.py: random 2-layer BERT retriever and reader, a 20-entry KB); the JSON
says which. The texts are the sentences of the sample AIDA files (data/sample/aida, 5+ tokens).

1. Load: the server with its default batching (`max_batch` 32, `max_wait_ms` 5) is warmed up with
   100 clients for `--warmup-s`, then 100 concurrent clients (asyncio + httpx, one connection each)
   post one sentence after another for `--load-s` seconds: errors (a status other than 200 or no
   answer), throughput, p50/p99 latency, the server's RSS after the warm-up and at the end.
2. Batching gain: throughput with 1 and with 16 concurrent clients for `--step-s` seconds each, on
   the same server and on a second one started with `--max-batch 1` (no micro-batching).
3. Fuzz (serve_fuzz.json): Schemathesis cases from the server's OpenAPI schema (valid and invalid
   bodies for every operation, /gerbil included) and hostile JSON bodies for /annotate
   (tests/serving/fuzz.py) until `--fuzz-examples` requests are sent: statuses per operation and
   every response >= 500 (the acceptance: none).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.serving.fuzz import FuzzTally, fuzz_annotate_bodies, fuzz_schema  # noqa: E402
from tests.serving.server import ServerProcess  # noqa: E402

SAMPLE_MODEL = ROOT / "data" / "el" / "promoted_model"
AIDA = [ROOT / "data" / "sample" / "aida" / name for name in ("eng.testa", "eng.testb", "eng.train")]
CLIENTS = 100


def sentences() -> list[str]:
    """Sentences of the sample AIDA files (first column of the CoNLL lines), 5 tokens or more."""
    found, tokens = [], []
    for path in AIDA:
        for line in path.read_text(encoding="utf-8").splitlines() + [""]:
            if line.strip() and not line.startswith("-DOCSTART-"):
                tokens.append(line.split()[0])
            elif tokens:
                if len(tokens) >= 5:
                    found.append(" ".join(tokens))
                tokens = []
    return found


async def load(url: str, texts: list[str], clients: int, seconds: float) -> dict:
    """`clients` concurrent loops posting texts for `seconds`: counts, errors, throughput, latency."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    stop_at = time.perf_counter() + seconds

    async def client(number: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            position = number
            while time.perf_counter() < stop_at:
                text = texts[position % len(texts)]
                position += clients
                started = time.perf_counter()
                try:
                    answer = await http.post("/annotate", json={"text": text})
                    outcome = None if answer.status_code == 200 and answer.json()["text"] == text else str(answer.status_code)
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                if outcome is None:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors[outcome] = errors.get(outcome, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "clients": clients,
        "seconds": round(wall, 2),
        "requests_ok": len(latencies),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "throughput_rps": round(len(latencies) / wall, 2),
        "latency_ms": {
            "p50": round(1000 * statistics.median(ordered), 2) if ordered else None,
            "p99": round(1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2) if ordered else None,
            "max": round(1000 * ordered[-1], 2) if ordered else None,
        },
    }


def batching_steps(server: ServerProcess, texts: list[str], seconds: float) -> dict:
    before = httpx.get(f"{server.url}/ready").json()
    steps = {f"clients_{n}": asyncio.run(load(server.url, texts, n, seconds)) for n in (1, 16)}
    after = httpx.get(f"{server.url}/ready").json()
    steps["texts_per_model_call"] = round(
        (after["batched_texts"] - before["batched_texts"]) / max(1, after["batches"] - before["batches"]), 2)
    steps["gain_16_over_1"] = round(steps["clients_16"]["throughput_rps"] / steps["clients_1"]["throughput_rps"], 2)
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load-s", type=float, default=60.0)
    parser.add_argument("--warmup-s", type=float, default=10.0)
    parser.add_argument("--step-s", type=float, default=15.0, help="seconds per concurrency step of the batching gain")
    parser.add_argument("--threads", type=int, default=1, help="the server's torch / FAISS threads")
    parser.add_argument("--fuzz-examples", type=int, default=10_000, help="fuzz requests to send (0: no fuzz run)")
    parser.add_argument("--output-dir", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--model", type=Path, default=SAMPLE_MODEL,
                        help="promoted model directory (default data/el/promoted_model; the tiny model when absent)")
    args = parser.parse_args()
    os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    started = time.time()
    texts = sentences()
    with tempfile.TemporaryDirectory(prefix="serve-load-") as scratch:
        scratch = Path(scratch)
        if args.model.is_dir():
            manifest = json.loads((args.model / "manifest.json").read_text())
            model, model_note = args.model, (f"{args.model} (the sample lineage's promoted EL model, "
                                             f"created {manifest.get('created', '?')})")
        else:
            from tests.inference.tiny_model import build_model_dir

            model = build_model_dir(scratch / "tiny")
            model_note = ("tiny test model (tests/inference/tiny_model.py: random 2-layer BERT retriever and reader, "
                          "20-entry KB): data/el/promoted_model is absent in this checkout")
        common = ("--threads", str(args.threads), "--reload-poll-s", "0")
        result = {"benchmark": "serve_load", "model": model_note, "texts": len(texts),
                  "text_chars_median": statistics.median(len(t) for t in texts)}

        batched = ServerProcess(model, *common, log=scratch / "batched.log")
        try:
            batched.wait_ready()
            result["server"] = {"flags": list(common), "defaults": "max_batch 32, max_wait_ms 5"}
            asyncio.run(load(batched.url, texts, CLIENTS, args.warmup_s))
            rss_start, before = batched.rss_bytes(), httpx.get(f"{batched.url}/ready").json()
            run = asyncio.run(load(batched.url, texts, CLIENTS, args.load_s))
            rss_end, after = batched.rss_bytes(), httpx.get(f"{batched.url}/ready").json()
            run["rss_mb"] = {"start": round(rss_start / 2**20, 1), "end": round(rss_end / 2**20, 1),
                             "growth_percent": round(100 * (rss_end - rss_start) / rss_start, 2)}
            run["texts_per_model_call"] = round(
                (after["batched_texts"] - before["batched_texts"]) / max(1, after["batches"] - before["batches"]), 2)
            result["load_100_clients"] = run
            result["batching"] = batching_steps(batched, texts, args.step_s)
            fuzz = None
            if args.fuzz_examples:
                fuzz = run_fuzz(batched.url, args.fuzz_examples)
        finally:
            batched.stop()
        unbatched = ServerProcess(model, *common, "--max-batch", "1", log=scratch / "unbatched.log")
        try:
            unbatched.wait_ready()
            result["no_batching_max_batch_1"] = batching_steps(unbatched, texts, args.step_s)
        finally:
            unbatched.stop()
    result["batching_gain_at_16_clients"] = {
        "batched_16_over_batched_1": result["batching"]["gain_16_over_1"],
        "batched_16_over_unbatched_16": round(result["batching"]["clients_16"]["throughput_rps"]
                                              / result["no_batching_max_batch_1"]["clients_16"]["throughput_rps"], 2),
    }
    meta = machine(started)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "serve_load.json").write_text(json.dumps({**result, **meta}, indent=2) + "\n")
    if fuzz is not None:
        (args.output_dir / "serve_fuzz.json").write_text(json.dumps({**fuzz, "model": model_note, **meta}, indent=2) + "\n")
    print(json.dumps({**result, "fuzz": fuzz and {k: fuzz[k] for k in ("requests", "responses_500_or_more")}}, indent=2))


def run_fuzz(url: str, examples: int) -> dict:
    """Schemathesis cases (up to 500 valid and 500 invalid per operation), then hostile bodies up to `examples` requests."""
    tally = FuzzTally()
    started = time.perf_counter()
    fuzz_schema(url, min(500, examples // 8), tally)
    schema_requests = tally.requests
    fuzz_annotate_bodies(url, max(0, examples - schema_requests), tally)
    return {
        "benchmark": "serve_fuzz",
        "requests": tally.requests,
        "schemathesis_requests": schema_requests,
        "hostile_body_requests": tally.requests - schema_requests,
        "responses_500_or_more": sum(n for key, n in tally.statuses.items() if int(key.rsplit(" ", 1)[1]) >= 500),
        "failures": tally.failures,
        "statuses": dict(sorted(tally.statuses.items())),
        "seconds": round(time.perf_counter() - started, 1),
    }


def machine(started: float) -> dict:
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return {
        "git_commit": commit,
        "wall_s": round(time.time() - started, 1),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                    "note": "2 cores shared with other agents' jobs (load average above); the clients run on the "
                            "same cores as the server, so absolute figures are low and noisy; run under nice -n 10"},
    }


if __name__ == "__main__":
    main()
