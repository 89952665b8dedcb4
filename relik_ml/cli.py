"""`relik-ml`: run a lineage stage (what DVC calls), data statistics, dvc.yaml rendering.

Heavy modules are imported inside the commands that need them, so `relik-ml --help` is instant.
Bad input exits with status 2 and one line naming the file, line and field.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from relik_ml.errors import InputError


def _run(args: argparse.Namespace) -> int:
    from relik_ml.config import load_params
    from relik_ml.stages import stage_call

    params = load_params(args.params)
    summary = stage_call(args.stage, params, args.partition).build()
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="relik-ml", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="build one artifact of the lineage (the command dvc.yaml calls)")
    run.add_argument("stage")
    run.add_argument("--partition", default=None, help="partition key for partitioned stages")
    run.add_argument("--params", default="params.yaml")
    run.set_defaults(handler=_run)

    data = commands.add_parser("data", help="dataset utilities").add_subparsers(dest="data_command", required=True)
    stats = data.add_parser("stats", help="documents, mentions, NME, triplets and windows per split")
    stats.add_argument("format", help="input format (see relik_ml.formats)")
    stats.add_argument("paths", nargs="+")
    stats.add_argument("--window-size", type=int, default=32)
    stats.add_argument("--stride", type=int, default=16)
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=_data_stats)

    dvc = commands.add_parser("dvc-yaml", help="render dvc.yaml from the stage table and params.yaml")
    dvc.add_argument("--params", default="params.yaml")
    dvc.add_argument("--write", action="store_true", help="write dvc.yaml beside params.yaml")
    dvc.set_defaults(handler=_dvc_yaml)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (InputError, KeyError) as exc:
        print(f"relik-ml: error: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
