"""Sample bases, suppression, the dimension profile and its chart, and the PDF rendering check."""

from __future__ import annotations

from dataclasses import replace

import openpyxl
import pandas as pd
import pytest
from test_report import make_tables

from surveyindex.errors import ReportError
from surveyindex.report import BaseRule, dimension_profile, sample_bases, suppress, write_workbook


def dims_with_bases(n_eff: dict[str, float]) -> pd.DataFrame:
    """Two dimensions per country (USA, all); effective bases differ slightly by dimension."""
    rows = []
    for country, base in n_eff.items():
        for k, dim in enumerate(["morality", "culture"]):
            rows.append({"country": country, "target": "USA", "audience": "all", "dimension": dim,
                         "score": 50.0 + k, "se": 2.0, "n": int(base * 1.5) + k,
                         "n_eff": base + k})
    return pd.DataFrame(rows)


def test_base_is_the_smallest_over_dimensions_and_the_rule_applies():
    dims = dims_with_bases({"BRA": 250.0, "DEU": 90.0, "IND": 40.0})
    b = sample_bases(dims, BaseRule(flag_below=100, suppress_below=50))
    assert b["n_eff"].tolist() == [250.0, 90.0, 40.0]
    assert b["n"].tolist() == [375, 135, 60]
    assert b["small"].tolist() == [False, True, True]
    assert b["suppressed"].tolist() == [False, False, True]
    assert b["note"].tolist() == ["", "small base (90)", "suppressed: base 40 below 50"]
    unweighted = sample_bases(dims, BaseRule(flag_below=100, base="n"))
    assert unweighted["small"].tolist() == [False, False, True]  # n 375, 135, 60


def test_rule_checked():
    with pytest.raises(ReportError, match="base"):
        BaseRule(base="weighted")
    with pytest.raises(ReportError, match="must not exceed"):
        BaseRule(flag_below=50, suppress_below=100)


def test_suppression_blanks_estimates_only_in_suppressed_cells():
    dims = dims_with_bases({"BRA": 250.0, "DEU": 40.0})
    bases = sample_bases(dims, BaseRule(suppress_below=50))
    out = suppress(dims, bases)
    deu = out["country"] == "DEU"
    assert out.loc[deu, ["score", "se"]].isna().all().all()
    assert out.loc[deu, "n"].notna().all()                       # the base itself stays shown
    pd.testing.assert_frame_equal(out[~deu], dims[~deu], check_dtype=False)
    comparison = pd.DataFrame({"country": ["BRA", "DEU"], "audience": "all", "difference": 1.0,
                               "significant": [True, True]})
    shown = suppress(comparison, bases)                          # no target column: by country
    assert shown["difference"].isna().tolist() == [False, True]
    assert shown["significant"].isna().tolist() == [False, True]


def test_profile_is_the_equal_country_mean_with_independent_variances():
    # Hand-worked: USA culture in three countries, scores 40, 50, 66 and SEs 2, 3, 6.
    # Mean 52; SE sqrt(4 + 9 + 36) / 3 = 7 / 3; 95% CI 52 -/+ 1.959964 * 7 / 3.
    dims = pd.DataFrame({"country": ["A", "B", "C", "D"], "target": "USA",
                         "audience": ["all", "all", "all", "young"], "dimension": "culture",
                         "score": [40.0, 50.0, 66.0, 99.0], "se": [2.0, 3.0, 6.0, 1.0]})
    p = dimension_profile(dims).iloc[0]
    assert p["score"] == pytest.approx(52.0) and p["se"] == pytest.approx(7 / 3)
    assert p["ci_low"] == pytest.approx(52 - 1.959963984540054 * 7 / 3)
    assert p["n_countries"] == 3


@pytest.fixture
def small_tables():
    t = make_tables()
    dims = t.dimensions.copy()
    # BRA's young-audience cells get a tiny effective base: flagged and suppressed.
    young = (dims["country"] == "BRA") & (dims["audience"] == "young")
    dims.loc[young, "n_eff"] = 30.0
    return replace(t, dimensions=dims, base_rule=BaseRule(flag_below=100, suppress_below=50))


def test_bases_sheet_and_suppressed_cells(small_tables, tmp_path):
    book = openpyxl.load_workbook(write_workbook(small_tables, tmp_path / "r.xlsx"))
    ws = book["Bases"]
    header = [c.value for c in ws[2]][:9]
    assert header == ["Country", "ISO", "Target", "Audience", "Unweighted n", "Effective n",
                      "Small base", "Suppressed", "Note"]
    rows = {(ws.cell(r, 2).value, ws.cell(r, 3).value, ws.cell(r, 4).value): r
            for r in range(3, 23)}
    r = rows[("BRA", "United States", "young")]
    assert ws.cell(r, 6).value == 30 and ws.cell(r, 8).value == "yes"
    assert ws.cell(r, 1).fill.fgColor.rgb == "00FFE699"
    assert ws.cell(rows[("BRA", "United States", "All adults")], 7).value is None
    index = book["Index"]
    assert index.cell(2, 13).value == "Base note"
    for row in range(3, 23):
        cell = (index.cell(row, 2).value, index.cell(row, 3).value, index.cell(row, 4).value)
        suppressed = cell[0] == "BRA" and cell[2] == "young"
        assert (index.cell(row, 5).value is None) == suppressed, cell
        assert (index.cell(row, 13).value or "").startswith("suppressed") == suppressed
    notes = {book["Methodology"].cell(r, 1).value: book["Methodology"].cell(r, 2).value
             for r in range(3, 16)}
    assert notes["Small bases"] == "effective n below 100 flagged; below 50 suppressed"


