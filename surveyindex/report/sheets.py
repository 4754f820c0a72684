"""The report's table sheets: a caption, a labelled table, print setup; and the wide layouts.

Every sheet has a caption in row 1 (what the numbers are, which interval) and its header in row 2,
both repeated on every printed page. Wide layouts (differences by country x measure, items by
wording x country) are what a report writer pastes; the tidy long tables stay for machines.
"""

from __future__ import annotations

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import ReportError
from . import _format as fmt
from . import columns as cols
from .labels import Labels

_DIFF = '+0.0;\u22120.0;0.0'
_DIFF_SIG = '+0.0"*";\u22120.0"*";0.0"*"'


def table_sheet(wb: Workbook, name: str, df: pd.DataFrame, columns, caption: str,
                scale: str | None = None, note: str = "no rows", portrait: bool | None = None,
                hidden: bool = False) -> tuple[Worksheet, int]:
    """Caption (row 1), header (row 2) and rows of ``columns`` of ``df``; returns (sheet, last row)."""
    ws = wb.create_sheet(name)
    columns = [c for c in columns if not _empty_note(df, c[0])]
    last = fmt.write_table(ws, df, columns, row=2, note=note)
    if hidden:  # no print setup: LibreOffice prints a hidden sheet that has a print area
        ws.freeze_panes, ws.sheet_state = "A3", "hidden"
        fmt.fit_widths(ws, header_row=2)
    else:
        fmt.finish_sheet(ws, len(columns), last, header_row=2, portrait=portrait)
    fmt.caption(ws, caption, len(columns))
    names = [c[0] for c in columns]
    if scale in names and not df.empty:
        fmt.colour_scale(ws, names.index(scale) + 1, 3, last)
    return ws, last


def comparison_sheet(wb: Workbook, name: str, df: pd.DataFrame, a: str, b: str,
                     level: float, caption: str, codes: tuple[str, str] | None = None) -> Worksheet:
    """The A vs B table (``a``, ``b``: labels; ``codes``: the targets' codes, which name the
    score columns): each mark beside the interval it agrees with."""
    alpha = 1 - level
    p = pd.to_numeric(df.get("p_value", pd.Series(dtype=float)), errors="coerce")
    unadj = (p < alpha).to_numpy() if not df.empty else []
    holm = [_truthy(s) for s in df.get("significant", pd.Series(False, index=df.index))]
    shown = df.assign(mark=["*" if s else "" for s in unadj],
                      mark_holm=["*" if s else "" for s in holm]) if not df.empty else df
    columns = cols.comparison(a, b, codes)
    ws, last = table_sheet(wb, name, shown, columns, caption)
    j = [c[0] for c in columns].index("difference") + 1
    fmt.style_rows(ws, [r for r, s in enumerate(holm, start=3) if s], j, j, font=fmt.BOLD)
    for key in ("mark", "mark_holm"):
        k = [c[0] for c in columns].index(key) + 1
        for r in range(2, last + 1):
            ws.cell(r, k).alignment = Alignment(horizontal="center", vertical="bottom",
                                                wrap_text=r == 2)
    return ws


