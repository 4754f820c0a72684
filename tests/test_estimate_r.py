"""Estimators and weighting against R survey 4.1.1 (R 4.2.2), to a relative 1e-9 or better.

Expected numbers come from tests/reference/survey_estimators.json (survey_estimators.R),
survey_rake.json (survey_rake.R), survey_replicates.json (survey_replicates.R) and
survey_design_extra.json (survey_design_extra.R); each test names the R call.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import reference, reference_data

import surveyindex as si
from surveyindex.errors import EstimationError
from surveyindex.estimate import (
    degrees_of_freedom,
    domain_contrast,
    domain_covariance,
    estimate_means,
    estimate_proportions,
    estimate_quantiles,
    estimate_ratios,
    estimate_totals,
)

EST = reference("survey_estimators.json")["cases"]
RAKE = reference("survey_rake.json")["cases"]
REP = reference("survey_replicates.json")["cases"]
EXTRA = reference("survey_design_extra.json")["cases"]
POP_TYPES = pd.DataFrame({"stype": ["E", "H", "M"], "Freq": [4421, 755, 1018]})
APICLUS1_POP = pd.DataFrame({"variable": ["stype"] * 3 + ["sch.wide"] * 2,
                             "category": ["E", "H", "M", "No", "Yes"],
                             "count": [4421, 755, 1018, 1072, 5122]})
REL = 1e-9


@pytest.fixture(scope="module")
def api():
    c1, st, c2 = (reference_data(n) for n in ("apiclus1", "apistrat", "apiclus2"))
    return {
        # svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
        "dclus1": (c1, si.make_design(c1, weights="pw", strata=None, psu="dnum", fpc="fpc")),
        # svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
        "dstrat": (st, si.make_design(st, weights="pw", strata="stype", fpc="fpc")),
        # svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2): weights from the fpcs
        "dclus2": (c2, si.make_design(c2, strata=None, psu=["dnum", "snum"],
                                      fpc=["fpc1", "fpc2"])),
    }


@pytest.mark.parametrize("design", ["dstrat", "dclus1", "dclus2"])
@pytest.mark.parametrize("var", ["api00", "enroll"])
def test_mean_and_total_with_deff_match_r(api, design, var):
    """svymean(~var, D, deff=TRUE) and svytotal(~var, D, deff=TRUE) (na.rm=TRUE for dclus2
    enroll); dclus2 is two-stage, so the second-stage variance term is included."""
    df, d = api[design]
    for fn, case in [(estimate_means, f"svymean_{var}_{design}"),
                     (estimate_totals, f"svytotal_{var}_{design}")]:
        est, ref = fn(d, df[[var]]), EST[case]
        assert est.estimate[0, 0] == pytest.approx(ref["estimate"][var], rel=1e-12)
        assert est.se[0, 0] == pytest.approx(ref["se"][var], rel=REL)
        assert est.deff[0, 0] == pytest.approx(ref["deff"][var], rel=REL)


@pytest.mark.parametrize("design", ["dstrat", "dclus1", "dclus2"])
def test_degrees_of_freedom_match_r(api, design):
    """degf(D): PSUs minus strata."""
    assert degrees_of_freedom(api[design][1]) == EST[f"{design}_degf"]["value"]


def test_ratio_matches_r(api):
    """svyratio(~api00, ~api99, dclus1)."""
    df, d = api["dclus1"]
    est, ref = estimate_ratios(d, df[["api00"]], df[["api99"]]), EST["svyratio_api00_api99_dclus1"]
    assert est.estimate[0, 0] == pytest.approx(ref["ratio"], rel=1e-12)
    assert est.se[0, 0] == pytest.approx(ref["se"], rel=REL)


def test_svyciprop_logit_interval(api):
    """svyciprop(~I(sch.wide=="Yes"), dclus1, method="logit"): t interval on 14 df."""
    df, d = api["dclus1"]
    p, ref = estimate_proportions(d, df["sch.wide"]), EST["svyciprop_schwide_dclus1_logit"]
    t = p.table().set_index("variable").loc["sch.wide=Yes"]
    # R fits an intercept-only svyglm, so its estimate is an IRLS fixed point (to ~1e-11).
    assert t["estimate"] == pytest.approx(ref["estimate"], rel=REL)
    assert t["se"] == pytest.approx(ref["se"], rel=REL)
    assert [t["ci_low"], t["ci_high"]] == pytest.approx(ref["ci"], rel=REL)


@pytest.mark.parametrize("design", ["dclus1", "dstrat"])
def test_svyquantile_matches_r(api, design):
    """svyquantile(~api00, D, c(.25,.5,.75)): qrule="math", Woodruff interval, df=degf(D)."""
    df, d = api[design]
    ref = EST[f"svyquantile_api00_{design}"]
    q = estimate_quantiles(d, df[["api00"]], probs=ref["quantiles"])
    np.testing.assert_allclose(q["estimate"], ref["estimate"], rtol=1e-12)
    np.testing.assert_allclose(q["ci_low"], ref["ci_lower"], rtol=1e-12)
    np.testing.assert_allclose(q["ci_high"], ref["ci_upper"], rtol=1e-12)
    np.testing.assert_allclose(q["se"], ref["se"], rtol=REL)


def test_domain_covariance_and_contrasts_match_r(api):
    """vcov(svyby(~api00, ~stype, dclus1, svymean, covmat=TRUE)); svycontrast(., E - H) on
    dclus1 and dstrat."""
    df, d = api["dclus1"]
    _, cov = domain_covariance(d, df[["api00"]], "stype")
    np.testing.assert_allclose(cov[0], EST["svyby_vcov_dclus1"]["vcov"]["data"], rtol=REL)
    for name in ("dclus1", "dstrat"):
        df, d = api[name]
        c = domain_contrast(d, df[["api00"]], "stype", {"E": 1, "H": -1}).iloc[0]
        ref = EST[f"svycontrast_EminusH_{name}"]
        assert c["estimate"] == pytest.approx(ref["estimate"], rel=1e-12)
        assert c["se"] == pytest.approx(ref["se"], rel=REL)


def test_raked_taylor_se_matches_r(api):
    """rake(dclus1, list(~stype,~sch.wide), ..., control=list(epsilon=1e-12, maxit=500)):
    svymean SE 23.703616887922493 and svytotal(~enroll) SE include R's raking adjustment
    (ten backfitting sweeps); the same for apistrat raked to sch.wide and comp.imp."""
    df, d = api["dclus1"]
    raked = si.rake(d, APICLUS1_POP, by=None, tolerance=1e-13, max_iterations=500)
    ref = RAKE["rake_tight"]
    assert estimate_means(raked, df[["api00"]]).se[0, 0] == pytest.approx(
        ref["svymean_api00"]["se"], rel=REL)
    assert estimate_totals(raked, df[["enroll"]]).se[0, 0] == pytest.approx(
        ref["svytotal_enroll"]["se"], rel=REL)
    df, d = api["dstrat"]
    ref = RAKE["rake_apistrat_tight"]
    raked = d.rake(ref["population"], by=None, tolerance=1e-13, max_iterations=500)
    assert estimate_means(raked, df[["api00"]]).se[0, 0] == pytest.approx(
        ref["svymean_api00"]["se"], rel=1e-9)


def test_raked_domain_means_match_svyby(api):
    """svyby(~api00, ~stype / ~awards, dclus1r, svymean) with dclus1r the tight rake: the
    raking adjustment is applied to each domain's influence values over the full design."""
    df, d = api["dclus1"]
    raked = si.rake(d, APICLUS1_POP, by=None, tolerance=1e-13, max_iterations=500)
    ref = EXTRA["rake_dclus1_svyby"]
    for by in ("stype", "awards"):
        t = estimate_means(raked, df[["api00"]], by=by).table().set_index(by)
        r = ref[f"svyby_api00_{by}"]
        for dom in r["se"]:
            assert t.loc[dom, "estimate"] == pytest.approx(r["estimate"][dom], rel=1e-10)
            assert t.loc[dom, "se"] == pytest.approx(r["se"][dom], rel=1e-8)


