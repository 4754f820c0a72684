"""Replicate designs (JK1, JKn, BRR, Fay, bootstrap, supplied) against R survey 4.1.1.

Expected numbers: tests/reference/survey_replicates.json (survey_replicates.R, R 4.2.2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import reference, reference_data

import surveyindex as si
from surveyindex.design import FactorReplicates
from surveyindex.design.replicates import hadamard
from surveyindex.errors import WeightingError
from surveyindex.estimate import estimate_means, estimate_ratios, estimate_totals

REP = reference("survey_replicates.json")
CASES = REP["cases"]
REL = 1e-9


def _api2_api16():
    st = reference_data("apistrat")
    api2 = pd.concat([g.head(2) for _, g in st.groupby("stype")])   # R: split() then head(2)
    api16 = st.iloc[:16].assign(pstrat=np.repeat(np.arange(1, 9), 2))
    return {"api2": (api2, "stype"), "api16": (api16, "pstrat")}


def test_jk1_matches_r():
    """as.svrepdesign(dclus1, type="JK1"): scale 14/15*(1-15/757), svymean/svytotal(~api00)."""
    c1 = reference_data("apiclus1")
    d = si.make_design(c1, weights="pw", strata=None, psu="dnum", fpc="fpc").with_replicates("JK1")
    ref = CASES["JK1_dclus1"]
    assert d.replicate_scale == pytest.approx(ref["scale"], rel=1e-14)
    np.testing.assert_allclose(np.asarray(d.replicate_weights)[:, :5],
                               ref["analysis_weights_first5"]["data"], rtol=1e-14)
    assert estimate_means(d, c1[["api00"]]).se[0, 0] == pytest.approx(
        ref["svymean_api00"]["se"], rel=REL)
    assert estimate_totals(d, c1[["api00"]]).se[0, 0] == pytest.approx(
        ref["svytotal_api00"]["se"], rel=REL)


def test_jkn_matches_r():
    """as.svrepdesign(dstrat, type="JKn"): rscales (n_h-1)/n_h (1-n_h/N_h), 200 replicates."""
    st = reference_data("apistrat")
    d = si.make_design(st, weights="pw", strata="stype", fpc="fpc").with_replicates("JKn")
    ref = CASES["JKn_dstrat"]
    assert d.n_replicates == ref["n_replicates"]
    np.testing.assert_allclose(np.sort(d.replicate_rscales), np.sort(ref["rscales"]), rtol=1e-14)
    assert estimate_means(d, st[["api00"]]).se[0, 0] == pytest.approx(
        ref["svymean_api00"]["se"], rel=REL)
    assert estimate_totals(d, st[["api00"]]).se[0, 0] == pytest.approx(
        ref["svytotal_api00"]["se"], rel=REL)


@pytest.mark.parametrize("case, data, kind, rho", [
    ("BRR_api2", "api2", "BRR", 0.0), ("BRR_api16", "api16", "BRR", 0.0),
    ("Fay_api2_rho0.3", "api2", "Fay", 0.3), ("Fay_api16_rho0.3", "api16", "Fay", 0.3)])
def test_brr_and_fay_match_r(case, data, kind, rho):
    """as.svrepdesign(d, type="BRR" / "Fay", fay.rho=0.3). Our Hadamard matrix may differ from
    R's (api16: 8 strata, 12 replicates), but a fully balanced BRR gives every total the same
    variance, so svytotal SEs must agree exactly; svymean SEs agree exactly when R's replicate
    weights are supplied (and here also from our own construction)."""
    df, strata = _api2_api16()[data]
    ref = CASES[case]
    assert df.snum.tolist() == ref["snum"]
    d = si.make_design(df, weights="pw", strata=strata)
    b = d.with_replicates(kind, fay_rho=rho)
    assert b.n_replicates == ref["n_replicates"]
    assert b.replicate_scale == pytest.approx(ref["scale"], rel=1e-14)
    assert estimate_totals(b, df[["api00"]]).se[0, 0] == pytest.approx(
        ref["svytotal_api00"]["se"], rel=REL)
    sup = si.make_design(df, weights="pw", strata=strata,
                         replicate_weights=np.array(ref["analysis_weights"]["data"]),
                         replicate_scale=ref["scale"])
    assert estimate_means(sup, df[["api00"]]).se[0, 0] == pytest.approx(
        ref["svymean_api00"]["se"], rel=REL)


@pytest.mark.parametrize("case, rho", [("BRR_scd_docexample", 0.0), ("Fay_scd_rho0.3", 0.3)])
def test_scd_documentation_example(case, rho):
    """?as.svrepdesign: scdnofpc <- svydesign(data=scd, prob=~1, id=~ambulance, strata=~ESA,
    nest=TRUE); as.svrepdesign(scdnofpc, type="BRR"/"Fay"); svymean(~arrests+alive),
    svyratio(~alive, ~arrests). Our replicate weights equal R's here (4 x 4 Hadamard)."""
    scd = pd.DataFrame(REP["scd_data"])
    ref = CASES[case]
    d = si.make_design(scd, strata="ESA", psu="ambulance").with_replicates(
        "Fay" if rho else "BRR", fay_rho=rho)
    np.testing.assert_allclose(np.asarray(d.replicate_weights), ref["analysis_weights"]["data"])
    m = estimate_means(d, scd[["arrests", "alive"]])
    np.testing.assert_allclose(m.se[0], [ref["svymean"]["se"]["arrests"],
                                         ref["svymean"]["se"]["alive"]], rtol=REL)
    r = estimate_ratios(d, scd[["alive"]], scd[["arrests"]])
    assert r.se[0, 0] == pytest.approx(ref["svyratio_alive_arrests"]["se"], rel=REL)


