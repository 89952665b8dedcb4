"""Deterministic generator of the bundled CC0 sample data in `data/sample/`."""
