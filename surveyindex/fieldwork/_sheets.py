"""Write tables to a workbook, one sheet each, atomically and safe from formula injection."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from ..errors import ReportError
from ..report import check_writable, finish_sheet, write_table


def write_sheets(tables: dict[str, pd.DataFrame], path: str | Path, what: str) -> Path:
    """Write each table to a sheet named by its key; the file is replaced whole or not at all.

    Text goes through the report's :func:`~surveyindex.report._format.put`, so instrument text
    such as ``=1+1`` stays text, never a formula.

    >>> import tempfile, openpyxl
    >>> out = write_sheets({"a": pd.DataFrame({"x": ["=1+1"]})},
    ...                    Path(tempfile.mkdtemp()) / "t.xlsx", what="test")
    >>> cell = openpyxl.load_workbook(out)["a"]["A2"]
    >>> cell.value, cell.data_type
    ('=1+1', 's')
    """
    path = check_writable(path, suffix=".xlsx", what=f"{what} workbook")  # not Excel named .csv
    wb = Workbook()
    wb.remove(wb.active)
    for name, df in tables.items():
        ws = wb.create_sheet(name)
        last = write_table(ws, df, [(c, c, None) for c in df.columns])
        finish_sheet(ws, len(df.columns), last)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        wb.save(tmp)
        os.replace(tmp, path)
    except BaseException as e:  # an interrupted save must not leave its temporary file behind
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if not isinstance(e, Exception):
            raise
        raise ReportError(f"{path}: cannot write the {what} workbook ({type(e).__name__}: {e})") from e
    return path