def test_raking_by_group_matches_r_crossed_margins(api):
    """rake(dstrat, list(~stype+sch.wide, ~stype+comp.imp), <apipop tables>, tight): raking
    within each stype is R's raking on margins crossed with stype. Weights, svymean and
    svyby SEs (by stype and by awards, which cuts across the raking groups)."""
    df, d = api["dstrat"]
    ref = EXTRA["rake_by_stype"]
    rows = []
    for var in ("sch.wide", "comp.imp"):
        p = ref[f"population_{var}"]
        rows += [{"stype": s, "variable": var, "category": c, "count": f}
                 for s, c, f in zip(p["stype"], p[var], p["Freq"])]
    raked = d.rake(pd.DataFrame(rows), by="stype", tolerance=1e-13, max_iterations=500)
    np.testing.assert_allclose(raked.weights, ref["weights"], rtol=1e-10)
    m = estimate_means(raked, df[["api00", "enroll"]])
    np.testing.assert_allclose(m.se[0], [ref["svymean"]["se"]["api00"],
                                         ref["svymean"]["se"]["enroll"]], rtol=1e-8)
    for by in ("stype", "awards"):
        t = estimate_means(raked, df[["api00"]], by=by).table().set_index(by)
        r = ref[f"svyby_api00_{by}"]
        for dom in r["se"]:
            assert t.loc[dom, "se"] == pytest.approx(r["se"][dom], rel=1e-8)


