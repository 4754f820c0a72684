"""Quantiles on replicate designs against R survey 4.1.1 (R 4.2.2): svyquantile.svyrep.design.

Expected numbers: tests/reference/survey_collapse_quantiles.json (survey_collapse_quantiles.R).
Designs (R):
    dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    rjk1 <- as.svrepdesign(svydesign(id=~1, weights=~pw, data=apistrat), type="JK1")
        (R refuses JK1 on a stratified design, so the same sample without strata)
    rjkn <- as.svrepdesign(dstrat, type="JKn")
Jackknife replicates involve no random draws, so R's numbers reproduce exactly. R's default for a
replicate design is interval.type="mean" (Woodruff, the share's SE from the replicates);
interval.type="quantile" recomputes the quantile on every replicate. df is R's degf: rank of the
replicate weights - 1 (JKn on 3 strata: 197), per domain in svyby (the subset design's degf).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import reference, reference_data

import surveyindex as si
from surveyindex.errors import EstimationError
from surveyindex.estimate import estimate_quantiles
from surveyindex.estimate.quantiles import _qrule_math, _SortedColumns, replicate_df

REF = reference("survey_collapse_quantiles.json")["cases"]
RTOL = 1e-10
COLS = [("estimate", "quantile"), ("ci_low", "ci_low"), ("ci_high", "ci_high"), ("se", "se")]


@pytest.fixture(scope="module")
def reps():
    st = reference_data("apistrat")
    return st, {
        "rjk1": si.make_design(st, weights="pw", strata=None).with_replicates("JK1"),
        "rjkn": si.make_design(st, weights="pw", strata="stype", fpc="fpc").with_replicates("JKn"),
    }


@pytest.mark.parametrize("design", ["rjk1", "rjkn"])
@pytest.mark.parametrize("interval", ["mean", "quantile"])
def test_replicate_quantiles_match_r(reps, design, interval):
    """svyquantile(~api00+enroll, D, quantiles=c(.25,.5,.75), interval.type=I) with D rjk1 or
    rjkn: quantiles, CI and SE for both variables, and degf(D)."""
    st, designs = reps
    ref = REF[f"svyquantile_{design}_{interval}"]
    t = estimate_quantiles(designs[design], st[["api00", "enroll"]], probs=[0.25, 0.5, 0.75],
                           interval_type=interval)
    assert (t["df"] == ref["degf"]).all()
    for var in ("api00", "enroll"):
        tv = t[t["variable"] == var]
        for col, rcol in COLS:
            np.testing.assert_allclose(tv[col].to_numpy(float), ref[var][rcol], rtol=RTOL,
                                       atol=1e-9, err_msg=f"{var} {col}")


def test_pinned_values_spelled_out(reps):
    """R: svyquantile(~api00, rjkn, c(.25,.5,.75)) gives 565 [535, 597] SE 15.719451132039083,
    668 [642, 694] SE 13.184055788161812, 756 [726, 778] SE 13.184055788161812; with
    interval.type="quantile" the median's SE is 6.864880459007394 (degf 197)."""
    st, designs = reps
    t = estimate_quantiles(designs["rjkn"], st[["api00"]])
    np.testing.assert_allclose(t["se"], [15.719451132039083, 13.184055788161812,
                                         13.184055788161812], rtol=1e-10)
    # rtol 1e-10, not 1e-12: R prints 17 digits, but the last bits move with numpy's summation
    # order (1.3e-12 apart under numpy 1.24), which is not an error against R
    assert t["ci_low"].tolist() == [535, 642, 726] and t["ci_high"].tolist() == [597, 694, 778]
    q = estimate_quantiles(designs["rjkn"], st[["api00"]], probs=[0.5], interval_type="quantile")
    assert q.loc[0, "se"] == pytest.approx(6.864880459007394, rel=1e-10)


