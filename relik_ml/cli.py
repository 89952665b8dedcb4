"""`relik-ml`: run a lineage stage (what DVC calls), data statistics, dvc.yaml rendering, annotate, evaluate, serve.

Heavy modules are imported inside the commands that need them, so `relik-ml --help` is instant.
Bad input exits with status 2 and one line naming the file, line and field.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from relik_ml.arguments import (
    argument_type,
    parse_choice,
    parse_device,
    parse_input_dir,
    parse_input_file,
    parse_input_path,
    parse_output_dir,
    parse_output_file,
    parse_positive_int,
    unicode_problem,
)
from relik_ml.errors import InputError

POSITIVE = argument_type(parse_positive_int)  # K, threads, batch size, window size, stride: integers >= 1
INPUT_FILE = argument_type(parse_input_file)
INPUT_PATH = argument_type(parse_input_path)  # a dataset file or folder
INPUT_DIR = argument_type(parse_input_dir)
OUTPUT_FILE = argument_type(parse_output_file)
OUTPUT_DIR = argument_type(parse_output_dir)
DEVICE = argument_type(parse_device)
PARAMS_COMMANDS = ("run", "gate", "build", "dvc-yaml")  # their KeyErrors name a stage or params key
MODEL_COMMANDS = ("annotate", "evaluate", "index", "serve")  # they load a model directory


def _quiet_weight_loading() -> None:
    """No "Loading weights" bar per model part on stderr: the commands' output is their result."""
    from transformers.utils import logging

    logging.disable_progress_bar()


def _document_format(value: str) -> str:
    from relik_ml.formats import DOCUMENT_FORMATS

    return parse_choice(value, DOCUMENT_FORMATS, "document format")


def _text(value: str) -> str:
    """The TEXT argument: bytes that are not UTF-8 arrive as lone surrogates, which no tokenizer takes."""
    problem = unicode_problem(value)
    if problem is not None:
        raise InputError(problem)
    return value


DOCUMENT_FORMAT = argument_type(_document_format)
TEXT = argument_type(_text)


def _run(args: argparse.Namespace) -> int:
    from relik_ml.config import load_params
    from relik_ml.stages import stage_call
    from relik_ml.stages.memo import run_memoized

    params = load_params(args.params)
    summary, _, _ = run_memoized(stage_call(args.stage, params, args.partition), params)  # stamped, as `build`
    print(json.dumps({"artifact": summary.artifact, "path": str(summary.path), "counts": summary.counts}))
    return 0


def _data_stats(args: argparse.Namespace) -> int:
    from relik_ml.stats import dataset_stats

    stats = dataset_stats(args.format, [Path(p) for p in args.paths], window_size=args.window_size, stride=args.stride)
    if args.json:
        print(json.dumps(stats, indent=2))
    else:
        for split, row in stats["splits"].items():
            print(split, " ".join(f"{k}={v}" for k, v in row.items()))
    return 0


def _gate(args: argparse.Namespace) -> int:
    from relik_ml.config import load_params
    from relik_ml.pipeline.evaluation import read_decision
    from relik_ml.stages.closure import run_closure

    params = load_params(args.params)
    target = f"{args.task}/evaluation_report"
    run_closure([target], params, log=lambda line: print(line, file=sys.stderr))
    decision = read_decision(params.artifact_dir(target))
    print(json.dumps({"task": args.task, **decision.to_json()}))
    return 0 if decision.passed else 1


def _build(args: argparse.Namespace) -> int:
    from relik_ml.config import load_params
    from relik_ml.stages import STAGES
    from relik_ml.stages.closure import run_closure

    unknown = [t for t in args.targets if t not in STAGES]
    if unknown:
        raise InputError(f"unknown stages {unknown}; stages: {', '.join(STAGES)}", field="targets")
    params = load_params(args.params)
    run_closure(args.targets, params, log=lambda line: print(line, file=sys.stderr))
    print(json.dumps({"built": args.targets, "params": str(params.root / Path(args.params).name),
                      "data_root": str(params.data_root)}))
    return 0


def _dvc_yaml(args: argparse.Namespace) -> int:
    from relik_ml.config import load_params
    from relik_ml.dvc_yaml import render_dvc_yaml

    params = load_params(args.params)
    text = render_dvc_yaml(params)
    if args.write:
        (params.root / "dvc.yaml").write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


