"""Entry point for `python -m scripts.make_sample`."""
from __future__ import annotations

from scripts.make_sample.main import main

main()
