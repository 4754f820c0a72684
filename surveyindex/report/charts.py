"""Native workbook charts: composite by country, the A - B forest chart, the dimension profile.

A chart plots cells, not values, so every chart's numbers are written as a block on one hidden
sheet ("Chart data", :class:`ChartData`), never beside a table a reader prints. Colours are the
Okabe-Ito palette, distinguishable with the common colour-vision deficiencies; intervals are error
bars whose lengths are cells of the data block.
"""

from __future__ import annotations

import pandas as pd
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.axis import ChartLines
from openpyxl.chart.data_source import NumDataSource, NumRef
from openpyxl.chart.error_bar import ErrorBars
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.drawing.line import LineProperties
from openpyxl.worksheet.worksheet import Worksheet

from . import _format as fmt

#: Okabe & Ito (2008) colour-blind-safe palette, in the order series take it.
PALETTE = ["0072B2", "E69F00", "009E73", "CC79A7", "56B4E9", "D55E00", "F0E442", "000000"]
#: Not significant: grey, so the significant differences carry the colour.
GREY = "A6A6A6"
CHART_WIDTH, CHART_HEIGHT = 25.0, 15.0  # cm: at most one landscape A4 page each
_PROFILE_HEIGHT = 11.0


class ChartData:
    """Places chart source blocks side by side on the (hidden) data sheet ``ws``.

    >>> from openpyxl import Workbook
    >>> cd = ChartData(Workbook().active)
    >>> cd.block("Composite, All adults", ["Country", "Score"], [["Brazil", 61.2]])
    (1, 2)
    >>> cd.next_col
    4
    """

    def __init__(self, ws: Worksheet) -> None:
        self.ws, self.next_col = ws, 1

    def block(self, title: str, headers: list[str], rows: list[list]) -> tuple[int, int]:
        """Write a titled block; returns (first column, header row). Data start a row below."""
        col = self.next_col
        fmt.put(self.ws, 1, col, title).font = fmt.BOLD
        for j, h in enumerate(headers):
            fmt.put(self.ws, 2, col + j, h).font = fmt.BOLD
        for i, row in enumerate(rows, start=3):
            for j, v in enumerate(row):
                fmt.put(self.ws, i, col + j, v, fmt.SCORE)
        self.next_col = col + len(headers) + 1
        return col, 2


def composite_chart(data: ChartData, composite: pd.DataFrame, title: str, axis: str):
    """Horizontal bars of the composite per country, a series per target, CI as error bars.

    ``composite`` is one audience's rows with label columns (:meth:`.Labels.add`). Countries are
    sorted by the first target's score, highest at the top. None when nothing to plot.
    """
    df = composite.dropna(subset=["score"])
    if df.empty:
        return None
    targets = list(dict.fromkeys(df["target_label"]))
    wide = df.pivot_table(index="country_label", columns="target_label",
                          values=["score", "ci_low", "ci_high"], sort=False)
    order = wide[("score", targets[0])].sort_values(ascending=False, kind="stable").index
    wide = wide.loc[order]
    headers, rows = _interval_rows(wide, targets, "Country", order)
    col, head = data.block(title, headers, rows)
    chart = _bar_chart(title, axis, len(order) * len(targets))
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 100
    for j, _ in enumerate(targets):
        _series(chart, data.ws, col + 1 + 3 * j, head, len(order), PALETTE[j % len(PALETTE)])
    chart.set_categories(Reference(data.ws, min_col=col, min_row=head + 1,
                                   max_row=head + len(order)))
    return chart


def forest_chart(data: ChartData, comparison: pd.DataFrame, title: str, axis: str,
                 significant: pd.Series):
    """Bars of the difference A - B per country with its CI; significant ones coloured.

    Two overlapping series (significant, not significant), so the legend says which is which.
    Countries sorted by the difference, largest at the top. None when nothing to plot.
    """
    df = comparison.assign(is_sig=significant.to_numpy()).dropna(subset=["difference"])
    if df.empty:
        return None
    df = df.sort_values("difference", ascending=False, kind="stable")
    k = len(df)
    rows = []
    for r in df.itertuples():
        # Each series has its own error-bar cells, blank where its bar is, so no stray whiskers.
        cell = [r.difference, r.difference - r.ci_low, r.ci_high - r.difference]
        rows.append([r.country_label, *(cell if r.is_sig else [None] * 3),
                     *([None] * 3 if r.is_sig else cell)])
    col, head = data.block(title, ["Country", "Significant", "CI below", "CI above",
                                   "Not significant", "CI below", "CI above"], rows)
    chart = _bar_chart(title, axis, k)
    chart.overlap = 100
    for j, colour in ((1, PALETTE[0]), (4, GREY)):
        _series(chart, data.ws, col + j, head, k, colour)
    chart.set_categories(Reference(data.ws, min_col=col, min_row=head + 1, max_row=head + k))
    return chart


