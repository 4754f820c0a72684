"""Issue 17: labels for readers, the favourability estimate, whole-number rank intervals, the
adjusted intervals of the comparison, and write_report's title / sheets / language options."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest
from scipy.stats import norm

import surveyindex as si
from surveyindex.errors import ReportError
from surveyindex.index.uncertainty import order_interval, rank_distribution
from surveyindex.report import Labels, country_name


@pytest.fixture(scope="module")
def res():
    return si.run_pipeline(replicates=20, seed=4, progress=False)


@pytest.fixture(scope="module")
def book(res, tmp_path_factory):
    return openpyxl.load_workbook(si.write_report(res, tmp_path_factory.mktemp("l") / "r.xlsx",
                                                  run_date="2026-12-01"))


# -- labels ---------------------------------------------------------------------------------------

def test_country_names_from_iso_3166():
    # pycountry's common name where it has one, its name otherwise; unknown codes kept as they are.
    assert [country_name(c) for c in ("DEU", "KOR", "TUR", "GBR", "XKX", "(pooled)")] == \
        ["Germany", "South Korea", "Türkiye", "United Kingdom", "XKX", "(pooled)"]
    assert country_name("DEU", "fr") == "Allemagne" and country_name("DE") == "Germany"


def test_instrument_labels_and_item_wording():
    lab = Labels.from_instrument(si.load_instrument("softpower"))
    assert lab.target("USA") == "United States" and lab.audience("g20_youth") == "G20 youth, 18-34"
    assert lab.dimension("morality") == "Morality" and lab.dimension("composite") == \
        "Composite index"
    assert lab.item("cul2", "CHN") == "The lifestyle in China is attractive."
    assert lab.item("fav", "USA") == ("Overall, how favourable or unfavourable is your opinion "
                                      "of the United States?")


def test_report_language_uses_the_instruments_translations():
    inst = si.load_instrument("favourability")
    es = Labels.from_instrument(inst, "es")
    assert es.dimension("favourability") == "Opinión favorable"
    assert es.item("fav", "RUS").startswith("¿Tiene usted una opinión muy favorable")
    assert es.item("fav", "RUS").endswith("de Rusia?")
    assert es.country("JPN") == "Japón"
    with pytest.raises(ReportError, match=r"'de'.*\['en', 'es', 'fr'\]"):
        Labels.from_instrument(inst, "de")


def test_every_sheet_shows_names_not_codes(book):
    for name in ("Index", "Favourability", "USA vs CHN", "Bases"):
        values = {c for row in book[name].iter_rows(min_row=2, values_only=True) for c in row}
        assert {"Germany", "All adults", "G20 youth, 18-34"} <= values, name
        assert "g20_youth" not in values and "morality" not in values, name
        assert any("United States" in str(v) for v in values), name
    items = {c for row in book["Items"].iter_rows(values_only=True) for c in row}
    assert "The United States acts responsibly in world affairs." in items
    assert "Morality" in items and "mor1" not in items
    summary = [c for row in book["Summary"].iter_rows(values_only=True) for c in row if c]
    assert "Run 2026-12-01 \u00b7 How the world sees the United States and China (softpower "\
        "1.0.0)" in summary
    assert "G20 youth, 18-34 (12 countries)" in summary
    assert not any("/" in str(c) and "_bundled" in str(c) for c in summary)


# -- favourability --------------------------------------------------------------------------------

def test_favourability_by_hand(res):
    """% favourable (6-10 on the 0-10 scale) and the mean, Argentina x USA x all adults, from
    the weights and the replicate weights directly; SE = sqrt(1/(R-1) sum (t_r - mean t)^2)."""
    d, resp = res.design, res.responses
    fav = resp.single["fav"][:, resp.instrument.target_codes.index("USA")]
    rows = (d.data["country"].astype(str) == "ARG").to_numpy() & ~np.isnan(fav)
    x, w, rw = fav[rows], d.weights[rows], np.asarray(d.replicate_weights)[rows]
    got = res.index.favourability.set_index(["country", "target", "audience", "item"]).loc[
        ("ARG", "USA", "all", "fav")]
    for value, column, se_column, scale in ((x, "mean", "mean_se", 1.0),
                                            ((x >= 6).astype(float), "pct_favourable", "pct_se",
                                             100.0)):
        est = scale * (w @ value) / w.sum()
        reps = scale * (rw.T @ value) / rw.sum(axis=0)
        se = np.sqrt(((reps - reps.mean()) ** 2).sum() / (len(reps) - 1))
        assert got[column] == pytest.approx(est, rel=1e-12)
        assert got[se_column] == pytest.approx(se, rel=1e-9)
    assert got["pct_ci_low"] == pytest.approx(got["pct_favourable"] - norm.ppf(0.975)
                                              * got["pct_se"])
    assert got["n"] == rows.sum() and got["favourable_codes"] == "6-10"
    # Every country x target x audience with respondents, in the workbook too.
    assert len(res.index.favourability) == len(res.index.composite)


def test_favourability_sheet(book, res):
    ws = book["Favourability"]
    header = [c.value for c in ws[2]]
    assert header[:9] == ["Country", "ISO", "Target", "Audience", "Item", "% favourable",
                          "% CI low", "% CI high", "Mean rating"]
    assert ws.max_row - 2 == len(res.index.favourability)
    assert "codes 6-10" in ws["A1"].value and "Overall, how favourable" in ws["A1"].value


# -- ranks and counts: whole numbers --------------------------------------------------------------

def test_order_statistics_by_hand():
    # 200 replicate values 1..200 at 95%: a = 0.025, positions 1 + 199 a = 5.975 -> 5th and
    # 1 + 199 (1 - a) = 195.025 -> 196th; interpolation would give 5.975 and 195.025.
    lo, hi = order_interval(np.arange(1.0, 201.0)[None, :], 0.95)
    assert (lo[0], hi[0]) == (5.0, 196.0)
    # Ranks of 3 units in 5 replicates; unit 0 ranks 1, 2, 1, 3, 1 -> sorted 1 1 1 2 3; at 50%
    # positions 1 + 4 * 0.25 = 2 -> 1, and 1 + 4 * 0.75 = 4 -> 2.
    x = np.array([[9.0, 9, 5, 9, 1, 9], [5.0, 5, 9, 5, 5, 5], [1.0, 1, 1, 1, 9, 1]])
    d = rank_distribution(x, level=0.5)
    assert (d["rank_low"][0], d["rank_high"][0]) == (1.0, 2.0)


def test_rank_and_count_intervals_are_whole(res):
    c, r, leads = res.index.composite, res.index.ranks, res.index.leads
    for col in ("rank_low", "rank_high"):
        assert np.all(np.mod(c[col], 1) == 0) and np.all(np.mod(r[col].dropna(), 1) == 0)
    for col in ("USA_leads_ci_low", "USA_leads_ci_high", "CHN_leads_ci_low", "CHN_leads_ci_high"):
        assert np.all(np.mod(leads[col], 1) == 0)
    assert (c["rank_low"] <= c["rank_high"]).all()


# -- comparison: adjusted intervals agree with the Holm marks ------------------------------------

def test_bonferroni_intervals(res):
    cmp = res.index.comparison
    for (aud, measure), g in cmp.groupby(["audience", "measure"]):
        m = len(g)
        z = norm.ppf(1 - 0.05 / (2 * m))  # Bonferroni over the m countries compared
        np.testing.assert_allclose(g["ci_high_adjusted"] - g["difference"], z * g["se"])
        excludes = (g["ci_low_adjusted"] > 0) | (g["ci_high_adjusted"] < 0)
        # An adjusted interval that excludes 0 is Holm-significant (Holm p <= Bonferroni p).
        assert not (excludes & ~g["significant"]).any(), (aud, measure)


def test_wide_differences_table(book, res):
    ws = book["Differences"]
    cmp = res.index.comparison.set_index(["country", "audience", "measure"])
    header = [c.value for c in ws[3]]
    assert header[:3] == ["Country", "ISO", "Morality"] and header[-1] == "Composite index"
    row = next(r for r in ws.iter_rows(min_row=4) if r[1].value == "DEU")
    want = cmp.loc[("DEU", "all", "composite")]
    assert row[-1].value == pytest.approx(want["difference"])
    assert row[-1].number_format.endswith('"*"') == bool(want["significant"])


# -- write_report options -------------------------------------------------------------------------

def test_title_and_sheets(res, tmp_path):
    out = si.write_report(res, tmp_path / "t.xlsx", title="Soft power 2026",
                          sheets=["Charts", "comparison", "Index"])
    wb = openpyxl.load_workbook(out)
    assert [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"] == \
        ["Summary", "Charts", "Index", "USA vs CHN"]
    assert wb["Summary"]["A1"].value == "Soft power 2026"
    guide = [r[0] for r in wb["Summary"].iter_rows(max_col=1, values_only=True)]
    assert "Index" in guide and "Reliability" not in guide
    with pytest.raises(ReportError, match="no sheet 'Tables'.*'Index'"):
        si.write_report(res, tmp_path / "u.xlsx", sheets=["Tables"])


def test_language_option(res, tmp_path):
    # The instrument's translations label the workbook (favourability has en, es, fr).
    inst = si.load_instrument("favourability")
    composite = pd.DataFrame({"country": ["DEU", "JPN"] * 3, "target": np.repeat(
        ["USA", "CHN", "RUS"], 2), "audience": "all", "score": 50.0, "se": 1.0, "ci_low": 48.0,
        "ci_high": 52.0, "n": 500})
    items = composite.assign(dimension="favourability", item="fav", mean=2.5)
    t = si.report.ReportTables("Opinions", composite, pd.DataFrame(), pd.DataFrame(),
                               pd.DataFrame(), items, *[pd.DataFrame()] * 4, methodology={},
                               labels=Labels.from_instrument(inst, "fr"))
    wb = openpyxl.load_workbook(si.report.write_workbook(t, tmp_path / "fr.xlsx"))
    values = {c for row in wb["Index"].iter_rows(min_row=3, values_only=True) for c in row}
    assert {"Allemagne", "Japon", "Chine", "\u00c9tats-Unis"} <= values
    wording = {c for row in wb["Items"].iter_rows(values_only=True) for c in row}
    assert any(str(w).startswith("Avez-vous une opinion") and "de la Chine" in str(w)
               for w in wording)
    # write_report passes the language on, and refuses one the instrument lacks.
    with pytest.raises(ReportError, match="report language 'fr'"):
        si.write_report(res, tmp_path / "x.xlsx", language="fr")
