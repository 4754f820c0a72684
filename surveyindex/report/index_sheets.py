"""The index engine's extra tables as workbook sheets: Ranks, Pooled, Weights, Sensitivity.

Each table is written as it is (tidy: one row per unit, the index result's own columns), under a
one-line caption saying what the numbers are, with the same number formats, frozen header,
filter, widths and formula-safe cells as the other sheets. A sheet is written only when its table
was given: a report built without the index engine's tables keeps its usual sheets, and the two
sensitivity sheets appear only when the sensitivity analysis was run (an empty sheet saying "not
run" would be one more tab to open for nothing; the Methodology sheet says it was not run).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from . import _format as fmt
from .bases import suppress

if TYPE_CHECKING:  # pragma: no cover
    from .workbook import ReportTables

_WEIGHT = "0.000"
_SHARE = "0%"
_INDEX2 = "0.00"
_CELL = [("country_label", "Country", None), ("country", "ISO", None),
         ("target_label", "Target", None), ("audience_label", "Audience", None)]
_RANKS = [*_CELL, ("among", "Ranked among", None), ("score", "Score", fmt.SCORE),
          # A median of an even number of replicate ranks may end in .5: shown as it is.
          ("rank", "Rank", fmt.GENERAL), ("rank_median", "Median rank", fmt.GENERAL),
          ("rank_low", "Rank from", fmt.GENERAL), ("rank_high", "Rank to", fmt.GENERAL),
          ("p_first", "Share ranked first", _SHARE)]
_POOLED = [("target_label", "Target", None), ("audience_label", "Audience", None),
           ("measure_label", "Measure", None), ("score", "Score", fmt.SCORE), ("se", "SE", fmt.SE),
           ("ci_low", "CI low", fmt.SCORE), ("ci_high", "CI high", fmt.SCORE),
           ("n", "n", fmt.COUNT), ("n_eff", "Effective n", fmt.COUNT),
           ("n_countries", "Countries", fmt.COUNT), ("pooling", "Pooling", None),
           ("country_weights", "Country weights", None)]
_WEIGHTS = [("audience_label", "Audience", None), ("dimension_label", "Dimension", None),
            ("method", "Method", None), ("weight", "Weight", _WEIGHT), ("se", "SE", _WEIGHT),
            ("ci_low", "CI low", _WEIGHT), ("ci_high", "CI high", _WEIGHT),
            ("derivation", "How derived", None)]
_SENSITIVITY = [*_CELL, ("rank", "Rank (method used)", fmt.GENERAL),
                ("rank_median", "Median rank", fmt.GENERAL), ("rank_low", "Rank from", fmt.GENERAL),
                ("rank_high", "Rank to", fmt.GENERAL)]
# With sampling (compute_index(sensitivity_sampling=True)): each variance and its three parts.
_SENSITIVITY_SPLIT = [("score", "Score (method used)", fmt.SCORE)] + [
    (f"{out}_var{part}", f"{label} variance{title}", _INDEX2)
    for out, label in (("score", "Score"), ("rank", "Rank"))
    for part, title in (("", ""), ("_method", ": method"), ("_sampling", ": sampling"),
                        ("_interaction", ": interaction"))]
_SENSITIVITY_INDICES = [("audience_label", "Audience", None), ("output", "Output", None),
                        ("country_label", "Country", None), ("country", "ISO", None),
                        ("target_label", "Target", None),
                        ("factor", "Choice varied", None),
                        ("first_order", "First-order index", _INDEX2),
                        ("total", "Total index", _INDEX2)]
#: Sheet name -> the line describing it in the Summary's list of sheets.
GUIDE = {
    "Ranks": "rank distribution of each composite: median rank, rank interval, share ranked first",
    "Pooled": "dimension and composite scores pooled across the surveyed countries, with CI",
    "Weights": "the dimension weights of the composite, how they were derived, with SE and CI",
    "Sensitivity": "each rank over alternative methodological choices (Monte Carlo)",
    "Sensitivity indices": "how much of each rank's variation each methodological choice explains",
}
#: Names the comparison sheet must not take.
SHEET_NAMES = {name.lower() for name in GUIDE}
#: Rank columns blanked, beside the usual estimates, in a cell whose base is suppressed.
_RANK_ESTIMATES = ["score", "rank", "rank_median", "rank_low", "rank_high", "p_first",
                   "first_order", "total"] + [c for c, _, _ in _SENSITIVITY_SPLIT[1:]]


def add_index_sheets(wb: Workbook, t: ReportTables, bases: pd.DataFrame) -> dict[str, str]:
    """Write the sheets of the index tables ``t`` holds; returns {sheet: guide line} written."""
    level, reps = level_text(t.level), replicates_text(t.index_settings)
    L = t.labels.add
    written: dict[str, str] = {}
    if not t.ranks.empty:
        caption = (f"Rank of each composite score: of a country among the surveyed countries "
                   f"(per target and audience), of a target within a country, and of the pooled "
                   f"figures; rank 1 = highest score. Median rank and {level} rank interval "
                   f"(rank from-to, order statistics: whole ranks) from {reps}; share ranked first = "
                   "share of replicates in "
                   "which it ranks first.")
        _sheet(wb, "Ranks", L(_blank_suppressed(t.ranks, bases)), _RANKS, caption)
        written["Ranks"] = GUIDE["Ranks"]
    if not t.pooled.empty:
        _sheet(wb, "Pooled", L(t.pooled), _POOLED, f"{pooling_sentence(t.pooled)} SE and {level} "
               f"CI from {reps}, the pooled figure recomputed on each. Measure composite = the "
               "index; the others are its dimensions (0-100). n: the pooled countries' "
               "respondents; effective n: Kish's, of the weights they carry in the pooled figure "
               "(survey weight scaled to the country's pooling weight).")
        written["Pooled"] = GUIDE["Pooled"]
    if not t.weights.empty:
        ws, last = _sheet(wb, "Weights", L(t.weights), _WEIGHTS,
                          "Dimension weights of the composite (summing to 1) per audience. "
                          f"Data-derived weights (pca, factor, driver) are re-derived in each of the "
                          f"{reps}, giving their SE and {level} CI; fixed weights (equal, user) "
                          "have SE 0.")
        fmt.wrap_rows(ws, len(_WEIGHTS), 3, last, 60)
        written["Weights"] = GUIDE["Weights"]
    if not t.sensitivity.empty:
        factors = _factors(t.sensitivity_indices)
        split = "score_var" in t.sensitivity.columns
        _sheet(wb, "Sensitivity", L(_blank_suppressed(t.sensitivity, bases)),
               _SENSITIVITY + (_SENSITIVITY_SPLIT if split else []),
               "Rank of each country among the surveyed countries (per target and audience; "
               "rank 1 = highest) with the method used, and its median and "
               f"{level} interval over a Monte Carlo of alternative methodological choices"
               f"{f' ({factors})' if factors else ''}"
               + (", each evaluated on every replicate weight column, so the interval reflects "
                  "method and sample together; the variance of the score and of the rank is split "
                  "into method (over choices, full sample), sampling (replicate variance of the "
                  "choice-averaged estimate) and their interaction." if split else "."))
        written["Sensitivity"] = GUIDE["Sensitivity"]
    if not t.sensitivity_indices.empty:
        _sheet(wb, "Sensitivity indices", L(_blank_suppressed(t.sensitivity_indices, bases)),
               _SENSITIVITY_INDICES,
               "Share of the variance of each output explained by each choice varied: first-order "
               "index (that choice alone; Saltelli 2010) and total index (with its interactions; "
               "Jansen). Output rank = the unit's rank among countries; mean_rank_shift = the mean "
               "absolute rank change from the method used. Blank: the output never changes.")
        written["Sensitivity indices"] = GUIDE["Sensitivity indices"]
    return written


def methodology_notes(t: ReportTables) -> dict[str, str]:
    """Methodology lines for the weight derivation, the pooling rule and the sensitivity analysis.

    Only for the tables given, so a report without the index engine's tables gains none.

    >>> import pandas as pd
    >>> from surveyindex.report import ReportTables
    >>> w = pd.DataFrame({"audience": ["all", "all"], "dimension": ["a", "b"],
    ...                   "method": "pca", "weight": [0.6, 0.4], "derivation": "first component"})
    >>> t = ReportTables("T", *[pd.DataFrame()] * 9, methodology={}, weights=w)
    >>> methodology_notes(t)["Weight derivation"]
    'pca: first component. Data-derived weights (pca, factor, driver) are re-derived in every replicate, so they have an SE; fixed weights (equal: each dimension the same; user: given in the instrument or by the user) have none. See the Weights sheet.'
    """
    notes: dict[str, str] = {}
    w = t.weights
    if not w.empty and {"method", "derivation"} <= set(w.columns):
        cols = ["audience", "method", "derivation"] if "audience" in w.columns \
            else ["method", "derivation"]
        rows = w[cols].drop_duplicates()
        if rows[["method", "derivation"]].drop_duplicates().shape[0] == 1:
            text = f"{rows['method'].iloc[0]}: {rows['derivation'].iloc[0]}"
        else:
            text = "; ".join(f"audience {r.audience}: {r.method}: {r.derivation}"
                             for r in rows.itertuples())
        notes["Weight derivation"] = (
            f"{text}. Data-derived weights (pca, factor, driver) are re-derived in every replicate, so "
            "they have an SE; fixed weights (equal: each dimension the same; user: given in the "
            "instrument or by the user) have none. See the Weights sheet.")
    if not t.pooled.empty:
        notes["Pooling"] = (f"{pooling_sentence(t.pooled)} Recomputed on every replicate for its "
                            "interval. See the Pooled sheet.")
    if not t.sensitivity.empty or not t.sensitivity_indices.empty:
        factors = _factors(t.sensitivity_indices)
        notes["Sensitivity analysis"] = (
            "Monte Carlo over the methodological choices"
            f"{f' ({factors})' if factors else ''}, each drawn uniformly and independently "
            "(OECD/JRC Handbook 2008, section 7); output: each unit's rank among countries; "
            "first-order (Saltelli) and total (Jansen) variance-based indices"
            + ("; each choice evaluated on every replicate weight column, so ranks reflect "
               "method and sample together, with the variance of each score and rank split "
               "into method, sampling and interaction parts and sampling as one more factor"
               if "score_var" in t.sensitivity.columns else "")
            + ". See the Sensitivity and Sensitivity indices sheets.")
    elif not t.ranks.empty:
        notes["Sensitivity analysis"] = (
            "not run (compute_index(..., sensitivity=n), or index: {sensitivity: n} in the "
            "project file, adds it)")
    return notes


def with_methodology(notes: dict[str, str], t: ReportTables) -> dict[str, str]:
    """``notes`` with :func:`methodology_notes` placed after the aggregation (or weights) line.

    >>> from surveyindex.report import ReportTables
    >>> t = ReportTables("T", *[pd.DataFrame()] * 9, methodology={},
    ...                  pooled=pd.DataFrame({"pooling": ["mean"], "n_countries": [13]}))
    >>> list(with_methodology({"Weights": "w", "Aggregation": "a", "Software": "s"}, t))
    ['Weights', 'Aggregation', 'Pooling', 'Software']
    """
    extra = methodology_notes(t)
    anchor = next((k for k in ("Aggregation", "Dimension weights") if k in notes), None)
    if anchor is None:
        return {**notes, **extra}
    out: dict[str, str] = {}
    for key, text in notes.items():
        out[key] = text
        if key == anchor:
            out.update(extra)
    return out


def pooling_sentence(pooled: pd.DataFrame) -> str:
    """How the pooled figures were formed, from the table's ``pooling``, ``country_weights`` and
    ``n_countries`` columns.

    >>> pooling_sentence(pd.DataFrame({"pooling": ["median"], "country_weights": ["population"],
    ...                                "n_countries": [13]}))
    'Pooled across the surveyed countries (13): weighted median of the country scores, countries weighted by population.'
    """
    how = _one(pooled, "pooling") or "mean"
    weights = _one(pooled, "country_weights") or "equal"
    n = pd.to_numeric(pooled.get("n_countries", pd.Series(dtype=float)), errors="coerce").dropna()
    count = "" if n.empty else (f" ({int(n.max())})" if n.min() == n.max()
                                else f" ({int(n.min())}-{int(n.max())} by audience)")
    statistic = f"{'' if weights == 'equal' else 'weighted '}{how}"
    each = "each country counted equally" if weights == "equal" \
        else f"countries weighted by {weights}"
    return (f"Pooled across the surveyed countries{count}: {statistic} of the country scores, "
            f"{each}.")


# -- helpers ------------------------------------------------------------------------------------

def _sheet(wb: Workbook, name: str, df: pd.DataFrame, columns, caption: str
           ) -> tuple[Worksheet, int]:
    """A caption row, then the table with its header in row 2; returns the sheet and last row."""
    ws = wb.create_sheet(name)
    last = fmt.write_table(ws, df, columns, row=2)
    # Caption and header both stay in view and print on every page.
    fmt.finish_sheet(ws, len(columns), last, header_row=2)
    fmt.caption(ws, caption, len(columns))
    return ws, last


def _blank_suppressed(table: pd.DataFrame, bases: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the rank estimates of suppressed cells blanked, as other sheets blank theirs.

    :func:`surveyindex.report.bases.suppress` decides which rows are hit (a marker column it
    blanks); all the rank columns of those rows are blanked here.
    """
    keys = [k for k in ("country", "target", "audience") if k in table.columns]
    if table.empty or bases.empty or not keys:
        return table
    marker = suppress(table[keys].assign(score=1.0), bases)["score"].isna().to_numpy()
    if not marker.any():
        return table
    out = table.copy()
    for c in (c for c in _RANK_ESTIMATES if c in out.columns):
        out[c] = out[c].astype(float)
        out.loc[marker, c] = np.nan
    return out


def _factors(indices: pd.DataFrame) -> str:
    if indices.empty or "factor" not in indices.columns:
        return ""
    return ", ".join(f for f in dict.fromkeys(indices["factor"].astype(str)) if f != "sampling")


def _one(df: pd.DataFrame, column: str) -> str:
    values = list(dict.fromkeys(df[column].dropna().astype(str))) if column in df.columns else []
    return " / ".join(values)


def level_text(level: float) -> str:
    """A confidence level as readers write it.

    >>> level_text(0.95), level_text(0.975)
    ('95%', '97.5%')
    """
    return f"{level:.0%}" if round(level * 100, 6).is_integer() else f"{level:.1%}"


def replicates_text(settings: dict) -> str:
    """The replicates, named for a caption.

    >>> replicates_text({"replicates": 200, "replicate_type": "bootstrap"})
    '200 bootstrap replicates'
    """
    n, kind = settings.get("replicates"), settings.get("replicate_type")
    if not n:
        return "the replicates"
    return f"{n} {kind} replicates" if kind else f"{n} replicates"
