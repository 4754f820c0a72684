"""The tracker's sheets: Trend (scores by wave and their changes), Changes, Improved and
Comparability; and a tracker workbook built around the latest wave's index sheets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from ..errors import EstimationError
from . import _format as fmt

_CHANGES = [("wave_from", "From", None), ("wave_to", "To", None), ("country", "Country", None),
            ("target", "Target", None), ("audience", "Audience", None), ("level", "Level", None),
            ("measure", "Measure", None), ("estimate_from", "Score from", fmt.SCORE),
            ("estimate_to", "Score to", fmt.SCORE), ("change", "Change", fmt.SCORE),
            ("se", "SE", fmt.SE), ("ci_low", "CI low", fmt.SCORE),
            ("ci_high", "CI high", fmt.SCORE), ("p_holm", "p (Holm)", fmt.P_VALUE),
            ("significant", "Significant", None), ("se_independent", "SE if independent", fmt.SE),
            ("n_panel", "Panel n", fmt.COUNT)]
_IMPROVED = [("wave_from", "From", None), ("wave_to", "To", None), ("target", "Target", None),
             ("audience", "Audience", None), ("level", "Level", None), ("measure", "Measure", None),
             ("n_countries", "Countries", fmt.COUNT), ("improved", "Rose in", fmt.COUNT),
             ("improved_ci_low", "Rose: low", fmt.COUNT),
             ("improved_ci_high", "Rose: high", fmt.COUNT),
             ("improved_significant", "Rose significantly", fmt.COUNT),
             ("declined", "Fell in", fmt.COUNT), ("declined_ci_low", "Fell: low", fmt.COUNT),
             ("declined_ci_high", "Fell: high", fmt.COUNT),
             ("declined_significant", "Fell significantly", fmt.COUNT)]
_COMPARABILITY = [("wave_from", "From", None), ("wave_to", "To", None), ("item", "Item", None),
                  ("dimension", "Dimension", None), ("in_from", "In first wave", None),
                  ("in_to", "In second wave", None),
                  ("declared_comparable", "Declared comparable", None),
                  ("used", "Used in changes", None)]


def tracker_tables(tracker) -> dict:
    """The tables the tracker sheets show, from a :class:`~surveyindex.index.waves.Tracker`."""
    trend = []
    for measure in [*tracker.settings["dimensions"], "composite"]:
        for aud in tracker.settings["audiences"]:
            try:
                trend.append(tracker.trend(measure, aud).assign(audience=aud, measure=measure))
            except EstimationError:   # a dimension dropped in some wave: no trend row
                continue
    return {"trend": pd.concat(trend, ignore_index=True) if trend else pd.DataFrame(),
            "waves": list(tracker.waves), "changes": tracker.changes[
                tracker.changes["level"] != "item"], "improved": tracker.improved,
            "comparability": tracker.comparability, "items": tracker.settings["items"]}


def add_trend_sheets(wb: Workbook, tables: dict, level: float = 0.95) -> dict[str, str]:
    """Write the Trend, Changes, Improved and Comparability sheets; returns {sheet: guide}."""
    if not tables:
        return {}
    pct = f"{level:.0%}"
    waves = tables["waves"]
    trend = tables["trend"]
    extra = [c for c in trend.columns if c.startswith(("change ", "se ", "significant "))]
    cols = [("country", "Country", None), ("target", "Target", None),
            ("audience", "Audience", None), ("measure", "Measure", None),
            *[(w, str(w), fmt.SCORE) for w in waves],
            *[(c, c, fmt.SE if c.startswith("se ") else None if c.startswith("sig")
               else fmt.SCORE) for c in extra]]
    common = ("on the items comparable in both waves" if tables["items"] == "common"
              else "on each wave's own items")
    _sheet(wb, "Trend", trend, cols, f"Score (0-100) in each wave and the change between waves "
           f"{common}; SE of the change from the two waves' replicate variances added (minus "
           "twice the covariance of respondents in both waves, for a panel); significant = "
           f"{pct} level after Holm's adjustment across countries.")
    _sheet(wb, "Changes", tables["changes"], _CHANGES, f"Change between waves per country, "
           f"target, audience and measure, with SE, {pct} CI and Holm-adjusted p-value.")
    _sheet(wb, "Improved", tables["improved"], _IMPROVED,
           f"In how many countries each measure rose or fell, with the {pct} interval of the "
           "count (each country's change normal with its SE, countries independent) and how "
           "many changes are significant.")
    _sheet(wb, "Comparability", tables["comparability"], _COMPARABILITY,
           "Items in each wave's instrument version and whether each is used in the changes.")
    return {"Trend": "scores by wave and the change between waves",
            "Changes": "every change with its SE, interval and p-value",
            "Improved": "in how many countries each measure rose or fell",
            "Comparability": "which items each wave asked and which the changes use"}


def write_tracker_report(tracker, path: str | Path) -> Path:
    """The latest wave's index workbook plus the tracker sheets, written atomically.

    >>> import surveyindex as si                                  # doctest: +SKIP
    >>> si.write_tracker_report(tracker, "reports/tracker.xlsx")  # doctest: +SKIP
    """
    from .workbook import ReportTables, write_workbook

    last = tracker.results[tracker.waves[-1]]
    empty = pd.DataFrame()
    notes = {"Waves": ", ".join(map(str, tracker.waves)),
             "Instrument versions": ", ".join(f"{w}: {v}" for w, v in
                                              tracker.settings["instrument_versions"].items()),
             "Changes": "difference of the wave scores; SE = sqrt(V1 + V2 - 2 C), V the replicate "
                        "variance of each wave, C the covariance of panel respondents (0 for "
                        "independent samples)"}
    tables = ReportTables(f"Tracker, waves {tracker.waves[0]}-{tracker.waves[-1]}",
                          last.composite, last.dimensions, last.comparison, last.leads,
                          last.items, empty, empty, empty, empty, methodology=notes,
                          level=float(tracker.settings["level"]),
                          index_settings=dict(last.settings), trend=tracker_tables(tracker),
                          favourability=getattr(last, "favourability", empty))
    return write_workbook(tables, path)


def _sheet(wb, name, df, columns, caption):
    ws = wb.create_sheet(name)
    last = fmt.write_table(ws, df, columns, row=2)
    fmt.finish_sheet(ws, len(columns), last, header_row=2)
    ws.print_title_rows = "1:2"
    fmt.caption(ws, caption, len(columns))
    return ws