def profile_chart(data: ChartData, profile: pd.DataFrame, title: str, axis: str):
    """Columns of each target's dimension profile (mean of countries) with CI error bars."""
    if profile.empty or profile["score"].notna().sum() == 0:
        return None
    targets = list(dict.fromkeys(profile["target_label"]))
    dims = list(dict.fromkeys(profile["dimension_label"]))
    wide = profile.pivot_table(index="dimension_label", columns="target_label",
                               values=["score", "ci_low", "ci_high"], sort=False).reindex(dims)
    headers, rows = _interval_rows(wide, targets, "Dimension", dims)
    col, head = data.block(title, headers, rows)
    chart = _bar_chart(title, axis, 0, horizontal=False)
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 100
    for j, _ in enumerate(targets):
        _series(chart, data.ws, col + 1 + 3 * j, head, len(dims), PALETTE[j % len(PALETTE)])
    chart.set_categories(Reference(data.ws, min_col=col, min_row=head + 1, max_row=head + len(dims)))
    return chart


# -- helpers ------------------------------------------------------------------------------------

def _bar_chart(title: str, axis: str, bars: int, horizontal: bool = True) -> BarChart:
    chart = BarChart()
    chart.type, chart.grouping, chart.gapWidth = ("bar" if horizontal else "col"), "clustered", 60
    chart.title, chart.y_axis.title = title, axis
    chart.y_axis.majorUnit = 10
    chart.y_axis.number_format = "0"
    chart.y_axis.majorGridlines = ChartLines()
    if horizontal:
        chart.x_axis.scaling.orientation = "maxMin"  # first category at the top, as in a table
        chart.y_axis.crosses = "max"  # keeps the value axis at the bottom once reversed
    chart.x_axis.delete = chart.y_axis.delete = False  # openpyxl 3.1 hides axes otherwise
    chart.x_axis.tickLblPos = "low"  # labels beside the axis edge, not over negative bars
    chart.legend.position = "b"
    chart.visible_cells_only = False
    # Tall enough for its bars, no taller: small charts share a printed page.
    chart.width = CHART_WIDTH
    chart.height = min(CHART_HEIGHT, max(7.0, 0.35 * bars + 4.0)) if horizontal \
        else _PROFILE_HEIGHT
    return chart


def _series(chart: BarChart, ws: Worksheet, col: int, head: int, k: int, colour: str) -> None:
    """Add column ``col`` (title in ``head``) as a series; its CI lengths in the next two."""
    chart.add_data(Reference(ws, min_col=col, min_row=head, max_row=head + k), titles_from_data=True)
    s = chart.series[-1]
    s.graphicalProperties = GraphicalProperties(solidFill=colour)
    s.graphicalProperties.line = LineProperties(solidFill=colour)
    e = col + 1
    s.errBars = _ErrorBars(errBarType="both", errValType="cust", noEndCap=False,
                           minus=_numbers(ws, e, k, head + 1), plus=_numbers(ws, e + 1, k, head + 1),
                           spPr=GraphicalProperties(ln=LineProperties(solidFill="333333")))


class _ErrorBars(ErrorBars):
    """openpyxl's error bars, children in the chart schema's order (CT_ErrBars: plus, then minus).

    openpyxl 3.1 writes ``minus`` before ``plus``; LibreOffice reads that, but Excel checks chart
    XML against the schema and may drop the chart as "unreadable content".
    """

    __attrs__, __nested__ = ErrorBars.__attrs__, ErrorBars.__nested__
    __elements__ = ("errDir", "errBarType", "errValType", "noEndCap", "plus", "minus", "val",
                    "spPr")


def _numbers(ws: Worksheet, col: int, k: int, first_row: int) -> NumDataSource:
    return NumDataSource(numRef=NumRef(f=str(Reference(ws, min_col=col, min_row=first_row,
                                                        max_row=first_row + k - 1))))


def _interval_rows(wide: pd.DataFrame, targets: list, first: str, keys) -> tuple[list, list]:
    """Chart source rows: the key, then per target its score and the error-bar lengths below
    and above (score - ci_low, ci_high - score), as the bar charts' error bars take them."""
    headers, rows = [first], [[k] for k in keys]
    for t in targets:
        s = wide[("score", t)]
        headers += [t, f"{t}: CI below", f"{t}: CI above"]
        for row, v, lo, hi in zip(rows, s, s - wide[("ci_low", t)], wide[("ci_high", t)] - s):
            row += [v, lo, hi]
    return headers, rows
