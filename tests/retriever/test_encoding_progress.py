from __future__ import annotations

from relik_ml import progress
from relik_ml.types import Passage


def test_encoding_reports_the_texts_done_after_each_batch(retriever):
    passages = [Passage(f"P{i}", f"title {i}", "word " * i) for i in range(10)]
    reports: list[tuple[int, int, str]] = []
    with progress.listening(lambda *report: reports.append(report)):
        retriever.encode_passages(passages, batch_size=4)
    assert reports == [(4, 10, "texts"), (8, 10, "texts"), (10, 10, "texts")]