def differences_sheet(wb: Workbook, name: str, comparison: pd.DataFrame, labels: Labels,
                      a: str, b: str, caption: str) -> Worksheet:
    """Countries x measures of the difference A - B, one block per audience; * = Holm."""
    ws = wb.create_sheet(name)
    r = 2
    if comparison.empty:
        fmt.put(ws, r, 1, "no comparison").font = fmt.NOTE
        fmt.finish_sheet(ws, 2, r, header_row=2, filter_table=False)
        fmt.caption(ws, caption, 2)
        return ws
    measures = list(dict.fromkeys(comparison["measure"].astype(str)))
    measures = [m for m in measures if m != "composite"] + ["composite"] * ("composite" in measures)
    ncols = 2 + len(measures)
    blocks = []
    for aud, rows in comparison.groupby("audience", sort=False):
        blocks.append(r)
        fmt.put(ws, r, 1, f"{a} \u2212 {b}, {labels.audience(aud)}").font = fmt.BOLD
        heads = ["Country", "ISO", *[labels.dimension(m) for m in measures]]
        for j, h in enumerate(heads, start=1):
            c = fmt.put(ws, r + 1, j, h)
            c.font, c.alignment = fmt.BOLD, Alignment(horizontal="left" if j < 3 else "right",
                                                      wrap_text=True)
        r += 2
        for country, g in rows.groupby("country", sort=False):
            fmt.put(ws, r, 1, labels.country(country))
            fmt.put(ws, r, 2, country)
            by = g.set_index(g["measure"].astype(str))
            for j, m in enumerate(measures, start=3):
                if m in by.index and pd.notna(by.at[m, "difference"]):
                    sig = _truthy(by.at[m, "significant"])
                    c = fmt.put(ws, r, j, float(by.at[m, "difference"]))
                    c.number_format = _DIFF_SIG if sig else _DIFF
                    if sig:
                        c.font = fmt.BOLD
            r += 1
        r += 1
    fmt.fit_widths(ws, header_row=3)
    for j in range(3, ncols + 1):
        ws.column_dimensions[get_column_letter(j)].width = 13
    fmt.print_setup(ws, f"A1:{get_column_letter(ncols)}{r - 2}", title_rows="1:1")
    fmt.caption(ws, caption, ncols)
    return ws


def items_sheet(wb: Workbook, name: str, items: pd.DataFrame, labels: Labels,
                caption: str) -> Worksheet:
    """Item means, one row per item wording (target filled in), one column per country."""
    ws = wb.create_sheet(name)
    if items.empty:
        fmt.put(ws, 2, 1, "no item estimates").font = fmt.NOTE
        fmt.finish_sheet(ws, 2, 2, header_row=2, filter_table=False)
        fmt.caption(ws, caption, 2)
        return ws
    if "mean" not in items.columns:
        raise ReportError("the items table needs a column 'mean' (each item's weighted mean on "
                          "its response scale; called 'estimate' up to surveyindex 0.1.0, see "
                          f"CHANGELOG.md); it has {list(items.columns)}")
    countries = list(dict.fromkeys(items["country"].astype(str)))
    ncols = 2 + len(countries)
    r = 2
    heads = ["Dimension", "Item", *[labels.country(c) for c in countries]]
    for aud, rows in items.groupby("audience", sort=False):
        # One block per audience; the wording names the target, so targets share the block.
        fmt.put(ws, r, 1, f"{labels.audience(aud)}: weighted mean on the item's "
                          "scale").font = Font(name=fmt.FONT, bold=True, size=12)
        for j, h in enumerate(heads, start=1):
            c = fmt.put(ws, r + 1, j, h)
            c.font = fmt.BOLD
            c.alignment = Alignment(horizontal="left" if j < 3 else "right", wrap_text=True,
                                    vertical="bottom")
        ws.row_dimensions[r + 1].height = 30
        r += 2
        for target, g in rows.groupby("target", sort=False):
            wide = g.pivot_table(index=["dimension", "item"], columns="country",
                                 values="mean", sort=False)
            for (dim, item), values in wide.iterrows():
                fmt.put(ws, r, 1, labels.dimension(dim))
                c = fmt.put(ws, r, 2, labels.item(item, target))
                c.alignment = Alignment(wrap_text=True, vertical="top")
                for j, country in enumerate(countries, start=3):
                    c = fmt.put(ws, r, j, values.get(country), fmt.RAW)
                    c.alignment = Alignment(vertical="top")  # level with the wording's first line
                r += 1
        r += 1
    # The wording takes the width the country columns leave on a landscape page (at least 50).
    wording = max(50, min(80, 110 - 13 - 10 * len(countries)))
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 13, wording
    for j in range(3, ncols + 1):
        # Wide enough for a country name's longest word in bold ("Argentina", "Indonesia").
        ws.column_dimensions[get_column_letter(j)].width = max(
            9, 1.2 * max(len(w) for w in str(ws.cell(3, j).value or "").split() or [""]) + 1)
    fmt.wrap_rows(ws, 2, 4, r - 1, wording * 1.1)
    ws.freeze_panes = "C2"
    fmt.print_setup(ws, f"A1:{get_column_letter(ncols)}{r - 2}", title_rows="1:1",
                    portrait=None)
    fmt.caption(ws, caption, ncols)
    return ws


