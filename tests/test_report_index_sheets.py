"""The index engine's tables in the workbook: Ranks, Pooled, Weights and the Sensitivity sheets.

A small simulated survey (5 countries, 20 replicates) goes through ``compute_index`` and
``si.write_report``; every cell of the new sheets is checked against the result's own tables.
"""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

import surveyindex as si
from surveyindex.pipeline import PipelineResult
from surveyindex.project import IndexOptions
from surveyindex.report import BaseRule, Labels, ReportTables, write_workbook
from surveyindex.report.index_sheets import GUIDE

COUNTRIES = ["BRA", "DEU", "IND", "JPN", "ZAF"]
# Competence alone swaps Brazil and India among the USA's raters, so some ranks do change.
TILTED = {"morality": 0, "competence": 1, "culture": 0, "technology": 0, "education": 0}
FACTORS = {"weights": ["equal", TILTED], "aggregation": ["arithmetic", "geometric"]}
# Sheet -> the result's table, header row, and the number format of some columns.
SHEETS = {
    "Ranks": ("ranks", ["Country", "ISO", "Target", "Audience", "Ranked among", "Score", "Rank",
                        "Median rank", "Rank from", "Rank to", "Share ranked first"],
              {"score": "0.0", "rank_median": "General", "p_first": "0%"}),
    "Pooled": ("pooled", ["Target", "Audience", "Measure", "Score", "SE", "CI low", "CI high",
                          "n", "Effective n", "Countries", "Pooling", "Country weights"],
               {"score": "0.0", "se": "0.00", "ci_low": "0.0", "n_eff": "#,##0",
                "n_countries": "#,##0"}),
    "Weights": ("weights", ["Audience", "Dimension", "Method", "Weight", "SE", "CI low",
                            "CI high", "How derived"],
                {"weight": "0.000", "se": "0.000", "ci_high": "0.000"}),
    "Sensitivity": ("sensitivity", ["Country", "ISO", "Target", "Audience", "Rank (method used)",
                                    "Median rank", "Rank from", "Rank to"],
                    {"rank": "General", "rank_high": "General"}),
    "Sensitivity indices": ("sensitivity_indices", ["Audience", "Output", "Country", "ISO",
                                                    "Target", "Choice varied", "First-order index",
                                                    "Total index"],
                            {"first_order": "0.00", "total": "0.00"}),
}
# The result's columns each sheet shows, labels (Labels.add) beside the codes.
COLUMNS = {
    "ranks": ["country_label", "country", "target_label", "audience_label", "among", "score",
              "rank", "rank_median", "rank_low", "rank_high", "p_first"],
    "pooled": ["target_label", "audience_label", "measure_label", "score", "se", "ci_low",
               "ci_high", "n", "n_eff", "n_countries", "pooling", "country_weights"],
    "weights": ["audience_label", "dimension_label", "method", "weight", "se", "ci_low",
                "ci_high", "derivation"],
    "sensitivity": ["country_label", "country", "target_label", "audience_label", "rank",
                    "rank_median", "rank_low", "rank_high"],
    "sensitivity_indices": ["audience_label", "output", "country_label", "country",
                            "target_label", "factor", "first_order", "total"],
}


@pytest.fixture(scope="module")
def design(inst):
    sim = si.simulate_softpower(n_per_country=250, countries=COUNTRIES, seed=5, problems=False)
    resp = si.read_responses(sim.responses, inst)
    return resp, si.make_design(resp).with_replicates("bootstrap", n=20, seed=3).rake(sim.margins)


def _pipeline(inst, design, **options) -> PipelineResult:
    resp, d = design
    index = si.compute_index(d, weights="pca", seed=2, **options)
    methodology = {"Instrument": "softpower", "Dimension weights": "pca",
                   "Aggregation": "arithmetic mean", "Software": "surveyindex"}
    return PipelineResult(inst, resp, d, index, pd.DataFrame(), d.diagnostics(by="country"),
                          methodology)


