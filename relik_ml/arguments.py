"""Checks of command-line arguments and call options, made before any model or data is loaded.

Each `parse_*` takes an argument's string and returns its value or raises `InputError` with the
message alone; `argument_type` turns one into an argparse `type=`, so that every command words a bad
argument the same way: `relik-ml CMD: error: argument --NAME: MESSAGE` (exit status 2).
`unicode_problem` says why a text cannot be tokenized (a lone surrogate), in the words the format
readers use.
"""
from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TypeVar

from relik_ml.errors import InputError

Value = TypeVar("Value")
_DEVICE = re.compile(r"cpu|cuda(?::(\d{1,4}))?")
_SURROGATE = re.compile("[\ud800-\udfff]")


def argument_type(parse: Callable[[str], Value]) -> Callable[[str], Value]:
    """`parse` as an argparse `type=`: its `InputError` becomes the argument's error message."""

    def checked(value: str) -> Value:
        try:
            return parse(value)
        except InputError as exc:
            raise argparse.ArgumentTypeError(exc.message) from None

    checked.__name__ = parse.__name__
    return checked


def parse_positive_int(value: str) -> int:
    """An integer >= 1 (K, threads, batch size, window size, stride)."""
    try:
        number = int(value.strip())
    except ValueError:
        raise InputError(f"expected an integer >= 1, got {value!r:.60}") from None
    return check_positive_int(number)


def check_positive_int(value: object, field: str | None = None) -> int:
    """`value` if it is an integer >= 1 (not a bool), else an `InputError` on `field`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"expected an integer >= 1, got {value!r:.60}", field=field)
    return value


def parse_choice(value: str, known: Collection[str], what: str) -> str:
    """`value` if it is one of `known`, else an error listing them."""
    if value not in known:
        raise InputError(f"unknown {what} {value!r:.60}; known: {', '.join(sorted(known))}")
    return value


def parse_device(value: str) -> str:
    """"cpu", "cuda" or "cuda:N", refused when CUDA (or device N) is not there."""
    match = _DEVICE.fullmatch(value)
    if match is None:
        raise InputError(f"expected cpu, cuda or cuda:N, got {value!r:.60}")
    if value == "cpu":
        return value
    import torch  # only for a CUDA device: `relik-ml --help` stays instant

    if not torch.cuda.is_available():
        raise InputError(f"{value}: CUDA is not available on this machine (use cpu)")
    if match.group(1) is not None and int(match.group(1)) >= torch.cuda.device_count():
        raise InputError(f"{value}: this machine has {torch.cuda.device_count()} CUDA device(s), numbered from 0")
    return value


def file_problem(path: Path) -> str | None:
    """Why `path` is not an existing regular file (or a symlink to one), or None when it is."""
    if path.is_dir():
        return "is a directory, expected a file"
    if not path.exists():
        return "file not found"
    if not path.is_file():
        return "not a regular file"
    return None


def parse_input_file(value: str) -> str:
    """An existing regular file (or a symlink to one)."""
    if (problem := file_problem(Path(value))) is not None:
        raise InputError(f"{value}: {problem}")
    return value


def parse_input_path(value: str) -> str:
    """An existing file or directory (a dataset file, or a folder of one)."""
    if not Path(value).exists():
        raise InputError(f"{value}: not found")
    return value


def parse_input_dir(value: str) -> str:
    """An existing directory (a model, retriever or index directory)."""
    path = Path(value)
    if not path.exists():
        raise InputError(f"{value}: directory not found")
    if not path.is_dir():
        raise InputError(f"{value}: is a file, expected a directory")
    return value


def parse_output_file(value: str) -> str:
    """A file to write: not a directory, in an existing writable directory (a stream output makes none)."""
    path = Path(value)
    if path.is_dir():
        raise InputError(f"{value}: is a directory, expected a file")
    parent = path.absolute().parent
    if parent.exists() and not parent.is_dir():
        raise InputError(f"{value}: cannot be created, {parent} is a file")
    if not parent.exists():
        raise InputError(f"{value}: its directory {parent} does not exist (create it first)")
    _check_creatable(path)
    return value


def parse_output_dir(value: str) -> str:
    """A directory to write: not a file, in a directory that exists or can be created (it is, on writing)."""
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise InputError(f"{value}: is a file, expected a directory")
    _check_creatable(path)
    return value


def _check_creatable(path: Path) -> None:
    """`path` (existing or not) can be written: its nearest existing ancestor is a writable directory."""
    ancestor = path.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"{path}: cannot be created, {ancestor} is a file")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise InputError(f"{path}: cannot be created, {ancestor} is not writable")


def unicode_problem(text: str) -> str | None:
    """Why `text` cannot be encoded (and so not tokenized), or None: a lone surrogate such as "\\ud800"."""
    match = _SURROGATE.search(text)
    if match is None:
        return None
    return f"lone surrogate U+{ord(match.group()):04X} at character {match.start()} (not valid Unicode)"