def profile_sheet(wb: Workbook, name: str, profile: pd.DataFrame, dimensions: pd.DataFrame,
                  labels: Labels, caption: str) -> Worksheet:
    """The profile table (mean of countries), then per target a country x dimension table."""
    ws, last = table_sheet(wb, name, profile, cols.PROFILE, caption)
    r = last + 3
    titles = []
    rows = dimensions[dimensions["audience"].astype(str) == "all"] if not dimensions.empty \
        else dimensions
    for target in dict.fromkeys(rows.get("target", pd.Series(dtype=str)).astype(str)):
        g = rows[rows["target"].astype(str) == target]
        wide = g.pivot_table(index="country", columns="dimension", values="score",
                             sort=False).reset_index()
        wide.insert(0, "country_label", wide["country"].map(labels.country))
        titles.append((r, f"{labels.target(target)}: score by country and dimension "
                          f"({labels.audience('all')})"))
        spec = [*cols.COUNTRY] + [(d, labels.dimension(d), fmt.SCORE) for d in wide.columns[2:]]
        end = fmt.write_table(ws, wide, spec, row=r + 1)
        for j in range(3, len(spec) + 1):
            fmt.colour_scale(ws, j, r + 2, end)
        r = end + 3
    fmt.fit_widths(ws, header_row=2)
    for row, text in titles:
        fmt.put(ws, row, 1, text).font = fmt.BOLD
    width = max(len(cols.PROFILE), 2 + rows["dimension"].nunique() if not rows.empty else 0)
    fmt.print_setup(ws, f"A1:{get_column_letter(width)}{max(r - 3, last)}", title_rows="1:1",
                    portrait=None)
    return ws


def bases_sheet(wb: Workbook, name: str, bases: pd.DataFrame, rule_text: str) -> Worksheet:
    shown = bases.assign(small=bases["small"].map({True: "yes", False: ""}),
                         suppressed=bases["suppressed"].map({True: "yes", False: ""})) \
        if not bases.empty else bases
    ws, last = table_sheet(wb, name, shown, cols.BASES,
                           "Unweighted and effective (Kish) base of every country x target x "
                           f"audience cell, the smallest over its dimensions. Rule: {rule_text}.")
    if not bases.empty:
        fmt.style_rows(ws, [r for r, f in enumerate(bases["small"], start=3) if f], 1,
                       len(cols.BASES), fill=fmt.HIGHLIGHT)
    return ws


def exclusions_sheet(wb: Workbook, name: str, ledger: pd.DataFrame,
                     excluded: pd.DataFrame) -> Worksheet:
    """The ledger and the excluded rows side by side, sharing the one frozen header row."""
    ws = wb.create_sheet(name)
    fmt.write_table(ws, ledger, cols.LEDGER, row=2)
    start = len(cols.LEDGER) + 2
    last = fmt.write_table(ws, excluded, cols.EXCLUDED, col=start, row=2,
                           note="no rows excluded")
    ncols = start + len(cols.EXCLUDED) - 1
    fmt.finish_sheet(ws, ncols, max(last, len(ledger) + 2), header_row=2, filter_table=False)
    if not excluded.empty:
        first, end = ws.cell(2, start).coordinate, ws.cell(last, ncols).coordinate
        ws.auto_filter.ref = f"{first}:{end}"
    fmt.caption(ws, "Every row read is counted: kept, or excluded with its reason (left); each "
                    "excluded row with its row and line in the file (right).", ncols)
    return ws


def methodology_sheet(wb: Workbook, name: str, notes: dict[str, str]) -> Worksheet:
    rows = pd.DataFrame(list(notes.items()), columns=["key", "value"])
    ws, last = table_sheet(wb, name, rows, [("key", "Setting", None), ("value", "Value", None)],
                           "What was run, with which files (folder and SHA-256 hash), settings "
                           "and software versions.", portrait=True)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 24, 90
    if notes:
        fmt.style_rows(ws, range(3, last + 1), 1, 1, font=fmt.BOLD)
        fmt.wrap_rows(ws, 2, 3, last, 90)
    ws.auto_filter.ref = None
    return ws