@pytest.fixture(scope="module")
def with_sensitivity(inst, design):
    return _pipeline(inst, design, sensitivity=16, sensitivity_factors=FACTORS)


@pytest.fixture(scope="module")
def book(with_sensitivity, tmp_path_factory):
    out = si.write_report(with_sensitivity, tmp_path_factory.mktemp("r") / "report.xlsx")
    return openpyxl.load_workbook(out)


@pytest.fixture(scope="module")
def plain(inst, design, tmp_path_factory):
    res = _pipeline(inst, design)
    return res, openpyxl.load_workbook(si.write_report(res, tmp_path_factory.mktemp("p") / "p.xlsx"))


def _cell(v):
    """A DataFrame value as the workbook stores it."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, (np.integer, np.floating)):
        return v.item()
    return v


def test_sheets_follow_leads_and_methodology_stays_last(book):
    names = book.sheetnames
    i = names.index("Leads")
    assert names[i + 1:i + 6] == ["Ranks", "Pooled", "Weights", "Sensitivity",
                                  "Sensitivity indices"]
    assert names[i + 6] == "Items" and names[-1] == "Methodology"


@pytest.mark.parametrize("sheet", list(SHEETS))
def test_caption_header_and_layout(book, sheet):
    ws = book[sheet]
    headers = SHEETS[sheet][1]
    assert [c.value for c in ws[2]][:len(headers)] == headers
    caption = ws["A1"]
    assert isinstance(caption.value, str) and len(caption.value) > 40 and caption.font.i
    assert f"A1:{openpyxl.utils.get_column_letter(len(headers))}1" in \
        [r.coord for r in ws.merged_cells.ranges]
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == f"A2:{openpyxl.utils.get_column_letter(len(headers))}{ws.max_row}"
    assert all(ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width >= 6
               for j in range(1, len(headers) + 1))


@pytest.mark.parametrize("sheet", list(SHEETS))
def test_every_cell_is_the_result_value(with_sensitivity, book, sheet):
    table, headers, formats = SHEETS[sheet]
    df = Labels.from_instrument(with_sensitivity.instrument).add(
        getattr(with_sensitivity.index, table))
    assert not df.empty
    ws = book[sheet]
    rows = list(ws.iter_rows(min_row=3, max_col=len(headers)))
    assert len(rows) == len(df)
    cols = COLUMNS[table]
    for cells, (_, expected) in zip(rows, df[cols].iterrows()):
        for c, name in zip(cells, cols):
            want = _cell(expected[name])
            if isinstance(want, float):
                assert c.value == pytest.approx(want, rel=1e-12, abs=1e-15), (sheet, c.coordinate)
            else:
                assert c.value == want, (sheet, c.coordinate)
    for name, number_format in formats.items():
        j = cols.index(name)
        shown = [r[j] for r in rows if isinstance(r[j].value, (int, float))]
        assert shown and all(c.number_format == number_format for c in shown), (sheet, name)


def test_median_rank_of_a_country(with_sensitivity, book):
    r = with_sensitivity.index.ranks
    row = r[(r.country == "IND") & (r.target == "CHN") & (r.audience == "all")
            & (r.among == "countries")].iloc[0]
    ws = book["Ranks"]
    found = [x for x in ws.iter_rows(min_row=3, values_only=True)
             if x[:5] == ("India", "IND", "China", "All adults", "countries")]
    assert len(found) == 1
    assert found[0][7] == row["rank_median"] and found[0][10] == pytest.approx(row["p_first"])
    # Rank intervals are whole ranks (order statistics of the replicate ranks).
    assert float(found[0][8]).is_integer() and float(found[0][9]).is_integer()
    # The pooled figures are ranked too.
    assert any(x[1] == "(pooled)" and x[4] == "pooled" for x in ws.iter_rows(min_row=3,
                                                                              values_only=True))


def test_captions_name_replicates_level_and_pooling(book):
    assert "20 bootstrap replicates" in book["Ranks"]["A1"].value
    assert "rank 1 = highest score" in book["Ranks"]["A1"].value
    assert "95%" in book["Pooled"]["A1"].value and "mean of the country scores" in \
        book["Pooled"]["A1"].value
    assert "weights, aggregation" in book["Sensitivity"]["A1"].value


def test_methodology_names_weights_pooling_and_sensitivity(book):
    notes = {r[0]: r[1] for r in book["Methodology"].iter_rows(min_row=2, values_only=True)}
    keys = list(notes)
    assert keys.index("Weight derivation") == keys.index("Aggregation") + 1
    # PCA weights differ by audience, so each audience's derivation is named.
    assert notes["Weight derivation"].startswith("audience all: pca: squared loadings on the "
                                                 "first principal component")
    assert "audience g20_youth: pca:" in notes["Weight derivation"]
    assert "each country counted equally" in notes["Pooling"]
    assert "weights, aggregation" in notes["Sensitivity analysis"]
    guide = [r[0] for r in book["Summary"].iter_rows(max_col=1, values_only=True)]
    assert all(name in guide for name in GUIDE)


def test_no_sensitivity_sheets_unless_run(plain):
    res, wb = plain
    assert res.index.sensitivity.empty
    assert "Sensitivity" not in wb.sheetnames and "Sensitivity indices" not in wb.sheetnames
    assert {"Ranks", "Pooled", "Weights"} <= set(wb.sheetnames)
    notes = {r[0]: r[1] for r in wb["Methodology"].iter_rows(min_row=2, values_only=True)}
    assert notes["Sensitivity analysis"].startswith("not run")
    guide = [r[0] for r in wb["Summary"].iter_rows(max_col=1, values_only=True)]
    assert "Ranks" in guide and "Sensitivity" not in guide


def test_no_cell_holds_a_formula(book):
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)


def test_text_from_the_tables_stays_text(tmp_path):
    evil = '=HYPERLINK("http://evil.example","x")'
    weights = pd.DataFrame({"audience": "all", "dimension": ["a", "b"], "method": "user",
                            "weight": [0.5, 0.5], "se": 0.0, "ci_low": 0.5, "ci_high": 0.5,
                            "derivation": evil})
    t = ReportTables("T", *[pd.DataFrame()] * 9, methodology={}, weights=weights)
    ws = openpyxl.load_workbook(write_workbook(t, tmp_path / "t.xlsx"))["Weights"]
    assert ws["H3"].value == evil and ws["H3"].data_type == "s" and ws["H3"].quotePrefix


def test_suppressed_cells_have_their_ranks_blanked(inst, with_sensitivity, tmp_path):
    bases = si.report.sample_bases(with_sensitivity.index.dimensions)
    smallest = bases.sort_values("n_eff").iloc[0]
    rule = BaseRule(flag_below=1000, suppress_below=float(smallest["n_eff"]) + 0.5)
    wb = openpyxl.load_workbook(si.write_report(with_sensitivity, tmp_path / "s.xlsx",
                                                base_rule=rule))
    lab = Labels.from_instrument(with_sensitivity.instrument)
    key = (smallest["country"], lab.target(smallest["target"]), lab.audience(smallest["audience"]))
    for sheet in ("Ranks", "Sensitivity"):
        rows = [r for r in wb[sheet].iter_rows(min_row=3, values_only=True) if r[1:4] == key]
        assert rows and all(v is None for r in rows for v in r[5 if sheet == "Ranks" else 4:])
        others = [r for r in wb[sheet].iter_rows(min_row=3, values_only=True) if r[1:4] != key]
        assert all(r[6 if sheet == "Ranks" else 4] is not None for r in others)


def test_project_option_passes_sensitivity_to_compute_index():
    assert IndexOptions(sensitivity=64).method() == {"sensitivity": 64}
    assert "sensitivity" not in IndexOptions().method()