ANNOTATE_CHUNK = 256  # texts per model call when annotating a JSON lines file
PRECISION_HELP = ("bf16: bfloat16 autocast, faster on CPUs with AVX512-BF16 / AMX; int8: int8 reader encoder "
                  "(CPU); both change scores slightly")


def _annotate(args: argparse.Namespace) -> int:
    import contextlib

    from relik_ml.inference import Relik, to_json
    from relik_ml.io import atomic_file, check_output_file

    if (args.text is None) == (args.input is None):
        raise InputError("give either a TEXT or --input FILE.jsonl", field="input")
    output_inputs = [args.input] if args.input is not None else []
    if args.output:  # refused before the model loads or any file is opened
        check_output_file(args.output, output_inputs, replace_existing=args.force)
    for _ in _annotate_chunks(args):  # every record checked before the model loads: a bad one writes nothing
        pass
    relik = Relik.from_pretrained(args.model, threads=args.threads, precision=args.precision)
    titles = {pid: p.title for pid, p in relik.relations.passages.items()} if relik.relations is not None else None
    output = (atomic_file(args.output, inputs=output_inputs, replace_existing=args.force) if args.output
              else contextlib.nullcontext(sys.stdout))
    try:
        with output as handle:  # a file appears only once every record is written; an error leaves it as it was
            for chunk in _annotate_chunks(args):
                ids, texts = zip(*chunk)
                for doc_id, prediction in zip(ids, relik(list(texts), top_k=args.top_k)):
                    record = {**to_json(prediction, relation_titles=titles), "id": doc_id}
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()
    except BrokenPipeError:  # stdout closed by its reader: main stops quietly
        raise
    except OSError as exc:  # a full disk: name the output (the write error itself names no file)
        raise InputError(f"cannot write the output ({exc.strerror or exc})", path=args.output or "<stdout>") from None
    return 0