def _empty_note(df: pd.DataFrame, column: str) -> bool:
    """A notes column (base notes, flags, comparability when invariance was not tested) with
    nothing in it: left out, not printed blank."""
    if column not in ("base_note", "flag", "comparability", "comparability_note") or df.empty:
        return False
    return column not in df or not df[column].map(_truthy).any()


def _truthy(v) -> bool:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return False
    return bool(v.strip()) if isinstance(v, str) else bool(v)


def wide_sheet(wb: Workbook, name: str, df: pd.DataFrame, keys, across: str, values,
               labels: Labels, caption: str, highlight=None) -> Worksheet:
    """One row per ``keys`` (label columns), for each value of ``across`` a group of ``values``
    columns under its label; header in rows 2 (group) and 3 (value), repeated on every page.

    ``keys`` and ``values`` are column specs (see :mod:`.columns`); ``highlight`` is a boolean
    column of ``df`` marking the cells (their group) to highlight.
    """
    ws = wb.create_sheet(name)
    if df.empty:
        fmt.put(ws, 3, 1, "no rows").font = fmt.NOTE
        fmt.finish_sheet(ws, 2, 3, header_row=3, filter_table=False)
        fmt.caption(ws, caption, 2)
        return ws
    groups = list(dict.fromkeys(df[across].astype(str)))
    key_cols = [k[0] for k in keys]
    codes = [c[:-len("_label")] if c.endswith("_label") else c for c in key_cols]
    codes = list(dict.fromkeys(codes))
    d = df.assign(**{across: df[across].astype(str)})
    rows = d.drop_duplicates(codes)[list(dict.fromkeys([*codes, *key_cols]))]
    by = {tuple(rec[c] for c in [*codes, across]): rec for rec in d.to_dict("records")}
    for j, (_, head, _f) in enumerate(keys, start=1):
        c = fmt.put(ws, 3, j, head)
        c.font, c.fill, c.border = fmt.BOLD, fmt.HEADER_FILL, fmt.HEADER_BORDER
    width = len(values)
    for g, group in enumerate(groups):
        first = len(keys) + 1 + g * width
        c = fmt.put(ws, 2, first, labels.dimension(group))
        c.font, c.alignment = fmt.BOLD, Alignment(horizontal="center")
        c.fill = fmt.HEADER_FILL
        if width > 1:
            ws.merge_cells(start_row=2, start_column=first, end_row=2,
                           end_column=first + width - 1)
        for k, (_, head, _f) in enumerate(values):
            c = fmt.put(ws, 3, first + k, head)
            c.font, c.fill, c.border = fmt.BOLD, fmt.HEADER_FILL, fmt.HEADER_BORDER
            c.alignment = Alignment(horizontal="right", wrap_text=True)
    r = 4
    for row in rows.itertuples(index=False):
        rec = dict(zip(rows.columns, row))
        for j, (col, _, f) in enumerate(keys, start=1):
            fmt.put(ws, r, j, rec.get(col), f)
        for g, group in enumerate(groups):
            cell = by.get((*[rec[c] for c in codes], group))
            if cell is None:
                continue
            first = len(keys) + 1 + g * width
            for k, (col, _, f) in enumerate(values):
                c = fmt.put(ws, r, first + k, cell.get(col), f)
                if f is None and k:  # text after a right-aligned number would touch it
                    c.alignment = Alignment(horizontal="left", indent=1)
                if highlight and _truthy(cell.get(highlight)):
                    c.fill = fmt.HIGHLIGHT
        r += 1
    ncols = len(keys) + width * len(groups)
    fmt.finish_sheet(ws, ncols, r - 1, header_row=3)
    ws.freeze_panes = ws.cell(4, len(keys) + 1)
    first_value = values[0][0]
    if first_value == "score":
        for g in range(len(groups)):
            fmt.colour_scale(ws, len(keys) + 1 + g * width, 4, r - 1)
    fmt.caption(ws, caption, ncols)
    return ws
