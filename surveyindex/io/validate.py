"""The validation report: every problem found in a response file, as a tidy table and as text.

Each problem is one row of the report with the file, the data ``row`` (1-based, header rows not
counted), the ``line`` as a text editor or spreadsheet shows it, the respondent id, the
``column``, the offending ``value``, what was ``expected``, the ``problem`` and the ``action``
taken: ``error`` (the read stops), ``row excluded``, ``set to missing`` or ``flagged``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ResponseDataError

REPORT_COLUMNS = ["file", "row", "line", "resp_id", "column", "value", "expected", "problem",
                  "action"]
ERROR, EXCLUDED, SET_MISSING, FLAGGED, NOTE = (
    "error", "row excluded", "set to missing", "flagged", "note")


class ResponseValidationError(ResponseDataError):
    """A response file failed validation; ``.report`` holds the tidy table of every problem.

    >>> err = ResponseValidationError("f.csv: 1 problem", empty_report())
    >>> isinstance(err, ResponseDataError), list(err.report.columns)[:3]
    (True, ['file', 'row', 'line'])
    """

    def __init__(self, message: str, report: pd.DataFrame):
        super().__init__(message)
        self.report = report


def empty_report() -> pd.DataFrame:
    """An empty report with the standard columns."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in REPORT_COLUMNS})


class Issues:
    """Collects problems, vectorised: one call records a problem for many rows at once.

    ``lines[i]`` is the file line of data row ``i`` (0-based) and ``ids[i]`` its respondent id.

    >>> iss = Issues("f.csv", np.array([2, 3]), np.array(["a", "b"], dtype=object))
    >>> iss.add(np.array([False, True]), "age", np.array(["x", "7"], dtype=object),
    ...         "a number 18-99", "age outside 18-99", EXCLUDED)
    >>> iss.table()[["row", "line", "resp_id", "column", "value"]].values.tolist()
    [[2, 3, 'b', 'age', '7']]
    """

    def __init__(self, file: str, lines: np.ndarray, ids: np.ndarray):
        self.file, self.lines, self.ids = file, lines, ids
        self._parts: list[pd.DataFrame] = []
        #: Turns a table's rows and lines into the file's when the rows recorded are not the
        #: file's (a long file's respondents: see :class:`~surveyindex.io.mapping.LongRecords`);
        #: applied to the report an error shows.
        self.locate = None

    def add(self, mask, column: str, values, expected: str, problem, action: str,
            reason=None) -> None:
        """Record ``problem`` for the rows where ``mask`` holds (or at the row indices given).

        ``values`` is the column's cells (whole column) or one value; ``reason`` is the short
        text the ledger shows for an excluded row (defaults to ``problem``).
        """
        rows = np.flatnonzero(mask) if np.asarray(mask).dtype == bool else np.asarray(mask, int)
        if not len(rows):
            return
        vals = np.asarray(values, dtype=object)
        vals = vals[rows] if vals.ndim and len(vals) == len(self.lines) else np.broadcast_to(
            vals, rows.shape)
        self._parts.append(pd.DataFrame({
            "file": self.file, "row": rows + 1, "line": self.lines[rows], "resp_id": self.ids[rows],
            "column": column, "value": [cell_text(v) for v in vals], "expected": expected,
            "problem": _pick(problem, rows), "action": action,
            "reason": _pick(problem if reason is None else reason, rows),
        }))

    def add_file(self, column: str, value, expected: str, problem: str,
                 action: str = ERROR) -> None:
        """Record a problem with the file as a whole (no row)."""
        self._parts.append(pd.DataFrame({
            "file": [self.file], "row": [None], "line": [None], "resp_id": [None],
            "column": [column], "value": [cell_text(value)], "expected": [expected],
            "problem": [problem], "action": [action], "reason": [problem]}))

    def extend(self, table: pd.DataFrame) -> None:
        """Add records made elsewhere (same columns)."""
        if len(table):
            self._parts.append(table)

    def table(self, with_reason: bool = False) -> pd.DataFrame:
        """All records, sorted by row (file-level records first)."""
        if not self._parts:
            out = empty_report()
            if with_reason:
                out["reason"] = pd.Series(dtype=object)
            return out
        out = pd.concat(self._parts, ignore_index=True)
        out = out.sort_values("row", kind="stable", na_position="first").reset_index(drop=True)
        return out if with_reason else out[REPORT_COLUMNS]

    def raise_if(self, actions=(ERROR,), headline: str | None = None) -> None:
        """Raise a :class:`ResponseValidationError` if any record has one of ``actions``.

        The message is ``headline`` (if given) followed by the readable summary of the report.
        """
        tab = self.table()
        if tab["action"].isin(actions).any():
            stop = tab[tab["action"].isin(actions)].reset_index(drop=True)
            if self.locate is not None:
                stop = self.locate(stop)
            text = describe(stop, self.file)
            raise ResponseValidationError(f"{headline}\n{text}" if headline else text, stop)


def describe(report: pd.DataFrame, file: str, limit: int = 3, problems: int = 8) -> str:
    """A readable summary of a report: each problem with its count and its first cases.

    At most ``problems`` distinct problems are shown (a header row repeated as data is one
    problem per column); the rest are counted, and the exception's ``.report`` holds them all.

    >>> rep = pd.DataFrame({"file": "f.csv", "row": [3], "line": [4], "resp_id": ["r2"],
    ...     "column": ["gender"], "value": ["5"], "expected": ["one of 1, 2"],
    ...     "problem": ["gender not one of the codes"], "action": ["row excluded"]})
    >>> print(describe(rep, "f.csv"))
    f.csv: 1 problem in 1 row
      gender not one of the codes: 1 case, row excluded
        line 4 (id r2): gender = '5', expected one of 1, 2
    """
    if report.empty:
        return f"{file}: no problems"
    n_rows = report["row"].dropna().nunique()
    lines = [f"{file}: {_count(len(report), 'problem')}"
             + (f" in {_count(n_rows, 'row')}" if n_rows else "")]
    groups = list(report.groupby(["problem", "action"], sort=False))
    for (problem, action), grp in groups[:problems]:
        lines.append(f"  {problem}: {_count(len(grp), 'case')}, {action}")
        for rec in grp.head(limit).itertuples():
            where = f"line {rec.line} (id {rec.resp_id}): " if pd.notna(rec.row) else ""
            val = f" = {rec.value!r}" if rec.value is not None and rec.value != "" else ""
            what = f"{rec.column}{val}, expected {rec.expected}" if rec.column else ""
            if where or what:
                lines.append(f"    {where}{what}")
        if len(grp) > limit:
            lines.append(f"    ... and {len(grp) - limit} more")
    if len(groups) > problems:
        rest = sum(len(g) for _, g in groups[problems:])
        lines.append(f"  ... and {len(groups) - problems} more problems ({_count(rest, 'case')}; "
                     "the error's .report table lists every one)")
    return "\n".join(lines)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _pick(x, rows: np.ndarray):
    a = np.asarray(x, dtype=object)
    return a[rows] if a.ndim else [x] * len(rows)


def cell_text(v) -> str | None:
    """A cell as the report shows it: None when blank, 17.0 as '17', anything else as text.

    >>> cell_text(17.0), cell_text(float("nan")), cell_text("=1+2")
    ('17', None, '=1+2')
    """
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
