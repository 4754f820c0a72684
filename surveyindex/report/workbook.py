"""Stage 6, report: the result tables as one formatted Excel workbook a report writer can hand on.

Sheets, in order: Summary, Index, Dimensions, Profile, "<A> vs <B>", Leads, then the index engine's
Ranks, Pooled, Weights, Sensitivity and Sensitivity indices when those tables are given
(:mod:`.index_sheets`), Items, Reliability, Flags, Weighting, Bases, Exclusions, Methodology. The file is written to a temporary file beside the target and moved into
place, so an existing report is either replaced whole or left untouched.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from dataclasses import dataclass, field, fields
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import ReportError
from . import _format as fmt
from . import index_sheets, trend_sheets
from .bases import BaseRule, sample_bases, suppress
from .profile import dimension_profile

_SE3 = "0.000"
_INDEX = [("country", "Country", None), ("target", "Target", None), ("audience", "Audience", None),
          ("score", "Score", fmt.SCORE), ("se", "SE", fmt.SE), ("ci_low", "CI low", fmt.SCORE),
          ("ci_high", "CI high", fmt.SCORE), ("n", "n", fmt.COUNT),
          # Rank intervals can be replicate quantiles, so may be fractional: show them as they are.
          ("rank", "Rank", fmt.GENERAL), ("rank_low", "Rank low", fmt.GENERAL),
          ("rank_high", "Rank high", fmt.GENERAL), ("base_note", "Base", None)]
_DIMENSIONS = [("country", "Country", None), ("target", "Target", None),
               ("audience", "Audience", None), ("dimension", "Dimension", None),
               ("mean", "Mean (item scale)", fmt.RAW), ("mean_se", "Mean SE", _SE3),
               ("score", "Score", fmt.SCORE), ("se", "SE", fmt.SE), ("ci_low", "CI low", fmt.SCORE),
               ("ci_high", "CI high", fmt.SCORE), ("n", "n", fmt.COUNT),
               ("n_eff", "Effective n", fmt.COUNT), ("base_note", "Base", None),
               ("flag", "Reliability flag", None)]
_FLAGS = [("country", "Country", None), ("target", "Target", None),
          ("dimension", "Dimension", None), ("flag", "Flag", None), ("source", "Source", None),
          ("value", "Value", "0.000")]
_PROFILE = [("target", "Target", None), ("dimension", "Dimension", None),
            ("score", "Mean of countries", fmt.SCORE), ("se", "SE", fmt.SE),
            ("ci_low", "CI low", fmt.SCORE), ("ci_high", "CI high", fmt.SCORE),
            ("n_countries", "Countries", fmt.COUNT)]
_BASES = [("country", "Country", None), ("target", "Target", None), ("audience", "Audience", None),
          ("n", "Unweighted n", fmt.COUNT), ("n_eff", "Effective n", fmt.COUNT),
          ("small", "Small base", None), ("suppressed", "Suppressed", None),
          ("note", "Note", None)]
_ITEMS = [("country", "Country", None), ("target", "Target", None), ("audience", "Audience", None),
          ("dimension", "Dimension", None), ("item", "Item", None),
          ("estimate", "Estimate", fmt.RAW), ("se", "SE", fmt.SE), ("ci_low", "CI low", fmt.RAW),
          ("ci_high", "CI high", fmt.RAW), ("n", "n", fmt.COUNT)]
_RELIABILITY = [("country", "Country", None), ("target", "Target", None),
                ("dimension", "Dimension", None), ("n_items", "Items", fmt.COUNT),
                ("n", "n", fmt.COUNT), ("alpha", "Alpha", fmt.RAW),
                ("alpha_std", "Standardised alpha", fmt.RAW), ("ci_low", "Alpha CI low", fmt.RAW),
                ("ci_high", "Alpha CI high", fmt.RAW), ("average_r", "Average r", fmt.RAW),
                ("flag", "Flag", None)]
_WEIGHTING = [("country", "Country", None), ("n", "n", fmt.COUNT),
              ("sum_weights", "Sum of weights", "#,##0.0"), ("deff_kish", "Kish deff", fmt.RAW),
              ("n_eff", "Effective n", fmt.COUNT), ("efficiency_pct", "Efficiency %", fmt.SCORE),
              ("weight_min", "Min weight / mean", fmt.RAW),
              ("weight_max", "Max weight / mean", fmt.RAW),
              ("weight_ratio", "Max / min weight", "0.0")]
_LEDGER = [("item", "Item", None), ("count", "Count", fmt.COUNT)]
_EXCLUDED = [("row", "Row", fmt.GENERAL), ("line", "Line", fmt.GENERAL),
             ("resp_id", "Respondent id", None), ("reason", "Reason excluded", None)]
_GUIDE = {
    "Index": "composite index (0-100) by country, target and audience, with CI and rank interval",
    "Dimensions": "each dimension's mean on the item scale and its 0-100 score",
    "Profile": "each target's dimension scores averaged over countries (chart), and by country",
    "{pair}": "difference between the two targets by country and measure; * marks significance",
    "Leads": "in how many countries each target is rated higher, with intervals",
    "Items": "each item's estimate by country, target and audience",
    "Reliability": "Cronbach's alpha of each dimension; flagged rows are highlighted",
    "Flags": "dimensions to read with care: low alpha, loadings or intercepts that differ",
    "Weighting": "design effect, effective sample size and weight range by country",
    "Bases": "unweighted and effective base of every cell; small bases flagged, some suppressed",
    "Exclusions": "rows read, kept and excluded, and each excluded row with its reason",
    "Methodology": "what was run, with which data, settings and versions",
}


@dataclass(frozen=True)
class ReportTables:
    """The result tables the report is written from; extra columns are ignored.

    Column names are those of the estimation stages: ``composite`` (country, target, audience,
    score, se, ci_low, ci_high, n, rank, rank_low, rank_high), ``dimensions`` (... dimension, mean,
    mean_se, score, se, ci_low, ci_high, n, n_eff), ``comparison`` (country, audience, measure,
    target_a, target_b, score_a, score_b, difference = score_a - score_b, se, ci_low, ci_high,
    p_value, p_holm, significant), ``leads`` (audience, measure, target_a, target_b, n_countries, a_leads,
    a_leads_ci_low, a_leads_ci_high, a_leads_significant and the same for b), ``items``,
    ``reliability``, ``weighting``, ``ledger_summary`` (item, count), ``exclusions`` (row, line,
    resp_id, reason); ``methodology`` maps a label to its text, in the order to show (a label
    containing "level" or "interval" whose text holds a percentage, e.g. ``"Intervals": "95%
    normal intervals"``, names the level of the intervals in the Summary's sentences). Scores are 0-100; a measure is a dimension id or ``"composite"``.

    ``bases`` (country, target, audience, n, n_eff, small, suppressed, note) is computed from
    ``dimensions`` with ``base_rule`` when left empty; cells it marks suppressed have their
    estimates blanked in every sheet. ``flags`` (country, target, dimension, flag, source,
    value: :func:`surveyindex.reliability.reliability_flags`) are listed on the Flags sheet and
    beside each flagged dimension score. ``level`` is the confidence level of the Profile sheet
    and of the index sheets' captions.

    The index engine's tables (:class:`surveyindex.index.IndexResult`), each written to a sheet of
    its own when given: ``ranks`` (country, target, audience, among, score, rank, rank_median,
    rank_low, rank_high, p_first), ``pooled`` (target, audience, measure, score, se, ci_low,
    ci_high, n_countries, pooling, country_weights), ``weights`` (audience, dimension, method,
    weight, se, ci_low, ci_high, derivation), ``sensitivity`` (country, target, audience, rank,
    rank_median, rank_low, rank_high) and ``sensitivity_indices`` (audience, output, country,
    target, factor, first_order, total); ``index_settings`` is the result's ``settings``
    (``replicates`` and ``replicate_type`` name the replicates in the captions).

    >>> t = ReportTables("T", *[pd.DataFrame()] * 9, methodology={})
    >>> t.title, t.composite.empty
    ('T', True)
    """

    title: str
    composite: pd.DataFrame
    dimensions: pd.DataFrame
    comparison: pd.DataFrame
    leads: pd.DataFrame
    items: pd.DataFrame
    reliability: pd.DataFrame
    weighting: pd.DataFrame
    ledger_summary: pd.DataFrame
    exclusions: pd.DataFrame
    methodology: dict[str, str]
    bases: pd.DataFrame = field(default_factory=pd.DataFrame)
    flags: pd.DataFrame = field(default_factory=pd.DataFrame)
    base_rule: BaseRule = BaseRule()
    level: float = 0.95
    ranks: pd.DataFrame = field(default_factory=pd.DataFrame)
    pooled: pd.DataFrame = field(default_factory=pd.DataFrame)
    weights: pd.DataFrame = field(default_factory=pd.DataFrame)
    sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)
    sensitivity_indices: pd.DataFrame = field(default_factory=pd.DataFrame)
    index_settings: dict = field(default_factory=dict)
    trend: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            expected = {"title": str, "methodology": dict, "base_rule": BaseRule,
                        "level": float, "index_settings": dict,
                        "trend": dict}.get(f.name, pd.DataFrame)
            if not isinstance(value, expected):
                raise ReportError(f"ReportTables.{f.name}: expected a {expected.__name__}, "
                                  f"got {type(value).__name__}")


def write_workbook(tables: ReportTables, path: str | Path) -> Path:
    """Write the report workbook to ``path`` (an ``.xlsx`` file), replacing any file there.

    The workbook is saved to a temporary file in the same folder and then moved over ``path`` in
    one step, so a reader never sees half a file and a failed write leaves an existing report as
    it was. The folder is created if missing.

    Parameters
    ----------
    tables : ReportTables
        The result tables and the methodology notes.
    path : str or Path
        Where to write the workbook.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    ReportError
        If the folder cannot be created or the file cannot be written; the message names the path
        and the cause (e.g. the file is open in Excel, the disk is full).

    Examples
    --------
    >>> import tempfile, openpyxl, pandas as pd
    >>> composite = pd.DataFrame({"country": ["BRA", "BRA"], "target": ["USA", "CHN"],
    ...     "audience": "all", "score": [61.2, 55.0], "se": [1.1, 1.3],
    ...     "ci_low": [59.0, 52.5], "ci_high": [63.4, 57.5], "n": [1000, 1000]})
    >>> tables = ReportTables("How the world sees the United States and China", composite,
    ...     *[pd.DataFrame()] * 8, methodology={"Instrument": "softpower 1.0"})
    >>> out = write_workbook(tables, Path(tempfile.mkdtemp()) / "out" / "report.xlsx")
    >>> openpyxl.load_workbook(out).sheetnames
    ['Summary', 'Index', 'Dimensions', 'Profile', 'USA vs CHN', 'Leads', 'Items', 'Reliability', 'Flags', 'Weighting', 'Bases', 'Exclusions', 'Methodology']
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A unique name beside the target: os.replace is atomic only within one file system, and
        # opening it normally (not mkstemp) gives the report the usual permissions.
        _build(tables).save(tmp)
        os.replace(tmp, path)
    except BaseException as e:  # an interrupted save must not leave its temporary file either
        with contextlib.suppress(OSError):  # the cause below matters, not a failed clean-up
            tmp.unlink(missing_ok=True)
        if not isinstance(e, Exception):
            raise
        hint = "; is it open in another program?" if isinstance(e, PermissionError) else ""
        raise ReportError(f"{path}: cannot write the report workbook "
                          f"({type(e).__name__}: {e}){hint}") from e
    return path


def _build(t: ReportTables) -> Workbook:
    """The whole workbook, sheets in the documented order."""
    a, b = _pair(t.comparison, t.leads)
    bases = t.bases if not t.bases.empty else sample_bases(t.dimensions, t.base_rule)
    composite, dimensions = _with_notes(t.composite, bases), _with_notes(t.dimensions, bases)
    dimensions = _with_flags(dimensions, t.flags)
    composite, dimensions = suppress(composite, bases), suppress(dimensions, bases)
    wb = Workbook()
    wb.properties.title, wb.properties.creator = t.title[:255], "surveyindex"
    summary = wb.active
    summary.title = "Summary"
    index = _table_sheet(wb, "Index", composite, _INDEX, scale="score")
    _table_sheet(wb, "Dimensions", dimensions, _DIMENSIONS, scale="score")
    _profile_sheet(wb.create_sheet("Profile"), dimensions, t.level)
    pair = _sheet_name(f"{a} vs {b}")
    _comparison_sheet(wb.create_sheet(pair), suppress(t.comparison, bases), a, b)
    _table_sheet(wb, "Leads", t.leads, _leads_columns(a, b))
    guide = _guide(pair, index_sheets.add_index_sheets(wb, t, bases))
    guide.update(trend_sheets.add_trend_sheets(wb, t.trend, t.level))
    _table_sheet(wb, "Items", suppress(t.items, bases), _ITEMS)
    rel = _table_sheet(wb, "Reliability", t.reliability, _RELIABILITY)
    flagged = [r for r, f in enumerate(t.reliability.get("flag", []), start=2) if _truthy(f)]
    fmt.style_rows(rel, flagged, 1, len(_RELIABILITY), fill=fmt.HIGHLIGHT)
    _table_sheet(wb, "Flags", t.flags, _FLAGS, note="nothing flagged")
    _table_sheet(wb, "Weighting", t.weighting, _WEIGHTING)
    _bases_sheet(wb.create_sheet("Bases"), bases, t.base_rule)
    _exclusions_sheet(wb.create_sheet("Exclusions"), t.ledger_summary, t.exclusions)
    _methodology_sheet(wb.create_sheet("Methodology"),
                       {**index_sheets.with_methodology(t.methodology, t),
                        "Small bases": t.base_rule.describe()})
    _summary_sheet(summary, t, index, guide)
    return wb


def _guide(pair: str, index_guide: dict[str, str]) -> dict[str, str]:
    """The Summary's list of sheets: the comparison sheet by name, index sheets after Leads."""
    out: dict[str, str] = {}
    for name, text in _GUIDE.items():
        out[pair if name == "{pair}" else name] = text
        if name == "Leads":
            out.update(index_guide)
    return out


def _with_notes(table: pd.DataFrame, bases: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its cell's base note (small, suppressed) as column ``base_note``."""
    keys = ["country", "target", "audience"]
    if table.empty or bases.empty or not set(keys) <= set(table.columns):
        return table
    notes = bases[[*keys, "note"]].rename(columns={"note": "base_note"})
    return table.merge(notes, on=keys, how="left")


def _with_flags(dimensions: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """``dimensions`` with its reliability flags (joined by '; ') as column ``flag``."""
    keys = ["country", "target", "dimension"]
    if dimensions.empty or flags.empty or not set(keys) <= set(flags.columns) \
            or not set(keys) <= set(dimensions.columns):
        return dimensions
    joined = flags.groupby(keys, sort=False)["flag"].agg(lambda f: "; ".join(map(str, f)))
    return dimensions.merge(joined.reset_index(), on=keys, how="left")


def _profile_sheet(ws: Worksheet, dimensions: pd.DataFrame, level: float) -> None:
    """Each target's profile over countries (table and chart), then country x dimension tables."""
    profile = dimension_profile(dimensions, "all", level)
    last = fmt.write_table(ws, profile, _PROFILE, note="no dimension scores")
    k = profile["dimension"].nunique()
    # The chart's data block sits under the table; the chart beside it, both on the first page.
    if fmt.add_profile_chart(ws, f"{chr(ord('A') + len(_PROFILE) + 1)}2", profile, last + 3):
        last += 3 + k
    r, titles = last + 3, []
    rows = dimensions[dimensions["audience"].astype(str) == "all"] if not dimensions.empty \
        else dimensions
    for target in dict.fromkeys(rows.get("target", pd.Series(dtype=str)).astype(str)):
        wide = rows[rows["target"].astype(str) == target].pivot_table(
            index="country", columns="dimension", values="score", sort=False).reset_index()
        titles.append((r, f"{target}: score by country and dimension (audience all)"))
        cols = [("country", "Country", None)] + [(d, str(d), fmt.SCORE) for d in wide.columns[1:]]
        end = fmt.write_table(ws, wide, cols, row=r + 1)
        for j in range(2, len(cols) + 1):
            fmt.colour_scale(ws, j, r + 2, end)
        r = end + 3
    fmt.finish_sheet(ws, len(_PROFILE), last, filter_table=False)
    # Titles after the widths are fitted: they overflow into empty cells, not widen column A.
    for row, text in titles:
        fmt.put(ws, row, 1, text).font = fmt.BOLD


def _bases_sheet(ws: Worksheet, bases: pd.DataFrame, rule: BaseRule) -> None:
    shown = bases.assign(small=bases["small"].map({True: "yes", False: ""}),
                         suppressed=bases["suppressed"].map({True: "yes", False: ""})) \
        if not bases.empty else bases
    last = fmt.write_table(ws, shown, _BASES)
    fmt.finish_sheet(ws, len(_BASES), last)
    if not bases.empty:
        fmt.style_rows(ws, [r for r, f in enumerate(bases["small"], start=2) if f], 1,
                       len(_BASES), fill=fmt.HIGHLIGHT)
    fmt.put(ws, last + 2, 1, f"Rule: {rule.describe()}.").font = fmt.NOTE


def _table_sheet(wb: Workbook, name: str, df: pd.DataFrame, columns, scale: str | None = None,
                 note: str = "no rows"):
    ws = wb.create_sheet(name)
    last = fmt.write_table(ws, df, columns, note=note)
    fmt.finish_sheet(ws, len(columns), last)
    names = [c[0] for c in columns]
    if scale in names and not df.empty:
        fmt.colour_scale(ws, names.index(scale) + 1, 2, last)
    return ws


def _comparison_sheet(ws: Worksheet, df: pd.DataFrame, a: str, b: str) -> None:
    cols = [("country", "Country", None), ("audience", "Audience", None),
            ("measure", "Measure", None), ("target_a", "Target A", None),
            ("target_b", "Target B", None), ("score_a", f"Score {a}", fmt.SCORE),
            ("score_b", f"Score {b}", fmt.SCORE), ("difference", f"{a} \u2212 {b}", fmt.SCORE),
            ("se", "SE", fmt.SE), ("ci_low", "CI low", fmt.SCORE),
            ("ci_high", "CI high", fmt.SCORE), ("p_value", "p", fmt.P_VALUE),
            ("p_holm", "p (Holm)", fmt.P_VALUE), ("significant", "Significant", None)]
    sig = [_truthy(s) for s in df.get("significant", pd.Series(False, index=df.index))]
    shown = df.assign(significant=["*" if s else "" for s in sig]) if not df.empty else df
    last = fmt.write_table(ws, shown, cols)
    fmt.style_rows(ws, [r for r, s in enumerate(sig, start=2) if s], 6, len(cols), font=fmt.BOLD)
    for r in range(1, last + 1):
        ws.cell(r, len(cols)).alignment = Alignment(horizontal="center", vertical="bottom")
    fmt.finish_sheet(ws, len(cols), last)


def _leads_columns(a: str, b: str):
    out = [("audience", "Audience", None), ("measure", "Measure", None),
           ("target_a", "Target A", None), ("target_b", "Target B", None),
           ("n_countries", "Countries", fmt.COUNT)]
    for key, code in (("a", a), ("b", b)):
        out += [(f"{key}_leads", f"{code} higher", fmt.GENERAL),
                (f"{key}_leads_ci_low", f"{code} higher: CI low", fmt.GENERAL),
                (f"{key}_leads_ci_high", f"{code} higher: CI high", fmt.GENERAL),
                (f"{key}_leads_significant", f"{code} significantly higher", fmt.GENERAL)]
    return out


def _exclusions_sheet(ws: Worksheet, ledger: pd.DataFrame, excluded: pd.DataFrame) -> None:
    # Side by side rather than stacked, so both share the one frozen header row.
    fmt.write_table(ws, ledger, _LEDGER)
    start = len(_LEDGER) + 2
    last = fmt.write_table(ws, excluded, _EXCLUDED, col=start, note="no rows excluded")
    fmt.finish_sheet(ws, len(_LEDGER), 1, filter_table=False)
    if not excluded.empty:
        first, end = ws.cell(1, start).coordinate, ws.cell(last, start + len(_EXCLUDED) - 1)
        ws.auto_filter.ref = f"{first}:{end.coordinate}"


def _methodology_sheet(ws: Worksheet, notes: dict[str, str]) -> None:
    rows = pd.DataFrame(list(notes.items()), columns=["key", "value"])
    last = fmt.write_table(ws, rows, [("key", "Setting", None), ("value", "Value", None)])
    fmt.finish_sheet(ws, 2, last, filter_table=False)
    ws.column_dimensions["B"].width = 100
    if notes:
        fmt.style_rows(ws, range(2, last + 1), 1, 1, font=fmt.BOLD)
        fmt.wrap_rows(ws, 2, 2, last, 100)


def _summary_sheet(ws: Worksheet, t: ReportTables, index: Worksheet, guide: dict[str, str]) -> None:
    fmt.put(ws, 1, 1, t.title).font = Font(bold=True, size=16)
    r = _section(ws, 3, "What was run")
    for key, text in t.methodology.items():
        fmt.put(ws, r, 1, key).font = fmt.BOLD
        short = str(text) if len(str(text)) <= 120 else str(text)[:117] + "... (see Methodology)"
        fmt.put(ws, r, 2, short)
        r += 1
    if not t.methodology:
        fmt.put(ws, r, 1, "no methodology notes").font = fmt.NOTE
        r += 1
    r = _section(ws, r + 1, "Who is rated higher (audience: all)")
    sentences = lead_sentences(t.leads, _level(t.methodology))
    for s in sentences:
        fmt.put(ws, r, 1, s)
        r += 1
    if not sentences:
        fmt.put(ws, r, 1, "no leads for audience all").font = fmt.NOTE
        r += 1
    r = _section(ws, r + 1, "Sheets")
    for name, text in guide.items():
        fmt.put(ws, r, 1, name).font = fmt.BOLD
        fmt.put(ws, r, 2, text)
        r += 1
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 24, 100
    # The chart starts a printed page of its own rather than being cut across two.
    ws.row_breaks.append(Break(id=r))
    r = _section(ws, r + 1, "Composite score by country (audience: all)")
    if fmt.add_score_chart(ws, f"A{r}", t.composite, index, first_col=len(_INDEX) + 2):
        fmt.fit_widths(index)
    else:
        fmt.put(ws, r, 1, "no composite scores for audience all: no chart").font = fmt.NOTE
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0


def lead_sentences(leads: pd.DataFrame, level: str = "", audience: str = "all") -> list[str]:
    """One plain-language sentence per target and measure: in how many countries it leads.

    Parameters
    ----------
    leads : DataFrame
        The ``leads`` table of :class:`ReportTables`.
    level : str
        Confidence level to name in the sentence (e.g. ``"95%"``); empty to name none.
    audience : str
        The audience whose rows are summarised.

    Returns
    -------
    list of str
        Composite first, then the dimensions in table order; target A before target B.

    Examples
    --------
    >>> leads = pd.DataFrame({"audience": ["all"], "measure": ["education"],
    ...     "target_a": ["USA"], "target_b": ["CHN"], "n_countries": [13], "a_leads": [9],
    ...     "a_leads_ci_low": [7], "a_leads_ci_high": [10], "a_leads_significant": [6],
    ...     "b_leads": [4], "b_leads_ci_low": [3.0], "b_leads_ci_high": [6.0],
    ...     "b_leads_significant": [3]})
    >>> for s in lead_sentences(leads, "95%"):
    ...     print(s)
    USA rated higher than CHN on education in 9 of 13 countries (95% interval 7-10); significantly in 6.
    CHN rated higher than USA on education in 4 of 13 countries (95% interval 3-6); significantly in 3.
    """
    if leads.empty or "audience" not in leads:
        return []
    rows = leads[leads["audience"].astype(str) == audience]
    if "measure" in rows:
        rows = rows.sort_values("measure", key=lambda m: m.astype(str) != "composite", kind="stable")
    out = []
    for _, row in rows.iterrows():
        measure = "the composite index" if row.get("measure") == "composite" else row.get("measure")
        for key, this, other in (("a", "target_a", "target_b"), ("b", "target_b", "target_a")):
            k = row.get(f"{key}_leads")
            if pd.isna(k):
                continue
            text = (f"{row.get(this)} rated higher than {row.get(other)} on {measure} in "
                    f"{_num(k)} of {_num(row.get('n_countries'))} countries")
            lo, hi = row.get(f"{key}_leads_ci_low"), row.get(f"{key}_leads_ci_high")
            if not (pd.isna(lo) or pd.isna(hi)):
                text += f" ({(level + ' ').lstrip()}interval {_num(lo)}-{_num(hi)})"
            sig = row.get(f"{key}_leads_significant")
            out.append(text + ("" if pd.isna(sig) else f"; significantly in {_num(sig)}") + ".")
    return out


def _section(ws: Worksheet, row: int, text: str) -> int:
    fmt.put(ws, row, 1, text).font = Font(bold=True, size=12)
    return row + 1


def _pair(comparison: pd.DataFrame, leads: pd.DataFrame) -> tuple[str, str]:
    """The compared targets as found in the data (first row), USA and CHN if there is none."""
    for df in (comparison, leads):
        if not df.empty and {"target_a", "target_b"} <= set(df.columns):
            a, b = df["target_a"].iloc[0], df["target_b"].iloc[0]
            if not (pd.isna(a) or pd.isna(b)):
                return str(a), str(b)
    return "USA", "CHN"


def _sheet_name(name: str) -> str:
    # Excel forbids these characters and names over 31 characters, and reserves "History".
    name = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'")[:31]
    return name if name and name.lower() not in {"history", "summary", "index", "dimensions",
                                                  "leads", "items", "reliability", "weighting",
                                                  "profile", "bases", "flags",
                                                  "exclusions", "methodology",
                                                  *index_sheets.SHEET_NAMES} else "Comparison"


def _level(notes: dict[str, str]) -> str:
    """The confidence level stated in the methodology (under a key naming "level" or
    "interval", e.g. ``"Intervals": "95% normal intervals"``), else ''."""
    for key, text in notes.items():
        if "level" in str(key).lower() or "interval" in str(key).lower():
            m = re.search(r"\d+(\.\d+)?\s*%", str(text))
            if m:
                return m.group(0).replace(" ", "")
            m = re.fullmatch(r"\s*0?\.(\d+)\s*", str(text))
            if m:
                return f"{float('0.' + m.group(1)) * 100:g}%"
    return ""


def _num(v) -> str:
    if pd.isna(v):
        return "?"
    # Replicate quantiles such as 8.975 read as counts: "9", not "9.0" or "8.975".
    r = round(float(v), 1)
    return str(int(r)) if r.is_integer() else f"{r:.1f}"


def _truthy(v) -> bool:
    """A flag cell counts as set unless it is missing, False, 0 or blank text."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return False
    return bool(v.strip()) if isinstance(v, str) else bool(v)