def _annotate_chunks(args: argparse.Namespace) -> Iterator[list[tuple[str, str]]]:
    """Lists of (id, text): the TEXT argument, or the `--input` records in chunks."""
    from relik_ml.io import iter_jsonl

    if args.text is not None:
        yield [("0", args.text)]
        return
    chunk: list[tuple[str, str]] = []
    for index, (number, obj) in enumerate(iter_jsonl(Path(args.input))):
        chunk.append((_record_id(obj.get("id", index), args.input, number), _record_text(obj, args.input, number)))
        if len(chunk) == ANNOTATE_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _record_id(value: object, path: str, line: int) -> str:
    """An `--input` record's id: a non-empty string or an integer (never null, a float or "")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"expected a non-empty string or an integer, got {value!r:.60}", path=path, line=line,
                         field="id")
    problem = unicode_problem(value)
    if problem is not None:
        raise InputError(problem, path=path, line=line, field="id")
    return value


def _record_text(obj: dict, path: str, line: int) -> str:
    text = obj.get("text")
    if not isinstance(text, str):
        raise InputError(f"expected a string, got {text!r:.60}", path=path, line=line, field="text")
    problem = unicode_problem(text)
    if problem is not None:
        raise InputError(problem, path=path, line=line, field="text")
    return text


def _evaluate(args: argparse.Namespace) -> int:
    from relik_ml.evaluation.evaluate import evaluate_model, evaluate_retriever
    from relik_ml.evaluation.report import markdown, write_report
    from relik_ml.formats import read_documents
    from relik_ml.inference import Relik
    from relik_ml.retriever.encoder import is_retriever_dir

    if args.output_dir:  # refused before the evaluation runs, not after it
        _check_report_dir(args)
    try:
        documents = read_documents(args.format, args.paths)
    except InputError:
        raise
    except ValueError as exc:
        raise InputError(str(exc), field="format") from None
    name = f"{args.format}:{Path(args.paths[0]).stem}"
    if args.split is not None:
        documents = [d for d in documents if d.split == args.split]
        if not documents:
            raise InputError(f"no document of split {args.split!r} in {[str(p) for p in args.paths]}", field="split")
        name = f"{name}:{args.split}"
    if is_retriever_dir(args.model):  # a trained retriever directory, not a model directory
        results = [_evaluate_retriever_dir(args, documents, name)]
    elif (relik := Relik.from_pretrained(args.model, precision=args.precision)).reader is None:
        results = [evaluate_retriever(relik, documents, dataset_name=name, ks=_recall_ks(args))]
    else:
        results = [evaluate_model(relik, documents, dataset_name=name, top_k=k) for k in args.top_k or [None]]
    if args.output_dir:
        write_report(args.output_dir, results, title=f"Evaluation of {args.model}",
                     inputs=[args.model, *args.paths], force=args.force)
    print(json.dumps(results, indent=2) if args.json else markdown(results, f"Evaluation of {args.model}"))
    return 0


def _check_report_dir(args: argparse.Namespace) -> None:
    from relik_ml.evaluation.report import ARTIFACT
    from relik_ml.io import check_replaceable, refuse_overlap

    out = Path(args.output_dir)
    refuse_overlap(out, [args.model, *args.paths], artifact=ARTIFACT)
    if not args.force:
        check_replaceable(out, ARTIFACT)


def _recall_ks(args: argparse.Namespace) -> tuple[int, ...]:
    from relik_ml.retriever.evaluate import DEFAULT_KS

    return tuple(sorted(set(args.top_k))) if args.top_k else DEFAULT_KS


def _evaluate_retriever_dir(args: argparse.Namespace, documents: list, name: str) -> dict:
    """recall@k of a retriever directory against `--kb` passages (searched through `--index` if given)."""
    from relik_ml.evaluation.evaluate import evaluate_retriever_dir
    from relik_ml.inference.model_dir import jsonl_path, read_passage_file

    if args.kb is None:
        raise InputError("a retriever directory needs --kb PASSAGES.jsonl (or an entity_passages folder)", field="kb")
    passages = list(read_passage_file(jsonl_path(args.kb)).values())
    return evaluate_retriever_dir(args.model, documents, passages, index_dir=args.index, ks=_recall_ks(args),
                                  dataset_name=name)


def _index_refresh(args: argparse.Namespace) -> int:
    from relik_ml.pipeline.refresh import refresh_model_dir

    summary = refresh_model_dir(
        Path(args.model), Path(args.passages), Path(args.output) if args.output else None,
        relations=args.relations, prune=not args.keep_missing, batch_size=args.batch_size, device=args.device,
        force=args.force,
    )
    print(json.dumps({"path": str(summary.path), "counts": summary.counts}))
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from relik_ml.serving.app import create_app, load_model
    from relik_ml.serving.settings import ServeSettings

    settings = ServeSettings(
        host=args.host, port=args.port, max_batch=args.max_batch, max_wait_ms=args.max_wait_ms,
        max_text_chars=args.max_text_chars, max_texts=args.max_texts, max_body_bytes=args.max_body_bytes,
        timeout_s=args.timeout_s, reload_poll_s=args.reload_poll_s, threads=args.threads,
    )
    relik = load_model(Path(args.model), settings.threads)  # a bad directory stops here, before listening
    app = create_app(args.model, settings, relik=relik)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=args.log_level, access_log=False)
    return 0


def _non_negative_number(value: str) -> float:
    """A number >= 0 (milliseconds, seconds)."""
    try:
        number = float(value.strip())
    except ValueError:
        raise InputError(f"expected a number >= 0, got {value!r:.60}") from None
    if not number >= 0 or number == float("inf"):
        raise InputError(f"expected a number >= 0, got {value!r:.60}")
    return number


def _positive_number(value: str) -> float:
    """A number > 0 (a timeout)."""
    number = _non_negative_number(value)
    if number == 0:
        raise InputError(f"expected a number > 0, got {value!r:.60}")
    return number


def _port(value: str) -> int:
    port = parse_positive_int(value)
    if port > 65535:
        raise InputError(f"expected a port from 1 to 65535, got {port}")
    return port


def _add_serve_parser(commands: argparse._SubParsersAction) -> None:
    from relik_ml.serving.settings import ServeSettings

    defaults = ServeSettings()
    serve = commands.add_parser("serve", help="serve a model directory over HTTP (/annotate, /gerbil, /health, /ready)")
    serve.add_argument("--model", required=True, type=INPUT_DIR,
                       help="model directory (Relik.from_pretrained); reloaded when it is replaced")
    serve.add_argument("--host", default=defaults.host, help="address to bind (default: loopback only)")
    serve.add_argument("--port", type=argument_type(_port), default=defaults.port)
    serve.add_argument("--max-batch", type=POSITIVE, default=defaults.max_batch,
                       help="texts read in one model call (1: no micro-batching)")
    serve.add_argument("--max-wait-ms", type=argument_type(_non_negative_number), default=defaults.max_wait_ms,
                       help="how long a request waits for others to join its batch")
    serve.add_argument("--max-text-chars", type=POSITIVE, default=defaults.max_text_chars,
                       help="characters per text (longer: 422)")
    serve.add_argument("--max-texts", type=POSITIVE, default=defaults.max_texts, help="texts per request (more: 422)")
    serve.add_argument("--max-body-bytes", type=POSITIVE, default=defaults.max_body_bytes,
                       help="request body size (larger: 413)")
    serve.add_argument("--timeout-s", type=argument_type(_positive_number), default=defaults.timeout_s,
                       help="seconds a request may wait and be read (then 504)")
    serve.add_argument("--reload-poll-s", type=argument_type(_non_negative_number), default=defaults.reload_poll_s,
                       help="seconds between checks of the model directory for a replacement (0: never reload)")
    serve.add_argument("--threads", type=POSITIVE, default=None, help="torch / FAISS CPU threads")
    serve.add_argument("--log-level", choices=("critical", "error", "warning", "info", "debug"), default="info")
    serve.set_defaults(handler=_serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="relik-ml", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="build one artifact of the lineage (the command dvc.yaml calls)")
    run.add_argument("stage")
    run.add_argument("--partition", default=None, help="partition key for partitioned stages")
    run.add_argument("--params", default="params.yaml", type=INPUT_FILE)
    run.set_defaults(handler=_run)

    data = commands.add_parser("data", help="dataset utilities").add_subparsers(dest="data_command", required=True)
    stats = data.add_parser("stats", help="documents, mentions, NME, triplets and windows per split")
    stats.add_argument("format", type=DOCUMENT_FORMAT, help="input format (see relik_ml.formats)")
    stats.add_argument("paths", nargs="+", type=INPUT_PATH)
    stats.add_argument("--window-size", type=POSITIVE, default=32)
    stats.add_argument("--stride", type=POSITIVE, default=16, help="words between window starts (<= --window-size)")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=_data_stats, command_parser=stats)

    gate = commands.add_parser("gate", help="build the evaluation report (and what it needs); exit 1 if the gate fails")
    gate.add_argument("--task", default="el", help="task branch whose gate to check")
    gate.add_argument("--params", default="params.yaml", type=INPUT_FILE)
    gate.set_defaults(handler=_gate)

    build = commands.add_parser("build", help="build artifacts and everything upstream (unchanged ones are reused)")
    build.add_argument("targets", nargs="+", help="stage names, e.g. el/retriever_eval_report")
    build.add_argument("--params", default="params.yaml", type=INPUT_FILE, help="params file, e.g. params.real.yaml")
    build.set_defaults(handler=_build)

    dvc = commands.add_parser("dvc-yaml", help="render dvc.yaml from the stage table and params.yaml")
    dvc.add_argument("--params", default="params.yaml", type=INPUT_FILE)
    dvc.add_argument("--write", action="store_true", help="write dvc.yaml beside params.yaml")
    dvc.set_defaults(handler=_dvc_yaml)

    annotate = commands.add_parser("annotate", help="annotate texts with a model directory (JSON lines out)")
    annotate.add_argument("text", nargs="?", default=None, type=TEXT, help="one text to annotate (or use --input)")
    annotate.add_argument("--model", required=True, type=INPUT_DIR, help="model directory (Relik.from_pretrained)")
    annotate.add_argument("--input", default=None, type=INPUT_FILE,
                          help="JSON lines of objects with \"text\" and optional \"id\" (a string or an integer)")
    annotate.add_argument("--output", default=None, type=OUTPUT_FILE,
                          help="output JSON lines file (default: stdout), written to a temporary file and renamed "
                               "when complete; never the --input file")
    annotate.add_argument("--force", action="store_true", help="replace an --output file that exists")
    annotate.add_argument("--top-k", type=POSITIVE, default=None,
                          help="candidates per window, at most the reader's max_candidates (default: relik.json)")
    annotate.add_argument("--threads", type=POSITIVE, default=None, help="torch / FAISS CPU threads")
    annotate.add_argument("--precision", choices=("fp32", "bf16", "int8"), default="fp32",
                          help=PRECISION_HELP)
    annotate.set_defaults(handler=_annotate)

    evaluate = commands.add_parser("evaluate", help="score a model directory on gold documents")
    evaluate.add_argument("paths", nargs="+", type=INPUT_PATH, help="dataset files (read with --format)")
    evaluate.add_argument("--model", required=True, type=INPUT_DIR,
                          help="model directory (recall@k when it has no reader)")
    evaluate.add_argument("--format", required=True, type=DOCUMENT_FORMAT, help="document format (see relik_ml.formats)")
    evaluate.add_argument("--top-k", type=POSITIVE, nargs="+", default=None,
                          help="one evaluation per K (a retriever: the recall@K cut-offs, default 1 10 50 100)")
    evaluate.add_argument("--split", default=None,
                          help="only the documents of this split (e.g. testa of the aida files); the dataset name gets it")
    evaluate.add_argument("--precision", choices=("fp32", "bf16", "int8"), default="fp32", help=PRECISION_HELP)
    evaluate.add_argument("--json", action="store_true", help="print the results as JSON (default: a table)")
    evaluate.add_argument("--output-dir", default=None, type=OUTPUT_DIR,
                          help="also write report.json, report.md, plots and manifest.json here (a new or empty "
                               "directory, or an earlier report, which is replaced)")
    evaluate.add_argument("--force", action="store_true",
                          help="replace an --output-dir that is not an earlier report (never allowed: the model, a "
                               "dataset file, or a directory inside them)")
    evaluate.add_argument("--kb", default=None, type=INPUT_PATH,
                          help="passages for a retriever directory (--model a saved retriever)")
    evaluate.add_argument("--index", default=None, type=INPUT_DIR,
                          help="passage index artifact searched for a retriever directory")
    evaluate.set_defaults(handler=_evaluate)

    index = commands.add_parser("index", help="passage index utilities").add_subparsers(dest="index_command", required=True)
    refresh = index.add_parser("refresh", help="refresh a model directory's index with a newer KB (no retraining)")
    refresh.add_argument("--model", required=True, type=INPUT_DIR, help="model directory holding retriever/ and index/")
    refresh.add_argument("--passages", required=True, type=INPUT_PATH,
                         help="newer KB: passages.jsonl or a passages artifact directory")
    refresh.add_argument("--output", default=None, type=OUTPUT_DIR,
                         help="write the refreshed model here (default: over --model, atomically)")
    refresh.add_argument("--relations", action="store_true", help="refresh the relation index instead of the entity index")
    refresh.add_argument("--keep-missing", action="store_true", help="keep indexed ids the newer KB lacks (a partial dump)")
    refresh.add_argument("--batch-size", type=POSITIVE, default=128, help="passages per embedding batch")
    refresh.add_argument("--device", default="cpu", type=DEVICE, help="device of the retriever (cpu, cuda, cuda:N)")
    refresh.add_argument("--force", action="store_true",
                         help="replace an --output that is not a model directory, and accept a refresh that removes "
                              "more than half of the indexed ids (refused otherwise: the wrong KB, e.g. entities given "
                              "with --relations). Never allowed: --output equal to --passages or inside --model")
    refresh.set_defaults(handler=_index_refresh)
    _add_serve_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Bad arguments are refused before anything loads (argparse's wording, status 2);
    bad data is an `InputError` (`relik-ml: error: FILE:LINE: field 'F': MESSAGE`, status 2)."""
    try:
        args = build_parser().parse_args(argv)
        if getattr(args, "stride", None) is not None and args.stride > args.window_size:
            args.command_parser.error(f"argument --stride: expected an integer <= --window-size ({args.window_size}), "
                                      f"got {args.stride}")
    except SystemExit as exc:  # argparse exits on --help and on a bad argument; main returns the status instead
        return exc.code if isinstance(exc.code, int) else 2
    if args.command in MODEL_COMMANDS:
        _quiet_weight_loading()
    try:
        return args.handler(args)
    except InputError as exc:
        print(f"relik-ml: error: {exc}", file=sys.stderr)
        return 2
    except KeyError as exc:  # a stage or params key named wrongly; elsewhere a KeyError is a bug, not bad input
        if args.command not in PARAMS_COMMANDS:
            raise
        print(f"relik-ml: error: {exc.args[0]}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # stdout closed by its reader (`| head -1`): stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:  # a full disk, a file that vanished: one line, not a traceback
        print(f"relik-ml: error: {InputError(exc.strerror or str(exc), path=exc.filename)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
