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
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

#: (column in the table, header shown, number format or None for text).
Column = tuple[str, str, str | None]

SCORE, SE, RAW, COUNT, GENERAL = "0.0", "0.00", "0.00", "#,##0", "General"
P_VALUE = '[<0.001]"<0.001";0.000'  # "0.000" alone would show a tiny p as a misleading 0.000
#: Leading characters that make Excel, LibreOffice or a CSV re-import treat text as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

#: The workbook's body font; every font here names it, or LibreOffice falls back to a serif.
FONT = "Calibri"
BOLD = Font(name=FONT, bold=True)
NOTE = Font(name=FONT, italic=True, color="808080")
HIGHLIGHT = PatternFill("solid", start_color="FFE699", end_color="FFE699")
HEADER_FILL = PatternFill("solid", start_color="D9E1F2", end_color="D9E1F2")
HEADER_BORDER = Border(bottom=Side(style="thin", color="808080"))
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
        c.font, c.fill, c.border = BOLD, HEADER_FILL, HEADER_BORDER
        # Numbers are right-aligned, so their headers are too; long headers wrap (fit_widths).
        c.alignment = Alignment(horizontal="right" if number_format else "left",
                                vertical="bottom", wrap_text=True)
    if df.empty:
        put(ws, row + 1, col, note).font = NOTE
        return row + 1
    n = len(df)
    for j, (name, _, fmt) in enumerate(columns):
        values = df[name].tolist() if name in df.columns else [None] * n
        # Left-aligned text right after a right-aligned number would touch it: indent it.
        indent = fmt is None and j > 0 and columns[j - 1][2] is not None
        for i, v in enumerate(values):
            c = put(ws, row + 1 + i, col + j, v, fmt)
            if indent:
                c.alignment = Alignment(horizontal="left", indent=1)
        if indent:
            ws.cell(row, col + j).alignment = Alignment(horizontal="left", vertical="bottom",
                                                        wrap_text=True, indent=1)
    return row + n


def finish_sheet(ws: Worksheet, ncols: int, last_row: int, header_row: int = 1,
                 filter_table: bool = True, portrait: bool | None = None) -> None:
    """Freeze the header row, add an autofilter, fit column widths, and set up printing."""
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    if filter_table and last_row > header_row:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(ncols)}{last_row}"
    fit_widths(ws, header_row=header_row)
    print_setup(ws, f"A1:{get_column_letter(ncols)}{max(last_row, header_row)}",
                title_rows=f"1:{header_row}", portrait=portrait)


def print_setup(ws: Worksheet, area: str | None = None, title_rows: str | None = None,
                portrait: bool | None = False) -> None:
    """Print area, repeated title rows, fit to one page wide, and "Sheet - Page n of m" footer.

    ``portrait=None`` picks the orientation that prints the sheet on fewer pages
    (:func:`fewer_pages_portrait`); landscape on a tie.

    >>> from openpyxl import Workbook
    >>> ws = Workbook().active
    >>> print_setup(ws, "A1:C10", "1:2")
    >>> ws.print_area, ws.print_title_rows, ws.page_setup.fitToWidth, ws.oddFooter.center.text
    ("'Sheet'!$A$1:$C$10", '$1:$2', 1, '&A - page &P of &N')
    """
    if area:
        ws.print_area = area
    if portrait is None:
        portrait = fewer_pages_portrait(ws)
    if title_rows:
        ws.print_title_rows = title_rows
    ws.page_setup.orientation = "portrait" if portrait else "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    # Fit the columns to the page width and let rows run on to further pages.
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.25,
                                  footer=0.3)
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "&A - page &P of &N"
    ws.oddFooter.center.size = 8


def fewer_pages_portrait(ws: Worksheet) -> bool:
    """Whether a table fitted to the page width takes fewer A4 pages upright than sideways.

    Rough page geometry (A4, the margins of :func:`print_setup`, rows 15 pt, a character of
    column width 7 pt): a page holds 50 rows and 77 characters upright, 34 rows and 112
    characters sideways, at full size; a wider table is scaled down to fit the width, but
    never upright below half size (too small to read).
    """
    width = sum(ws.column_dimensions[get_column_letter(j)].width or 8.43
                for j in range(1, ws.max_column + 1))
    rows = sum((ws.row_dimensions[r].height or 15) / 15 for r in range(1, ws.max_row + 1))
    upright = math.ceil(rows / (50 / min(1.0, 77 / width)))
    sideways = math.ceil(rows / (34 / min(1.0, 112 / width)))
    return upright < sideways and 77 / width >= 0.5


def fit_widths(ws: Worksheet, minimum: float = 6, maximum: float = 60, header_row: int = 1,
               header_max: int = 14) -> None:
    """Set each column's width from its longest shown value, within [minimum, maximum].

    A header longer than ``header_max`` characters wraps rather than widening its column, and
    the header row is made tall enough for it: neither Excel nor LibreOffice grows a row on
    opening a file that does not say how tall it is.
    """
    widths: dict[int, float] = {}
    headers = []
    for row in ws.iter_rows(min_row=header_row):  # a caption above the header spans columns
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
    """White-to-blue scale on one column (low to high): one hue, readable whatever a reader's
    colour vision, and in grey print."""
    if last_row < first_row:
        return
    letter = get_column_letter(col)
    ws.conditional_formatting.add(
        f"{letter}{first_row}:{letter}{last_row}",
        ColorScaleRule(start_type="min", start_color="FFFFFF", end_type="max",
                       end_color="6BAED6"),
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