def test_profile_chart_with_error_bars(tmp_path):
    t = make_tables()
    book = openpyxl.load_workbook(write_workbook(t, tmp_path / "r.xlsx"))
    chart = book["Charts"]._charts[-1]
    assert chart.type == "col" and len(chart.series) == 2
    assert chart.series[0].errBars.errValType == "cust"
    expected = dimension_profile(t.dimensions)
    assert book["Profile"]["C3"].value == pytest.approx(expected["score"].iloc[0])
    # The chart's block on the hidden data sheet: the CI's distance below the USA's first
    # dimension, in the column its error bars point to.
    ref = chart.series[0].errBars.minus.numRef.f           # e.g. 'Chart data'!$AJ$3:$AJ$7
    col = ref.split("!")[1].split(":")[0].replace("$", "")
    data = book["Chart data"]
    assert data[col].value == pytest.approx(expected["score"].iloc[0]
                                            - expected["ci_low"].iloc[0])


def test_reliability_flags_listed_and_shown_beside_the_score(tmp_path):
    t = make_tables()
    flags = pd.DataFrame({"country": ["BRA", "BRA"], "target": "USA", "dimension": "culture",
                          "flag": ["alpha below .70", "loadings differ from other countries"],
                          "source": ["alpha", "invariance"], "value": [0.61, 0.002]})
    book = openpyxl.load_workbook(write_workbook(replace(t, flags=flags), tmp_path / "r.xlsx"))
    ws = book["Flags"]
    assert [ws.cell(r, 5).value for r in (3, 4)] == flags["flag"].tolist()
    dims = book["Dimension estimates"]
    j = [c.value for c in dims[2]].index("Reliability flag") + 1
    shown = {(dims.cell(r, 2).value, dims.cell(r, 3).value, dims.cell(r, 5).value):
             dims.cell(r, j).value for r in range(3, dims.max_row + 1)}
    assert shown[("BRA", "United States", "culture")] == (
        "alpha below .70; loadings differ from other countries")
    assert shown[("BRA", "China", "culture")] is None
    assert shown[("DEU", "United States", "culture")] is None
    # On the printed (wide) Dimensions sheet the flagged score is highlighted.
    wide = book["Dimensions"]
    j = [c.value for c in wide[2]].index("culture") + 1
    at = {(wide.cell(r, 2).value, wide.cell(r, 3).value, wide.cell(r, 4).value): r
          for r in range(4, wide.max_row + 1)}
    assert wide.cell(at[("BRA", "United States", "All adults")], j).fill.fgColor.rgb == \
        "00FFE699"
    assert wide.cell(at[("BRA", "China", "All adults")], j).fill.fgColor.rgb != "00FFE699"
    empty = openpyxl.load_workbook(write_workbook(t, tmp_path / "e.xlsx"))["Flags"]
    assert empty["A3"].value == "nothing flagged"


def test_suppress_blanks_every_estimate_column_of_a_cell():
    """Issue 16's column names: a suppressed cell shows no estimate in any scheme's column,
    item-scale (mean_*), 0-100 (score, se, ci_*), % favourable, or a target-named score."""
    bases = pd.DataFrame({"country": ["BRA", "DEU"], "target": "USA", "audience": "all",
                          "suppressed": [False, True]})
    fav = pd.DataFrame({"country": ["BRA", "DEU"], "target": "USA", "audience": "all",
                        **{c: [1.0, 2.0] for c in ("score", "se", "ci_low", "ci_high", "mean",
                                                   "mean_se", "mean_ci_low", "mean_ci_high",
                                                   "pct_favourable", "pct_se", "pct_ci_low",
                                                   "pct_ci_high")}, "n": [500, 40]})
    out = suppress(fav, bases)
    assert out.drop(columns=["country", "target", "audience", "n"]).iloc[1].isna().all()
    assert (out.loc[0, "score":"pct_ci_high"] == 1.0).all() and out.loc[1, "n"] == 40
    cmp = pd.DataFrame({"country": ["BRA", "DEU"], "audience": "all", "target_a": "USA",
                        "target_b": "CHN", "score_USA": [50.0, 51.0], "score_CHN": [40.0, 41.0],
                        "difference": [10.0, 10.0]})
    got = suppress(cmp, bases)
    assert got.loc[1, ["score_USA", "score_CHN", "difference"]].isna().all()
    assert got.loc[0, "score_USA"] == 50.0
