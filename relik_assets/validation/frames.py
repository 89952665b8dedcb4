"""The library's rule tables (`relik_ml.validate`) as the pandas DataFrames the GX suites validate."""
from __future__ import annotations

import pandas as pd

from relik_ml.validate import Table

DTYPES = {int: "int64", bool: "bool", str: object}


def table_frame(table: Table) -> pd.DataFrame:
    """One DataFrame row per table row, with the column types the table declares (also when empty)."""
    names = [name for name, _ in table.columns]
    frame = pd.DataFrame(table.rows, columns=names, dtype=object)
    return frame.astype({name: DTYPES[kind] for name, kind in table.columns})
