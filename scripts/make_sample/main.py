"""Regenerate `data/sample/` (deterministic): `python -m scripts.make_sample [OUTPUT_DIR]`."""
from __future__ import annotations

import argparse
import random
from pathlib import Path

from relik_ml.io import atomic_directory
from scripts.make_sample.kb import knowledge_base
from scripts.make_sample.write_aida import SPLITS, generate_splits, write_aida
from scripts.make_sample.write_damuel import write_damuel
from scripts.make_sample.write_elevant import write_elevant
from scripts.make_sample.write_kilt import write_kilt
from scripts.make_sample.write_mewsli import write_mewsli
from scripts.make_sample.write_readme import write_readme
from scripts.make_sample.write_relations import write_relations
from scripts.make_sample.write_re import write_re
from scripts.make_sample.write_rebel import write_rebel

SEED = 20240501
DEFAULT_OUTPUT = Path(__file__).resolve().parents[2] / "data" / "sample"


def generate(out: Path) -> dict[str, dict[str, int]]:
    """Write every sample file into `out` (must not exist yet); returns counts per file group."""
    kb = knowledge_base()
    out.mkdir(parents=True, exist_ok=True)
    splits = generate_splits(kb, random.Random(SEED))
    counts = {
        "kilt": write_kilt(kb, out),
        "relations": write_relations(out),
        "aida": write_aida(kb, splits, out),
        "elevant": write_elevant(kb, splits["testa"], SPLITS[0][1], out),
        "re": write_re(kb, random.Random(SEED + 1), out),
        "rebel": write_rebel(kb, random.Random(SEED + 2), out),
        "damuel": write_damuel(kb, random.Random(SEED + 3), out),
        "mewsli": write_mewsli(kb, out),
    }
    write_readme(out, counts)
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    # the repository's own sample folder has no manifest; regenerating it in place is intended
    with atomic_directory(args.output, force=args.output.resolve() == DEFAULT_OUTPUT) as tmp:
        counts = generate(tmp)
    for group, numbers in counts.items():
        print(group, numbers)


if __name__ == "__main__":
    main()