def test_hadamard_orders_and_orthogonality():
    for k in [1, 2, 3, 4, 5, 9, 13, 20, 25]:
        h = hadamard(k)
        assert h.shape[0] >= k and (h[:, 0] == 1).all()
        np.testing.assert_array_equal(h @ h.T, h.shape[0] * np.eye(h.shape[0]))
    assert hadamard(9).shape[0] == 12 and hadamard(17).shape[0] == 20


def test_brr_needs_two_psus_per_stratum():
    d = si.make_design(pd.DataFrame({"country": ["A", "A", "A", "B", "B"]}), strata="country")
    with pytest.raises(WeightingError, match="exactly 2 PSUs in every stratum; stratum country A has 3"):
        d.with_replicates("BRR")
    with pytest.raises(WeightingError, match="not available"):
        d.with_replicates("jackknife")


def test_compact_bootstrap_equals_its_dense_form(sample, margins):
    """The compact replicates (draw counts x raking factors) give the same raked weights and
    estimates as the same replicates held densely."""
    d = si.make_design(sample).with_replicates("bootstrap", n=6, seed=5)
    assert isinstance(d.replicate_weights, FactorReplicates)
    dense = d.with_weights(d.weights, np.asarray(d.replicate_weights))
    rc, rd = d.rake(margins, by="country"), dense.rake(margins, by="country")
    np.testing.assert_allclose(np.asarray(rc.replicate_weights), rd.replicate_weights, rtol=1e-12)
    y = sample.respondents[["age"]]
    a = estimate_means(rc, y, by="country")
    b = estimate_means(rd, y, by="country")
    np.testing.assert_allclose(a.se, b.se, rtol=1e-10)
    # One byte per PSU and replicate for the draws, whatever the number of replicates.
    assert rc.replicate_weights.counts.dtype == np.uint8


def test_supplied_replicate_columns_and_mse():
    """Replicate weights read from data columns; with mse=True deviations are centred on the
    full-sample estimate. Means: full 2.75; replicates 2.5 and 3.5 (mean 3.0).
    mse=False: (0.25 + 0.25) * 1 = 0.5; mse=True: (0.0625 + 0.5625) = 0.625."""
    df = pd.DataFrame({"y": [1.0, 2.0, 4.0], "w": [1.0, 1, 2], "r1": [2.0, 0, 2],
                       "r2": [0.0, 1, 3]})
    for mse, var in [(False, 0.5), (True, 0.625)]:
        d = si.make_design(df, weights="w", strata=None, replicate_weights=["r1", "r2"],
                           replicate_mse=mse)
        est = estimate_means(d, df[["y"]])
        np.testing.assert_allclose(est.replicates[0, 0], [2.5, 3.5])
        assert est.se[0, 0] == pytest.approx(np.sqrt(var))
    with pytest.raises(WeightingError, match=r"replicate weight column\(s\) \['r3'\] not found"):
        si.make_design(df, strata=None, replicate_weights=["r1", "r3"])


def test_compact_replicates_index_like_the_dense_matrix():
    """Row blocks, single columns and single rows of the compact store equal the dense matrix's
    (the store materialises only what is asked for)."""
    from surveyindex.design.repweights import FactorReplicates

    rng = np.random.default_rng(0)
    f = FactorReplicates(rng.random(7), np.full(7, 1.5), np.arange(7),
                         rng.integers(0, 3, (7, 5)).astype(np.uint8),
                         layers=((rng.integers(0, 2, 7), rng.random((2, 5))),))
    dense = np.asarray(f)
    keys = [slice(2, 5), (slice(None), 1), (slice(1, 4), slice(1, 3)), 3, (3, slice(None)),
            (np.array([0, 2]), slice(None)), (slice(None), slice(None, None, 2)),
            (np.array([True] * 3 + [False] * 4), 2), (-1, 2)]
    for key in keys:
        np.testing.assert_array_equal(f[key], dense[key])


@pytest.mark.parametrize("threads", ["1", "2"])
def test_bootstrap_draws_follow_the_plain_rao_wu_recipe(monkeypatch, threads):
    """The counts equal the recipe written out plainly: per stratum in order of first code, per
    replicate, ``n_h - 1`` PSUs drawn with ``rng.integers(0, n_h, n_h - 1)`` (numpy's default
    64-bit draws, one random stream), counted per PSU; whatever the number of threads and the
    block size of the draws (the package draws 32-bit integers in blocks of replicates)."""
    monkeypatch.setenv("SURVEYINDEX_THREADS", threads)
    n_h = [3, 1200, 7, 2]
    strata = np.repeat(["a", "b", "c", "d"], n_h)
    data = pd.DataFrame({"s": strata, "psu": np.arange(len(strata))}).sample(frac=1.0,
                                                                           random_state=1)
    d = si.make_design(data, strata="s", psu="psu").with_replicates("bootstrap", n=1000, seed=11)
    counts = d.replicate_weights.counts[d.replicate_weights.psu_of]
    ref = np.random.default_rng(11)
    for h, m in zip("abcd", n_h):
        rows = np.flatnonzero(data["s"].to_numpy() == h)
        # PSUs of the stratum in order of their code (psu values sorted), as the layout numbers them
        rows = rows[np.argsort(data["psu"].to_numpy()[rows], kind="stable")]
        expect = np.zeros((m, 1000), dtype=np.int64)
        for r in range(1000):
            expect[:, r] = np.bincount(ref.integers(0, m, m - 1), minlength=m)
        np.testing.assert_array_equal(counts[rows], expect)
