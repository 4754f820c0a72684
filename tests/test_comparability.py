"""Comparability downstream (issue 21, item 5): each score says whether it compares across
countries, the aligned means are reportable, and the Flags sheet explains.

One project run on the bundled sample with a planted violation: Japan answers the USA culture
item cul2 one step higher at the same level of the trait (an intercept shift), so scalar
invariance of USA culture fails for one country by design and the partial search frees that
intercept. The statistics are pinned elsewhere (lavaan: tests/test_robust.py; sirt:
tests/test_alignment.py); here the tables must agree with them row for row.
"""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

import surveyindex as si
from surveyindex.errors import EstimationError
from surveyindex.reliability import (
    COMPARABILITY,
    InvarianceResult,
    align_configural,
    aligned_means_table,
    fit_cfa,
    invariance,
    with_comparability,
)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("comparability")
    raw = pd.read_csv(si.sample_paths()["responses"])
    jpn = (raw["country"] == "JPN") & raw["USA_cul2"].between(1, 4)
    raw.loc[jpn, "USA_cul2"] += 1
    raw.to_csv(folder / "planted.csv", index=False)
    (folder / "p.yaml").write_text(
        f"instrument: softpower\nresponses: planted.csv\nmargins: {si.sample_paths()['margins']}\n"
        "replicates: {n: 10, seed: 1}\nreliability: {aligned_means: true}\n"
        "outputs: {workbook: out/report.xlsx, tables: out/tables}\n")
    res = si.run_project(folder / "p.yaml", progress=False)
    return res, folder / "out"


def test_dimension_comparability_agrees_with_invariance(run):
    res, _ = run
    dims, comp = res.index.dimensions, res.invariance.comparable
    want = comp.set_index(["country", "target", "dimension"])["comparable"]
    got = dims.set_index(["country", "target", "dimension"])["comparability"]
    assert len(want) == 130 and set(got.index) == set(want.index)  # every dimension tested
    assert (got == want.reindex(got.index)).all()                   # every audience's row
    assert dims["audience"].nunique() == 2
    bad = dims[dims["comparability"] != "scalar"]
    assert set(map(tuple, bad[["country", "target", "dimension"]].to_numpy())) == {
        ("JPN", "USA", "culture")}
    assert set(bad["comparability"]) == {"partial"}
    assert comp.set_index(["country", "target", "dimension"]).loc[
        ("JPN", "USA", "culture"), "freed"] == "intercept cul2"


def test_composite_takes_its_least_comparable_dimension(run):
    res, _ = run
    c = res.index.composite.set_index(["country", "target", "audience"]).sort_index()
    assert (c.loc[("JPN", "USA"), "comparability"] == "partial").all()
    assert (c.loc[("JPN", "USA"), "comparability_note"] == "partial: culture").all()
    rest = c.drop(index=("JPN", "USA", "all")).drop(index=("JPN", "USA", "g20_youth"))
    assert (rest["comparability"] == "scalar").all() and (rest["comparability_note"] == "").all()


def test_aligned_means_equal_the_alignment_of_the_weighted_configural_fit(run):
    res, _ = run
    resp = res.responses
    inst = resp.instrument
    items = [it.id for it in next(d for d in inst.dimensions if d.id == "culture").items]
    x = resp.values[:, inst.target_codes.index("USA"), [inst.item_ids.index(i) for i in items]]
    data = pd.DataFrame(x, columns=items).assign(country=resp.respondents["country"].to_numpy(),
                                                 w=res.design.weights)
    data = data.dropna()
    ref = align_configural(fit_cfa(data, {"f": items}, group="country", weights="w"))["f"]
    got = res.aligned_means
    got = got[(got["target"] == "USA") & (got["dimension"] == "culture")]
    want = ref.groups.set_index("group").loc[got["country"]]  # fit_cfa keeps the data's order
    assert len(want) == 13 and want.index[0] == "ARG" == ref.groups["group"].iloc[0]
    np.testing.assert_allclose(got["aligned_mean"], want["mean"], atol=1e-6)
    np.testing.assert_allclose(got["aligned_sd"], want["sd"], atol=1e-6)
    assert (got["reference"] == "ARG").all()
    jpn = got.set_index("country").loc["JPN"]
    assert jpn["comparability"] == "partial" and "intercept cul2" in jpn["non_invariant"]
    # the table is invariance(...).comparable's aligned means, all 130 of them
    comp = res.invariance.comparable
    np.testing.assert_array_equal(res.aligned_means["aligned_mean"], comp["aligned_mean"])
    assert "se" not in res.aligned_means.columns  # the alignment gives no SE (the sheet says so)


