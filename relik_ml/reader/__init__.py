"""The ReLiK reader: one forward pass over `window [SEP] <ST0> <ST1> c1 … <STK> cK`.

configuration (RelikReaderConfig) → inputs (build_reader_input) → data (examples, token-budget
batches, collate) → modeling (RelikReaderModel, picking spans with span_picking) → decoding
(decode, merge_windows) → module (Lightning) → train (train_reader) → artifact (save_reader,
load_reader).
"""
