"""Stage 6, report: the result tables as one formatted Excel workbook a report writer can hand on.

Sheets, in order: Summary, Index, Dimensions, Profile, "<A> vs <B>", Leads, then the index engine's
Ranks, Pooled, Weights, Sensitivity and Sensitivity indices when those tables are given
(:mod:`.index_sheets`), Items, Reliability, Flags, Aligned means (when given), Weighting, Bases, Exclusions, Methodology. The file is written to a temporary file beside the target and moved into
place, so an existing report is either replaced whole or left untouched.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import ReportError
from . import _format as fmt
from . import columns as cols
from . import index_sheets, invariance_sheets, sheets, trend_sheets
from .bases import BaseRule, sample_bases, suppress
from .charts import ChartData, composite_chart, forest_chart, profile_chart
from .files import write_atomic
from .labels import Labels
from .profile import dimension_profile
from .summary import summary_sheet

_GUIDE = {
    "Charts": "composite by country for each audience, the differences, the dimension profile",
    "Index": "composite index (0-100) by country, target and audience, with CI and rank interval",
    "Favourability": "the overall rating: % favourable and mean by country, target and audience",
    "Dimensions": "each dimension's 0-100 score with CI, by country, target and audience",
    "Profile": "each target's dimension scores averaged over countries, and by country",
    "{pair}": "difference between the two targets by country and measure, with both intervals",
    "Differences": "the differences as a countries x measures table, ready to paste",
    "Leads": "in how many countries each target is rated higher, with intervals",
    "Items": "each item's mean by wording (target filled in) and country",
    "Reliability": "Cronbach's alpha of each dimension with CI; flagged cells highlighted",
    "Flags": "dimensions to read with care: low alpha, loadings or intercepts that differ",
    "Aligned means": "aligned factor means per country, to compare where scalar invariance fails",
    "Weighting": "design effect, effective sample size and weight range by country",
    "Bases": "unweighted and effective base of every cell; small bases flagged, some suppressed",
    "Exclusions": "rows read, kept and excluded, and each excluded row with its reason",
    "Methodology": "what was run, with which files, settings and versions",
}
#: Sheets holding chart source data and the long item table: hidden, never printed.
HIDDEN = ("Chart data", "Dimension estimates", "Item estimates", "Reliability estimates")


@dataclass(frozen=True)
class ReportTables:
    """The result tables the report is written from; extra columns are ignored.

    Column names are those of the estimation stages: ``composite`` (country, target, audience,
    score, se, ci_low, ci_high, n, rank, rank_low, rank_high), ``dimensions`` (... dimension,
    score, se, ci_low, ci_high, mean, mean_se, n, n_eff), ``comparison`` (country, audience,
    measure, target_a, target_b, score_<a>, score_<b> named by the targets' codes (score_USA),
    difference = score_<a> - score_<b>, se, ci_low, ci_high, p_value, p_holm, significant),
    ``leads`` (audience, measure, target_a, target_b, n_countries, <a>_leads, <a>_leads_ci_low,
    <a>_leads_ci_high, <a>_leads_significant and the same for <b>: USA_leads...), ``items``
    (... dimension, item, mean, mean_se, mean_ci_low, mean_ci_high on the item scale, n),
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
    ci_high, n, n_eff, n_countries, pooling, country_weights), ``weights`` (audience, dimension, method,
    weight, se, ci_low, ci_high, derivation), ``sensitivity`` (country, target, audience, rank,
    rank_median, rank_low, rank_high) and ``sensitivity_indices`` (audience, output, country,
    target, factor, first_order, total); ``index_settings`` is the result's ``settings``
    (``replicates`` and ``replicate_type`` name the replicates in the captions).

    ``favourability`` is :attr:`surveyindex.index.IndexResult.favourability` (its own sheet);
    ``labels`` (:class:`.Labels`) names countries, targets, audiences, dimensions and items
    (default: country names from ISO 3166, other codes as they are); ``run_date`` is shown under
    the title; ``sheets`` keeps only the sheets named (default: all; see :data:`SHEETS`).

    With measurement invariance tested, ``composite`` and ``dimensions`` carry a
    ``comparability`` column (:func:`surveyindex.reliability.with_comparability`; the composite
    also ``comparability_note``), shown on the Index and Dimensions sheets and explained under
    the Flags table; ``aligned_means`` (:func:`surveyindex.reliability.aligned_means_table`)
    gets the sheet "Aligned means" when given.

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
    favourability: pd.DataFrame = field(default_factory=pd.DataFrame)
    labels: Labels = field(default_factory=Labels)
    run_date: str = ""
    sheets: tuple = ()
    aligned_means: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            expected = {"title": str, "methodology": dict, "base_rule": BaseRule,
                        "level": float, "index_settings": dict, "labels": Labels,
                        "run_date": str, "sheets": tuple,
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
    >>> [ws.title for ws in openpyxl.load_workbook(out).worksheets if ws.sheet_state == "visible"]
    ['Summary', 'Charts', 'Index', 'Favourability', 'Dimensions', 'Profile', 'USA vs CHN', 'Differences', 'Leads', 'Items', 'Reliability', 'Flags', 'Weighting', 'Bases', 'Exclusions', 'Methodology']
    """
    return write_atomic(path, lambda tmp: _build(tables).save(tmp), "report workbook")


SHEETS = ("Summary", "Charts", "Index", "Favourability", "Dimensions", "Profile", "{pair}",
          "Differences", "Leads", *index_sheets.GUIDE, "Items", "Reliability", "Flags",
          "Aligned means", "Weighting", "Bases", "Exclusions", "Methodology")


def _build(t: ReportTables) -> Workbook:
    """The whole workbook, sheets in the documented order."""
    c = _context(t)
    wb = Workbook()
    wb.properties.title, wb.properties.creator = t.title[:255], "surveyindex"
    summary = wb.active
    summary.title = "Summary"
    data = ChartData(wb.create_sheet("Chart data"))
    L, lab = c["L"], c["lab"]
    charts_sheet(wb.create_sheet("Charts"), data, L(c["composite"]), L(c["comparison"]),
                 L(dimension_profile_all(c["dimensions"], t.level)), lab, c["a"], c["b"],
                 c["level"])
    _score_sheets(wb, t, c)
    pair = _comparison_sheets(wb, t, c)
    guide = _guide(pair, index_sheets.add_index_sheets(wb, t, c["bases"]))
    guide.update(trend_sheets.add_trend_sheets(wb, t.trend, t.level))
    _detail_sheets(wb, t, c)
    data.ws.sheet_state = "hidden"
    for name in HIDDEN:  # at the end, before Methodology
        wb.move_sheet(name, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(name))
    sheets.methodology_sheet(wb, "Methodology",
                             {**index_sheets.with_methodology(t.methodology, t),
                              "Small bases": t.base_rule.describe()})
    guide = {k: v for k, v in guide.items() if k in wb.sheetnames}
    if t.sheets:
        _keep(wb, t.sheets, pair)
        guide = {k: v for k, v in guide.items() if k in wb.sheetnames}
    summary_sheet(summary, t, lab, guide, c["level"])
    return wb


def _context(t: ReportTables) -> dict:
    """The tables as the sheets show them: notes, flags and small-base suppression applied."""
    lab = t.labels
    codes = _pair(t.comparison, t.leads)
    bases = t.bases if not t.bases.empty else sample_bases(t.dimensions, t.base_rule)
    composite, dimensions = _with_notes(t.composite, bases), _with_notes(t.dimensions, bases)
    favourability = suppress(_with_notes(t.favourability, bases), bases)
    return {"lab": lab, "L": lab.add, "codes": codes, "a": lab.target(codes[0]),
            "b": lab.target(codes[1]), "level": index_sheets.level_text(t.level),
            "bases": bases, "composite": suppress(composite, bases),
            "dimensions": suppress(_with_flags(dimensions, t.flags), bases),
            "comparison": suppress(t.comparison, bases), "favourability": favourability,
            "reps": index_sheets.replicates_text(t.index_settings)}


def _score_sheets(wb: Workbook, t: ReportTables, c: dict) -> None:
    """Index, Favourability, Dimensions (+ hidden estimates) and Profile."""
    L, lab, level, reps = c["L"], c["lab"], c["level"], c["reps"]
    composite, dimensions, favourability = c["composite"], c["dimensions"], c["favourability"]
    sheets.table_sheet(wb, "Index", invariance_sheets.composite_cells(L(composite), lab),
                       cols.INDEX, scale="score", caption=(
        f"Composite index (0-100) per country, target and audience: score, replicate SE, {level} "
        f"CI; rank among the surveyed countries (1 = highest) and its {level} interval, whole "
        f"ranks from the {reps}. Base note: small or suppressed bases (Bases sheet)."
        + (" Comparability: whether the composite compares across countries (measurement "
           "invariance of its least comparable dimension, with the dimensions below scalar named; "
           "read under the Flags table)." if "comparability" in composite else "")))
    sheets.table_sheet(wb, "Favourability", L(favourability), cols.FAVOURABILITY,
                       scale="pct_favourable", note="the instrument has no overall rating item",
                       caption=_favourability_caption(t.favourability, level, lab))
    dims = L(dimensions)
    if not dims.empty:
        dims["base_n"] = dims.groupby(["country", "target", "audience"], sort=False)[
            "n"].transform("min")
        dims["flagged"] = dims["flag"].map(_truthy) if "flag" in dims else False
    tested = "comparability" in dims
    sheets.wide_sheet(wb, "Dimensions", dims, [*cols.CELL, ("base_n", "n", fmt.COUNT)],
                      "dimension", [("score", "Score", fmt.SCORE), ("ci_low", "CI low", fmt.SCORE),
                                    ("ci_high", "CI high", fmt.SCORE),
                                    *[("comparability", "Comparability", None)] * tested],
                      lab, highlight="flagged",
                      caption=f"Each dimension's 0-100 score with its {level} CI, per country, "
                              "target and audience; n = the cell's smallest base. Highlighted: a "
                              "reliability flag (Flags sheet). "
                              + ("Comparability: whether the score compares across countries "
                                 "(measurement invariance: scalar, partial, aligned only; read "
                                 "under the Flags table). " if tested else "")
                              + "Means on the item scale, SEs and "
                              "effective n: the hidden sheet 'Dimension estimates'.")
    sheets.table_sheet(wb, "Dimension estimates", dims, cols.DIMENSIONS, hidden=True,
                       caption=f"Each dimension's weighted mean on the item scale and its 0-100 "
                               f"score, with SE and {level} CI; n and effective n of the cell.")
    sheets.profile_sheet(wb, "Profile", L(dimension_profile_all(dimensions, t.level)),
                         dimensions, lab, f"Each target's dimension scores averaged over the "
                         f"surveyed countries ({lab.audience('all')}), each country counted "
                         f"equally, with {level} CI; below, the score of each country.")


def _comparison_sheets(wb: Workbook, t: ReportTables, c: dict) -> str:
    """The A vs B sheet, the wide Differences table and Leads; returns the pair sheet's name."""
    L, lab, level, reps = c["L"], c["lab"], c["level"], c["reps"]
    a, b, codes, comparison = c["a"], c["b"], c["codes"], c["comparison"]
    pair = _sheet_name(f"{codes[0]} vs {codes[1]}")
    m = comparison["country"].nunique() if "country" in comparison else 0
    sheets.comparison_sheet(wb, pair, L(comparison), a, b, t.level, codes=codes, caption=(
        f"{a} minus {b} per country, audience and measure (paired: the same respondents rated "
        f"both). CI low/high: unadjusted {level} interval; * under CI excludes 0 marks exactly "
        f"those with p < {1 - t.level:g}. Adjusted CI: Bonferroni simultaneous {level} "
        f"interval over the {m} countries; p (Holm): Holm-adjusted across countries within "
        "each measure and audience, * where below "
        f"{1 - t.level:g} (an adjusted CI that excludes 0 is always Holm-significant)."))
    sheets.differences_sheet(wb, "Differences", comparison, lab, a, b, (
        f"{a} minus {b} in points (0-100 scale) by country and measure, one block per audience. "
        f"* and bold: significant after Holm's adjustment across countries (p (Holm) < "
        f"{1 - t.level:g}); intervals on the {pair} sheet."))
    sheets.table_sheet(wb, "Leads", L(t.leads.rename(columns={"measure": "measure"})),
                       cols.leads(a, b, codes), caption=(
        f"In how many of the surveyed countries each target is rated higher, per audience and "
        f"measure, with the {level} interval of that count over the {reps} (order statistics); "
        "significantly higher: Holm-adjusted, as on the comparison sheet."))
    return pair


def _detail_sheets(wb: Workbook, t: ReportTables, c: dict) -> None:
    """Items, Reliability, Flags, Weighting, Bases and Exclusions."""
    L, lab, bases = c["L"], c["lab"], c["bases"]
    sheets.items_sheet(wb, "Items", suppress(t.items, bases), lab, (
        "Weighted mean of each item on its response scale (agreement 1-5: 5 = strongly agree; "
        "reverse-keyed items as asked, before reverse keying), by country. SE, CI and n of "
        "every item: the hidden sheet 'Item estimates' (and res.index.items)."))
    sheets.table_sheet(wb, "Item estimates", L(suppress(t.items, bases)), cols.ITEMS_LONG,
                       caption="Every item estimate with SE and CI.", hidden=True)
    rel = L(t.reliability)
    if not rel.empty:
        rel["flagged"] = rel["flag"].map(_truthy) if "flag" in rel else False
    sheets.wide_sheet(wb, "Reliability", rel, [*cols.COUNTRY, *cols.TARGET], "dimension",
                      [("alpha", "Alpha", fmt.RAW), ("ci_low", "CI low", fmt.RAW),
                       ("ci_high", "CI high", fmt.RAW)], lab, highlight="flagged",
                      caption="Cronbach's alpha of each dimension per country and target, with "
                              "its Feldt interval; highlighted: flagged (Flags sheet). Items, n, "
                              "standardised alpha, average r: the hidden sheet 'Reliability "
                              "estimates'.")
    sheets.table_sheet(wb, "Reliability estimates", rel, cols.RELIABILITY, hidden=True,
                       caption="Cronbach's alpha per country, target and dimension, with its "
                               "Feldt interval.")
    tested = invariance_sheets.tested(t.dimensions, t.flags)
    ws, last = sheets.table_sheet(
        wb, "Flags", L(t.flags), cols.FLAGS, note="nothing flagged",
        caption="Dimensions to read with care: low alpha, loadings or intercepts that differ "
                "across countries" + ("; scores comparable across countries only under partial "
                                      "invariance or as aligned means (how to read these "
                                      "lines: under the table)." if tested else "."))
    if tested:
        invariance_sheets.flags_guide(ws, last, len(cols.FLAGS))
    if not t.aligned_means.empty:
        invariance_sheets.aligned_means_sheet(wb, "Aligned means", t.aligned_means, lab)
    sheets.table_sheet(wb, "Weighting", L(t.weighting), cols.WEIGHTING,
                       caption="Weighting diagnostics per country: Kish design effect, effective "
                               "sample size and the range of the weights.")
    sheets.bases_sheet(wb, "Bases", L(bases), t.base_rule.describe())
    sheets.exclusions_sheet(wb, "Exclusions", t.ledger_summary, t.exclusions)


def dimension_profile_all(dimensions: pd.DataFrame, level: float) -> pd.DataFrame:
    return dimension_profile(dimensions, "all", level)


def charts_sheet(ws: Worksheet, data: ChartData, composite, comparison, profile, lab: Labels,
                 a: str, b: str, level: str) -> None:
    """One chart per printed page: composite per audience, the forest chart per audience, the
    dimension profile; their numbers on the hidden Chart data sheet."""
    made = []
    for aud in dict.fromkeys(composite.get("audience", pd.Series(dtype=str)).astype(str)):
        rows = composite[composite["audience"].astype(str) == aud]
        made.append(composite_chart(data, rows, f"Composite index by country, {lab.audience(aud)}",
                                    f"Score (0-100); lines: {level} confidence interval"))
    if not comparison.empty:
        comp = comparison[comparison["measure"].astype(str) == "composite"]
        for aud in dict.fromkeys(comp["audience"].astype(str)):
            rows = comp[comp["audience"].astype(str) == aud]
            made.append(forest_chart(
                data, rows, f"{a} minus {b}, composite index, {lab.audience(aud)}",
                f"Difference in points; lines: {level} CI; blue: significant after Holm's "
                "adjustment", rows["significant"].map(_truthy)))
    made.append(profile_chart(data, profile, f"Dimension profile: mean of the country scores, "
                                             f"{lab.audience('all')}",
                              f"Score (0-100); lines: {level} confidence interval"))
    made = [c for c in made if c is not None]
    fmt.put(ws, 1, 1, "Charts (their numbers: hidden sheet 'Chart data')").font = fmt.NOTE
    # Rows of 15 pt (0.53 cm); a landscape A4 page holds 33 of them inside the margins. Charts
    # are stacked, a page break before one that would not fit whole.
    page, row, used = 33, 2, 1
    for chart in made:
        need = math.ceil(chart.height / 0.53) + 1
        if used + need > page:
            ws.row_breaks.append(Break(id=row - 1))
            used = 0
        ws.add_chart(chart, f"A{row}")
        row, used = row + need, used + need
    if not made:
        fmt.put(ws, 2, 1, "nothing to chart").font = fmt.NOTE
    for r in range(1, row + 1):
        ws.row_dimensions[r].height = 15
    fmt.print_setup(ws, f"A1:O{row}")
    ws.sheet_properties.pageSetUpPr.fitToPage = False  # charts at full size


def _keep(wb: Workbook, wanted, pair: str) -> None:
    """Remove the sheets not in ``wanted``; the hidden data sheets go with what uses them."""
    names = {n.lower(): n for n in wb.sheetnames if n not in HIDDEN}
    aliases = {"comparison": pair.lower()}
    keep = set()
    for w in wanted:
        key = aliases.get(str(w).lower(), str(w).lower())
        if key not in names:
            raise ReportError(f"sheets: no sheet {w!r}; the sheets are "
                              f"{[n for n in wb.sheetnames if n not in HIDDEN]}")
        keep.add(names[key])
    keep |= {"Chart data"} if "Charts" in keep else set()
    keep |= {f"{n[:-1] if n.endswith('s') else n} estimates" for n in keep} & set(HIDDEN)
    keep.add("Summary")
    for name in list(wb.sheetnames):
        if name not in keep:
            wb.remove(wb[name])


def _favourability_caption(fav: pd.DataFrame, level: str, lab: Labels) -> str:
    codes = ", ".join(dict.fromkeys(fav["favourable_codes"].astype(str))) \
        if "favourable_codes" in fav else ""
    asked = "; ".join(f"{i}: \u201c{lab.item(i, t)}\u201d" for i, t in
                      fav[["item", "target"]].drop_duplicates("item").itertuples(index=False)) \
        if not fav.empty else ""
    return (f"The overall rating per country, target and audience ({asked}): % favourable "
            f"(answers above the scale's midpoint{f', codes {codes}' if codes else ''}) and the "
            f"mean rating, each with its {level} CI; don't know and refused are outside the "
            "base.")


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
                                                  "profile", "bases", "flags", "aligned means",
                                                  "exclusions", "methodology",
                                                  *index_sheets.SHEET_NAMES} else "Comparison"


def _truthy(v) -> bool:
    """A flag cell counts as set unless it is missing, False, 0 or blank text."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return False
    return bool(v.strip()) if isinstance(v, str) else bool(v)