def test_workbook_sheets(run):
    res, out = run
    wb = openpyxl.load_workbook(out / "report.xlsx")
    assert wb.sheetnames.index("Aligned means") == wb.sheetnames.index("Flags") + 1
    ws = wb["Aligned means"]
    assert "Asparouhov & Muthen 2014" in ws["A1"].value and "No SE" in ws["A1"].value
    assert "reference country has mean 0 and SD 1" in ws["A1"].value
    head = [c.value for c in ws[2]]
    assert head[:7] == ["Country", "ISO", "Target", "Dimension", "Aligned mean", "Aligned SD",
                        "Reference country"]
    body = pd.DataFrame(list(ws.iter_rows(min_row=3, values_only=True)), columns=head)
    assert len(body) == len(res.aligned_means) == 130
    np.testing.assert_allclose(body["Aligned mean"], res.aligned_means["aligned_mean"],
                               atol=1e-12)
    flags = [c.value for c in wb["Flags"]["A"] if c.value]
    assert "How to read the comparability lines" in flags
    guide = " ".join(str(v) for v in flags)
    for level in ("Scalar:", "Partial:", "Aligned only:", "Not estimable / not tested:"):
        assert level in guide
    assert wb["Flags"].print_area.endswith(f"$G${wb['Flags'].max_row}")
    index_head = [c.value for c in wb["Index"][2]]
    j = index_head.index("Comparability")
    cells = {(r[1], r[2], r[3]): r[j] for r in wb["Index"].iter_rows(min_row=3, values_only=True)}
    assert cells[("JPN", "United States", "All adults")] == "partial: Culture"
    assert cells[("ARG", "United States", "All adults")] == "scalar"
    assert "Comparability" in [c.value for c in wb["Dimensions"][3]]
    assert "Measurement invariance" in [c.value for c in wb["Methodology"]["A"]]
    tables = pd.read_csv(out / "tables" / "aligned_means.csv")
    assert len(tables) == 130 and "comparability" in pd.read_csv(out / "tables" / "dimensions.csv")


def test_no_invariance_leaves_the_report_as_it_was(tmp_path):
    res = si.run_pipeline(replicates=5, seed=1, progress=False)
    assert "comparability" not in res.index.dimensions and res.aligned_means.empty
    wb = openpyxl.load_workbook(si.write_report(res, tmp_path / "r.xlsx"))
    assert "Aligned means" not in wb.sheetnames
    assert "Comparability" not in [c.value for c in wb["Index"][2]]
    assert "How to read the comparability lines" not in [c.value for c in wb["Flags"]["A"]]


def _result(comparable) -> InvarianceResult:
    empty = pd.DataFrame()
    return InvarianceResult(empty, empty, empty, empty, {}, comparable=comparable)


def test_every_level_by_hand():
    """A hand case with every level: the composite's rule (aligned only > not estimable >
    not tested > partial > scalar) and 'not tested' where the invariance result has no row."""
    comp = pd.DataFrame({"target": "USA", "country": ["A", "B", "C", "D"] * 2,
                         "dimension": ["d1"] * 4 + ["d2"] * 4,
                         "comparable": ["scalar", "partial", "aligned only", "not estimable",
                                        "scalar", "scalar", "partial", "partial"],
                         "freed": ""})
    inv = _result(comp)
    dims = pd.DataFrame({"country": list("ABCDA"), "target": "USA",
                         "dimension": ["d1"] * 4 + ["d3"], "score": 1.0})
    out = with_comparability(dims, inv)
    assert out["comparability"].tolist() == ["scalar", "partial", "aligned only",
                                             "not estimable", "not tested"]
    assert set(out["comparability"]) <= set(COMPARABILITY)
    cells = pd.DataFrame({"country": list("ABCD"), "target": "USA", "audience": "all"})
    got = with_comparability(cells, inv, dimensions=["d1", "d2", "d3"])
    assert got["comparability"].tolist() == ["not tested", "not tested", "aligned only",
                                             "not estimable"]
    assert got["comparability_note"].tolist()[:3] == [
        "not tested: d3", "partial: d1; not tested: d3",
        "partial: d2; aligned only: d1; not tested: d3"]
    two = with_comparability(cells, inv, dimensions=["d1", "d2"])
    assert two["comparability"].tolist() == ["scalar", "partial", "aligned only", "not estimable"]


def test_errors(sample):
    with pytest.raises(EstimationError, match="lacks columns"):
        with_comparability(pd.DataFrame({"target": ["USA"]}), _result(pd.DataFrame(
            {"target": [], "dimension": [], "country": [], "comparable": []})))
    with pytest.raises(EstimationError, match="by='region'"):
        with_comparability(pd.DataFrame({"region": [1], "target": ["USA"]}),
                           _result(pd.DataFrame({"target": [], "dimension": [], "country": [],
                                                 "comparable": []})), by="region")
    res = invariance(sample, target="USA", dimensions=["culture"], align=False)
    with pytest.raises(EstimationError, match="align=True"):
        aligned_means_table(res)