@pytest.mark.parametrize("design", ["rjk1", "rjkn"])
@pytest.mark.parametrize("interval", ["mean", "quantile"])
@pytest.mark.parametrize("by", ["awards", "stype"])
def test_replicate_domain_quantiles_match_svyby(reps, design, interval, by):
    """svyby(~api00, ~BY, D, svyquantile, quantiles=c(.25,.5,.75), interval.type=I, ci=TRUE,
    vartype=c("se","ci")): each domain's df is the subset design's degf (awards: 86 and 112)."""
    st, designs = reps
    ref = REF[f"svyby_{by}_{design}_{interval}"]
    t = estimate_quantiles(designs[design], st[["api00"]], by=by, interval_type=interval)
    for i, dom in enumerate(ref["domains"]):
        tv = t[t[by] == dom]
        assert int(tv["df"].iloc[0]) == ref["degf"][i]
        for col, rcol in COLS:
            np.testing.assert_allclose(tv[col].to_numpy(float), ref[rcol]["data"][i],
                                       rtol=RTOL, atol=1e-9, err_msg=f"{dom} {col}")


def test_quantile_interval_needs_replicates_and_a_known_type(reps):
    st, _ = reps
    d = si.make_design(st, weights="pw", strata="stype", fpc="fpc")
    with pytest.raises(EstimationError, match="replicate"):
        estimate_quantiles(d, st[["api00"]], interval_type="quantile")
    with pytest.raises(EstimationError, match="interval_type"):
        estimate_quantiles(d, st[["api00"]], interval_type="beta")


def test_df_override_and_replicate_rank():
    """df= overrides R's degf; the rank rule sees JKn's dependent columns."""
    st = reference_data("apistrat")
    d = si.make_design(st, weights="pw", strata="stype", fpc="fpc").with_replicates("JKn")
    assert replicate_df(np.asarray(d.replicate_weights)) == 197
    t = estimate_quantiles(d, st[["api00"]], probs=[0.5], interval_type="quantile", df=np.inf)
    assert t.loc[0, "df"] == np.inf
    assert t.loc[0, "ci_high"] - t.loc[0, "estimate"] == pytest.approx(
        1.959963984540054 * 6.864880459007394, rel=1e-12)


def test_all_replicates_at_once_equal_one_at_a_time():
    """The vectorised replicate quantiles equal qrule_math column by column, zero weights and
    ties included."""
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(1, 25))
        x = rng.integers(0, 6, n).astype(float)
        W = rng.integers(0, 4, (n, 6)).astype(float)
        W[0, W.sum(axis=0) == 0] = 1.0
        cols = _SortedColumns(x, W)
        for p in (0.1, 0.25, 0.5, 0.75, 1 / 3, 1.0):
            expected = [_qrule_math(x, W[:, r], p) for r in range(W.shape[1])]
            assert cols.quantile(p).tolist() == expected


def test_bootstrap_quantiles_by_country(sample):
    """On the bundled sample with bootstrap replicates (median age): one row per country, df
    the replicates - 1 and the interval containing the estimate."""
    d = si.make_design(sample).with_replicates("bootstrap", n=20, seed=2)
    vals = sample.respondents[["age"]].astype(float)
    for interval in ("mean", "quantile"):
        t = estimate_quantiles(d, vals, probs=[0.5], by="country", interval_type=interval)
        assert len(t) == sample.respondents["country"].nunique()
        assert (t["df"] == 19).all()
        assert ((t["ci_low"] <= t["estimate"]) & (t["estimate"] <= t["ci_high"])).all()


@pytest.mark.parametrize("design", ["rjk1", "rjkn"])
def test_degrees_of_freedom_of_replicate_designs_are_r_degf(reps, design):
    """degf(D) in R: rank of the replicate weights - 1 (rjk1 199, rjkn 197: JKn's replicates
    within each of the 3 strata sum to a dependent set). The same number serves svyciprop."""
    from surveyindex.estimate import degrees_of_freedom

    _, designs = reps
    assert degrees_of_freedom(designs[design]) == REF[f"svyquantile_{design}_mean"]["degf"]
