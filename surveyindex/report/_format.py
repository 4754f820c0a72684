"""Cell, table and chart formatting for the report sheets: safe values, tidy tables, widths.

Every value reaches a cell through :func:`put`, the one place where text is neutralised against
formula injection: a response file is untrusted input, and a respondent id or an exclusion reason
such as ``=HYPERLINK(...)`` must reach the reader as the text it is, never as a live formula.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.axis import ChartLines
from openpyxl.chart.data_source import NumDataSource, NumRef
from openpyxl.chart.error_bar import ErrorBars
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

#: (column in the table, header shown, number format or None for text).
Column = tuple[str, str, str | None]

SCORE, SE, RAW, COUNT, GENERAL = "0.0", "0.00", "0.00", "#,##0", "General"
P_VALUE = '[<0.001]"<0.001";0.000'  # "0.000" alone would show a tiny p as a misleading 0.000
#: Leading characters that make Excel, LibreOffice or a CSV re-import treat text as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

BOLD = Font(bold=True)
NOTE = Font(italic=True, color="808080")
HIGHLIGHT = PatternFill("solid", start_color="FFE699", end_color="FFE699")
_HEADER_FILL = PatternFill("solid", start_color="D9E1F2", end_color="D9E1F2")
_HEADER_BORDER = Border(bottom=Side(style="thin", color="808080"))
# XML 1.0 forbids these control characters; openpyxl raises on them rather than dropping them.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MAX_CELL_TEXT = 32767  # Excel's limit; longer text makes Excel "repair" the file


def put(ws: Worksheet, row: int, col: int, value, number_format: str | None = None):
    """Write one value to a cell; text is always stored as text, never as a formula.

    openpyxl stores a string starting with ``=`` as a formula and ``#N/A`` as an error, so text
    cells get ``data_type = "s"``; text starting with a formula trigger also gets Excel's
    ``quotePrefix`` flag (what typing a leading ``'`` does), so the cell stays text when a reader
    edits it. The text itself is unchanged: no visible apostrophe.

    >>> from openpyxl import Workbook
    >>> c = put(Workbook().active, 1, 1, '=HYPERLINK("http://x", "y")')
    >>> c.data_type, c.quotePrefix, c.value
    ('s', True, '=HYPERLINK("http://x", "y")')
    """
    v = cell_value(value)
    cell = ws.cell(row=row, column=col, value=v)
    if isinstance(v, str):
        cell.data_type = "s"
        if v.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
    elif number_format and isinstance(v, (int, float)) and not isinstance(v, bool):
        cell.number_format = number_format
    return cell


def cell_value(v):
    """A value openpyxl can store: None for missing and non-finite, plain Python scalars, clean text.

    >>> cell_value(float("nan")), cell_value(np.int64(3)), cell_value("a\\x07b")
    (None, 3, 'a\\ufffdb')
    """
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, (dt.datetime, dt.date)):
        # Excel has no time zones; show an aware timestamp as text rather than drop its offset.
        return str(v) if getattr(v, "tzinfo", None) is not None else v
    text = _ILLEGAL.sub("\ufffd", str(v))
    return text if len(text) <= _MAX_CELL_TEXT else text[: _MAX_CELL_TEXT - 1] + "\u2026"


def write_table(ws: Worksheet, df: pd.DataFrame, columns: Sequence[Column], row: int = 1,
                col: int = 1, note: str = "no rows") -> int:
    """Header and rows of the documented ``columns`` of ``df``; returns the last row written.

    Columns of ``df`` not in ``columns`` are not written; documented columns missing from ``df``
    are written empty, so the header is the same whatever the input. An empty table gets its
    header and an italic ``note`` under it.

    >>> from openpyxl import Workbook
    >>> ws = Workbook().active
    >>> write_table(ws, pd.DataFrame({"x": [1.25, 2.0], "junk": [0, 0]}), [("x", "X", SCORE)])
    3
    >>> ws["A1"].value, ws["A2"].number_format, ws["B1"].value
    ('X', '0.0', None)
    """
    for j, (_, label, number_format) in enumerate(columns):
        c = put(ws, row, col + j, label)
        c.font, c.fill, c.border = BOLD, _HEADER_FILL, _HEADER_BORDER
        # Numbers are right-aligned, so their headers are too; long headers wrap (fit_widths).
        c.alignment = Alignment(horizontal="right" if number_format else "left",
                                vertical="bottom", wrap_text=True)
    if df.empty:
        put(ws, row + 1, col, note).font = NOTE
        return row + 1
    n = len(df)
    for j, (name, _, fmt) in enumerate(columns):
        values = df[name].tolist() if name in df.columns else [None] * n
        for i, v in enumerate(values):
            put(ws, row + 1 + i, col + j, v, fmt)
    return row + n


def finish_sheet(ws: Worksheet, ncols: int, last_row: int, header_row: int = 1,
                 filter_table: bool = True) -> None:
    """Freeze the header row, add an autofilter, fit column widths, and set up printing."""
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    if filter_table and last_row > header_row:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(ncols)}{last_row}"
    fit_widths(ws, header_row=header_row)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    # Fit the columns to the page width and let rows run on to further pages.
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0


def fit_widths(ws: Worksheet, minimum: float = 6, maximum: float = 60, header_row: int = 1,
               header_max: int = 14) -> None:
    """Set each column's width from its longest shown value, within [minimum, maximum].

    A header longer than ``header_max`` characters wraps rather than widening its column, and
    the header row is made tall enough for it: neither Excel nor LibreOffice grows a row on
    opening a file that does not say how tall it is.
    """
    widths: dict[int, float] = {}
    headers = []
    for row in ws.iter_rows():
        for c in row:
            if c.value is None:
                continue
            if c.row == header_row:
                headers.append(c)
                words = max(len(w) for w in str(c.value).split() or [""])
                n = max(words, min(len(str(c.value)), header_max))
            elif isinstance(c.value, float):
                n = len(f"{c.value:,.3f}")
            else:
                n = len(str(c.value))
            widths[c.column] = max(widths.get(c.column, 0), n * (1.15 if c.font.b else 1.0))
    for j, w in widths.items():
        ws.column_dimensions[get_column_letter(j)].width = min(max(w + 2, minimum), maximum)
    lines = [_lines(str(c.value), widths[c.column] / 1.15) for c in headers]
    if max(lines, default=1) > 1:
        ws.row_dimensions[header_row].height = 15 * max(lines)


def wrap_rows(ws: Worksheet, col: int, first_row: int, last_row: int, width: float) -> None:
    """Wrap the text of one column and make each row tall enough to show all of it."""
    for r in range(first_row, last_row + 1):
        c = ws.cell(r, col)
        c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(r, 1).alignment = Alignment(vertical="top")
        n = _lines(str(c.value or ""), width)
        if n > 1:
            ws.row_dimensions[r].height = 15 * n


def caption(ws: Worksheet, text: str, ncols: int, row: int = 1):
    """An italic note across the first ``ncols`` columns of ``row``, wrapped to their width.

    Call it after the widths are fitted (:func:`finish_sheet`): the cells are merged, so the
    caption neither widens a column nor runs past the table on a printed page.

    >>> from openpyxl import Workbook
    >>> ws = Workbook().active
    >>> c = caption(ws, "Ranks from 200 replicates; rank 1 = highest score", 3)
    >>> c.coordinate, [r.coord for r in ws.merged_cells.ranges], c.alignment.wrap_text
    ('A1', ['A1:C1'], True)
    """
    cell = put(ws, row, 1, text)
    cell.font, cell.alignment = NOTE, Alignment(wrap_text=True, vertical="top")
    if ncols > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
    width = sum(ws.column_dimensions[get_column_letter(j)].width or 8.43
                for j in range(1, ncols + 1))
    ws.row_dimensions[row].height = 15 * _lines(str(text), width / 1.1)
    return cell


def _lines(text: str, width: float) -> int:
    """Lines ``text`` takes in a column ``width`` characters wide, breaking at spaces."""
    lines, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > width:
            lines, used = lines + 1, len(word)
        else:
            used += (1 if used else 0) + len(word)
    return lines


def colour_scale(ws: Worksheet, col: int, first_row: int, last_row: int) -> None:
    """Red-yellow-green scale on one column (low to high), as Excel's default 3-colour scale."""
    if last_row < first_row:
        return
    letter = get_column_letter(col)
    ws.conditional_formatting.add(
        f"{letter}{first_row}:{letter}{last_row}",
        ColorScaleRule(start_type="min", start_color="F8696B", mid_type="percentile", mid_value=50,
                       mid_color="FFEB84", end_type="max", end_color="63BE7B"),
    )


def style_rows(ws: Worksheet, rows, first_col: int, last_col: int, font=None, fill=None) -> None:
    """Apply a font and/or fill to the given rows between two columns (inclusive)."""
    for r in rows:
        for j in range(first_col, last_col + 1):
            c = ws.cell(row=r, column=j)
            if font is not None:
                c.font = font
            if fill is not None:
                c.fill = fill


def add_score_chart(ws: Worksheet, anchor: str, composite: pd.DataFrame, data_ws: Worksheet,
                    first_col: int) -> bool:
    """Bar chart of the composite score by country, a series per target, CI as error bars.

    Uses audience ``"all"``. A chart plots cells, not values, so the scores and the CI's distance
    below and above each score are written as a small block on ``data_ws`` from column
    ``first_col``. Returns False, adding nothing, when there is nothing to plot.
    """
    if composite.empty or not {"country", "target", "score"} <= set(composite.columns):
        return False
    df = composite
    if "audience" in df.columns:
        df = df[df["audience"].astype(str) == "all"]
    df = df.assign(country=df["country"].astype(str), target=df["target"].astype(str))
    df = df.drop_duplicates(["country", "target"])
    if df["score"].notna().sum() == 0:
        return False
    targets = list(dict.fromkeys(df["target"]))
    wide = df.reindex(columns=["country", "target", "score", "ci_low", "ci_high"])
    wide = wide.pivot(index="country", columns="target")
    # Highest score on the first target at the top: the order a reader scans a league table in.
    countries = wide[("score", targets[0])].sort_values(ascending=False, kind="stable").index
    wide, k = wide.loc[countries], len(countries)
    put(data_ws, 1, first_col, "Chart: country").font = BOLD
    for i, c in enumerate(countries, start=2):
        put(data_ws, i, first_col, c)
    chart = BarChart()
    chart.type, chart.grouping, chart.gapWidth = "bar", "clustered", 60
    chart.title = "Composite score, audience all"
    chart.y_axis.title = "Score (0-100); lines show the confidence interval"
    chart.y_axis.scaling.min, chart.y_axis.scaling.max, chart.y_axis.majorUnit = 0, 100, 10
    chart.y_axis.number_format = "0"
    chart.y_axis.majorGridlines = ChartLines()
    chart.x_axis.scaling.orientation = "maxMin"  # first category at the top, as in the table
    chart.y_axis.crosses = "max"  # keeps the score axis at the bottom once categories are reversed
    chart.x_axis.delete = chart.y_axis.delete = False  # openpyxl 3.1 hides axes otherwise
    chart.legend.position = "b"
    chart.visible_cells_only = False  # filtering the Index sheet must not empty the chart
    for j, t in enumerate(targets):
        col = first_col + 1 + 3 * j
        score = wide[("score", t)]
        low = score - wide[("ci_low", t)]
        high = wide[("ci_high", t)] - score
        for head, values, c in ((t, score, col), (f"{t} CI below", low, col + 1),
                                (f"{t} CI above", high, col + 2)):
            put(data_ws, 1, c, head).font = BOLD
            for i, v in enumerate(values, start=2):
                put(data_ws, i, c, v, SCORE)
        chart.add_data(Reference(data_ws, min_col=col, min_row=1, max_row=k + 1),
                       titles_from_data=True)
        chart.series[-1].errBars = _ErrorBars(
            errBarType="both", errValType="cust", noEndCap=False,
            minus=_numbers(data_ws, col + 1, k), plus=_numbers(data_ws, col + 2, k))
    chart.set_categories(Reference(data_ws, min_col=first_col, min_row=2, max_row=k + 1))
    chart.width, chart.height = 24, max(8.0, 0.45 * k * len(targets) + 4)
    ws.add_chart(chart, anchor)
    return True


def add_profile_chart(ws: Worksheet, anchor: str, profile: pd.DataFrame, first_row: int) -> bool:
    """Column chart of each target's dimension profile, CI as error bars, data written on ``ws``.

    ``profile`` is :func:`surveyindex.report.profile.dimension_profile`'s table. The chart block
    (dimension, then per target the score and the CI's distance below and above) is written from
    ``first_row`` in column A. Returns False, adding nothing, when there is nothing to plot.
    """
    if profile.empty or profile["score"].notna().sum() == 0:
        return False
    targets = list(dict.fromkeys(profile["target"].astype(str)))
    dims = list(dict.fromkeys(profile["dimension"].astype(str)))
    wide = profile.assign(target=profile["target"].astype(str),
                          dimension=profile["dimension"].astype(str)).pivot(
        index="dimension", columns="target").reindex(dims)
    k = len(dims)
    put(ws, first_row, 1, "Chart: dimension").font = BOLD
    for i, d in enumerate(dims, start=first_row + 1):
        put(ws, i, 1, d)
    chart = BarChart()
    chart.type, chart.grouping, chart.gapWidth = "col", "clustered", 80
    chart.title = "Dimension profile: mean of the country scores, audience all"
    chart.y_axis.title = "Score (0-100); lines show the confidence interval"
    chart.y_axis.scaling.min, chart.y_axis.scaling.max, chart.y_axis.majorUnit = 0, 100, 10
    chart.y_axis.number_format = "0"
    chart.y_axis.majorGridlines = ChartLines()
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.legend.position = "b"
    for j, t in enumerate(targets):
        col = 2 + 3 * j
        score = wide[("score", t)]
        for head, values, c in ((t, score, col), (f"{t} CI below", score - wide[("ci_low", t)], col + 1),
                                (f"{t} CI above", wide[("ci_high", t)] - score, col + 2)):
            put(ws, first_row, c, head).font = BOLD
            for i, v in enumerate(values, start=first_row + 1):
                put(ws, i, c, v, SCORE)
        chart.add_data(Reference(ws, min_col=col, min_row=first_row, max_row=first_row + k),
                       titles_from_data=True)
        chart.series[-1].errBars = _ErrorBars(
            errBarType="both", errValType="cust", noEndCap=False,
            minus=_numbers(ws, col + 1, k, first_row + 1),
            plus=_numbers(ws, col + 2, k, first_row + 1))
    chart.set_categories(Reference(ws, min_col=1, min_row=first_row + 1, max_row=first_row + k))
    chart.width, chart.height = 24, 10
    ws.add_chart(chart, anchor)
    return True


class _ErrorBars(ErrorBars):
    """openpyxl's error bars, children in the chart schema's order (CT_ErrBars: plus, then minus).

    openpyxl 3.1 writes ``minus`` before ``plus``; LibreOffice reads that, but Excel checks chart
    XML against the schema and may drop the chart as "unreadable content".
    """

    __attrs__, __nested__ = ErrorBars.__attrs__, ErrorBars.__nested__
    __elements__ = ("errDir", "errBarType", "errValType", "noEndCap", "plus", "minus", "val",
                    "spPr")


def _numbers(ws: Worksheet, col: int, k: int, first_row: int = 2) -> NumDataSource:
    return NumDataSource(numRef=NumRef(f=str(Reference(ws, min_col=col, min_row=first_row,
                                                        max_row=first_row + k - 1))))