def test_poststratify_matches_r(api):
    """postStratify(dclus1, ~stype, pop.types): weights, svymean(~api00), svytotal(~enroll)
    and svyby(~api00, ~awards) SEs with R's post-stratum adjustment."""
    df, d = api["dclus1"]
    ps = d.poststratify(POP_TYPES)
    ref = EST["postStratify_stype_dclus1"]
    np.testing.assert_allclose(ps.weights, ref["weights"], rtol=1e-12)
    assert estimate_means(ps, df[["api00"]]).se[0, 0] == pytest.approx(ref["se"], rel=REL)
    assert estimate_totals(ps, df[["enroll"]]).se[0, 0] == pytest.approx(
        ref["total_enroll"]["se"], rel=REL)
    t = estimate_means(ps, df[["api00"]], by="awards").table().set_index("awards")
    r = EXTRA["poststratify_dclus1_svyby"]["svyby_api00_awards"]
    for dom in r["se"]:
        assert t.loc[dom, "se"] == pytest.approx(r["se"][dom], rel=REL)


def _greg(api):
    df, d = api["dclus1"]
    ref = EST["calibrate_linear_greg_dclus1"]
    pop = {"stype": {"E": 4421, "H": 755, "M": 1018},
           "api99": ref["population_totals"]["api99"]}
    return df, d.calibrate(pop), ref


def test_greg_calibration_matches_r(api):
    """calibrate(dclus1, ~stype+api99, c(`(Intercept)`=6194, stypeH=755, stypeM=1018,
    api99=3914069)): weights, svymean(~api00) and svytotal(~api00) with GREG residual SEs."""
    df, g, ref = _greg(api)
    np.testing.assert_allclose(g.weights, ref["weights"], rtol=1e-12)
    assert estimate_means(g, df[["api00"]]).se[0, 0] == pytest.approx(ref["se"], rel=REL)
    assert estimate_totals(g, df[["api00"]]).se[0, 0] == pytest.approx(
        ref["total_api00"]["se"], rel=REL)


@pytest.mark.parametrize("case, strict", [("trimWeights_docexample", False),
                                          ("trimWeights_docexample_strict", True)])
def test_trim_weights_matches_r(api, case, strict):
    """trimWeights(dclus1g, lower=20, upper=45[, strict=TRUE]); svymean(~api99+api00, .)."""
    df, g, _ = _greg(api)
    t = g.trim(lower=20, upper=45, strict=strict)
    ref = EST[case]
    np.testing.assert_allclose(t.weights, ref["weights"], rtol=1e-12)
    m = estimate_means(t, df[["api99", "api00"]])
    np.testing.assert_allclose(m.se[0], [ref["se"]["api99"], ref["se"]["api00"]], rtol=REL)


@pytest.mark.parametrize("option", ["certainty", "remove", "adjust", "average"])
def test_lonely_psu_options_match_r(option):
    """options(survey.lonely.psu=option); svymean(~api00+enroll, dlon), svytotal(~api00, dlon)
    where dlon is apistrat with one school left in stratum H, no fpc."""
    st = reference_data("apistrat")
    ref = EXTRA[f"lonely_{option}"]
    lon = pd.concat([st[st.stype != "H"], st[st.stype == "H"].head(1)])
    assert lon.snum.tolist() == ref["snum"]
    d = si.make_design(lon, weights="pw", strata="stype", lonely_psu=option)
    m = estimate_means(d, lon[["api00", "enroll"]])
    np.testing.assert_allclose(m.se[0], [ref["svymean"]["se"]["api00"],
                                         ref["svymean"]["se"]["enroll"]], rtol=REL)
    assert estimate_totals(d, lon[["api00"]]).se[0, 0] == pytest.approx(
        ref["svytotal_api00"]["se"]["api00"], rel=REL)


def test_lonely_psu_fails_by_default_naming_the_stratum():
    """R: 'Stratum (H) has only one PSU at stage 1'."""
    st = reference_data("apistrat")
    lon = pd.concat([st[st.stype != "H"], st[st.stype == "H"].head(1)])
    d = si.make_design(lon, weights="pw", strata="stype")
    with pytest.raises(EstimationError, match="stratum H has only one PSU at stage 1"):
        estimate_means(d, lon[["api00"]])
