"""ReLiK-style retriever-reader library: formats, windows, retriever, index, reader, evaluation.

This package never imports the orchestration stack (dagster, dvc, wandb, great_expectations);
`relik_assets` wraps it. The layer rule is checked by import-linter in the test suite.
"""
