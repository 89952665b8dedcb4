"""Evaluation: model / retriever runs on gold documents (`evaluate`, `retrieval_report`), report
directories (`report`) and the promotion decision (`promotion`). The pure metrics they compute live
one layer down, in `relik_ml.metrics`, where the reader's dev scoring uses them too.
"""
