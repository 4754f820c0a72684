"""calibrate(calfun = "linear" | "raking" | "logit", bounds=) against R survey 4.1.1 (R 4.2.2).

Expected numbers: tests/reference/survey_calibrate.json, made by survey_calibrate.R; each case
holds the exact R call. Designs: dclus1 = svydesign(id=~dnum, weights=~pw, data=apiclus1,
fpc=~fpc), dstrat = svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc), and
their JK1 and bootstrap (50 replicates) versions from as.svrepdesign; every case has its bounds
active (some factors sit on a bound).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import reference, reference_data

import surveyindex as si
from surveyindex.errors import WeightingError
from surveyindex.estimate import estimate_means, estimate_totals

REF = reference("survey_calibrate.json")
CASES, POP = REF["cases"], REF["population"]
REL = 1e-7        # R stops Newton at a relative misfit of 1e-7; our path is R's


@pytest.fixture(scope="module")
def api():
    c1, st = reference_data("apiclus1"), reference_data("apistrat")
    return {"dclus1": (c1, si.make_design(c1, weights="pw", strata=None, psu="dnum", fpc="fpc")),
            "dstrat": (st, si.make_design(st, weights="pw", strata="stype", fpc="fpc"))}


def _check(design, df, ref, rel=REL):
    np.testing.assert_allclose(design.weights, ref["weights"], rtol=rel)
    m = estimate_means(design, df[["api00"]])
    t = estimate_totals(design, df[["enroll"]])
    assert m.estimate[0, 0] == pytest.approx(ref["svymean_api00"]["estimate"], rel=1e-9)
    assert m.se[0, 0] == pytest.approx(ref["svymean_api00"]["se"], rel=1e-6)
    assert t.estimate[0, 0] == pytest.approx(ref["svytotal_enroll"]["estimate"], rel=1e-9)
    assert t.se[0, 0] == pytest.approx(ref["svytotal_enroll"]["se"], rel=1e-6)


@pytest.mark.parametrize("case, calfun, bounds", [
    ("linear_bounds_dclus1", "linear", (0.5, 1.7)),
    ("raking_bounds_dclus1", "raking", (0.5, 1.7)),
    ("logit_bounds_dclus1", "logit", (0.4, 1.9))])
def test_bounded_calibration_dclus1_matches_r(api, case, calfun, bounds):
    """calibrate(dclus1, ~stype+api99, pop1, calfun=, bounds=): weights, svymean(~api00) and
    svytotal(~enroll) with the GREG-residual linearisation SEs."""
    df, d = api["dclus1"]
    c = d.calibrate("~stype + api99", POP["pop1"], calfun=calfun, bounds=bounds)
    g = c.weights / d.weights
    assert ((g >= bounds[0] - 1e-12) & (g <= bounds[1] + 1e-12)).all()
    if calfun != "logit":                    # logit factors stay strictly inside the bounds
        assert np.isclose(g[:, None], bounds, rtol=1e-9).any()      # a bound is active
    _check(c, df, CASES[case])


@pytest.mark.parametrize("case, calfun, bounds", [
    ("raking_bounds_dstrat", "raking", (0.8, 1.08)),
    ("logit_bounds_dstrat", "logit", (0.75, 1.15))])
def test_bounded_calibration_dstrat_matches_r(api, case, calfun, bounds):
    """calibrate(dstrat, ~sch.wide+awards+api99, colSums(model.matrix(., apipop)), ...): a
    stratified design, two categorical auxiliaries (R's named totals) and a numeric one."""
    df, d = api["dstrat"]
    c = d.calibrate(["sch.wide", "awards", "api99"], POP["pops"], calfun=calfun, bounds=bounds)
    _check(c, df, CASES[case])


def test_calibration_by_group_matches_r_interaction_model(api):
    """calibrate(dstrat, ~0+stype+stype:api99+stype:sch.wide, popi, calfun="raking",
    bounds=c(0.7, 1.3)): the full interaction calibrates each stype on its own, which is
    by="stype" here (nested totals: the categorical sch.wide margin gives each group's N)."""
    df, d = api["dstrat"]
    p = POP["popi"]
    pop = {s: {"sch.wide": {"No": p[f"stype{s}"] - p[f"stype{s}:sch.wideYes"],
                            "Yes": p[f"stype{s}:sch.wideYes"]}, "api99": p[f"stype{s}:api99"]}
           for s in "EHM"}
    c = d.calibrate(pop, by="stype", calfun="raking", bounds=(0.7, 1.3))
    _check(c, df, CASES["raking_bounds_dstrat_by_stype"])


def _replicate_design(api, ref):
    df, d = api["dclus1"]
    R = ref["n_replicates"]
    before = np.array(ref["replicate_weights_before"]).reshape(R, len(df)).T
    rep = si.make_design(df, weights="pw", strata=None, psu="dnum", fpc="fpc",
                         replicate_weights=before, replicate_type="supplied",
                         replicate_scale=ref["scale"])
    return df, rep, np.array(ref["replicate_weights"]).reshape(R, len(df)).T


@pytest.mark.parametrize("case, calfun, bounds", [
    ("linear_bounds_jk1", "linear", (0.5, 1.7)),
    ("raking_bounds_jk1", "raking", (0.4, 1.9)),
    ("logit_bounds_bootstrap", "logit", (0.3, 2.5)),
    ("linear_bounds_bootstrap", "linear", (0.3, 2.5)),
    ("linear_tight_bootstrap", "linear", (0.4, 1.9))])
def test_replicate_calibration_matches_r(api, case, calfun, bounds):
    """calibrate(as.svrepdesign(dclus1, type="JK1" | "bootstrap"), ~stype+api99, pop1, ...):
    each replicate calibrated from its own weights. R only warns when a replicate cannot meet
    the totals; the replicates it leaves short (grake's "failed" attribute, per replicate, in
    the JSON) are exactly the ones named here, by number, and by default they are an error."""
    ref = CASES[case]
    df, rep, expected = _replicate_design(api, ref)
    failed = [i + 1 for i, gap in enumerate(ref["replicate_gaps"]) if gap > 0]
    assert failed                     # R leaves some replicates short in every case here
    with pytest.raises(WeightingError, match=r"replicate\(s\) \[" + ", ".join(map(str, failed))):
        rep.calibrate("~stype+api99", POP["pop1"], calfun=calfun, bounds=bounds)
    with pytest.warns(RuntimeWarning, match="cannot meet the totals"):
        c = rep.calibrate("~stype+api99", POP["pop1"], calfun=calfun, bounds=bounds,
                          replicate_failures="warn")
    assert c.steps[-1]["failed_replicates"]["all"]["replicates"] == failed
    np.testing.assert_allclose(c.steps[-1]["failed_replicates"]["all"]["gaps"],
                               [g for g in ref["replicate_gaps"] if g > 0], rtol=1e-6)
    np.testing.assert_allclose(c.weights, ref["weights"], rtol=REL)
    np.testing.assert_allclose(np.asarray(c.replicate_weights), expected, rtol=1e-6, atol=1e-9)
    m = estimate_means(c, df[["api00"]])
    assert m.se[0, 0] == pytest.approx(ref["svymean_api00"]["se"], rel=1e-6)
    t = estimate_totals(c, df[["enroll"]])
    assert t.se[0, 0] == pytest.approx(ref["svytotal_enroll"]["se"], rel=1e-6)


def test_too_tight_bounds_name_the_group_and_gap(api):
    """R: calibrate(dclus1, ~stype+api99, pop1, calfun="raking", bounds=c(0.9, 1.1)) warns
    'Failed to converge: eps=0.3629...' and stops with 'Calibration failed'."""
    df, d = api["dclus1"]
    gap = float(CASES["raking_too_tight"]["warnings"][0].split("eps=")[1].split()[0])
    with pytest.raises(WeightingError, match=f"largest gap .* is {gap:.3g}"):
        d.calibrate("~stype+api99", POP["pop1"], calfun="raking", bounds=(0.9, 1.1))
    df["g"] = np.where(df.stype == "E", "a", "b")
    d2 = si.make_design(df, weights="pw", strata=None, psu="dnum", fpc="fpc")
    pop = {"a": {"(Intercept)": 4421, "api99": 3e6}, "b": {"(Intercept)": 1773, "api99": 1e6}}
    with pytest.raises(WeightingError, match="^g a: raking calibration with bounds"):
        d2.calibrate(pop, by="g", calfun="raking", bounds=(0.9, 1.1))


def test_calibration_option_errors(api):
    df, d = api["dclus1"]
    with pytest.raises(WeightingError, match="logit calibration needs finite bounds"):
        d.calibrate("~stype+api99", POP["pop1"], calfun="logit")
    with pytest.raises(WeightingError, match="lower < 1 < upper"):
        d.calibrate("~stype+api99", POP["pop1"], calfun="raking", bounds=(1.2, 2))
    with pytest.raises(WeightingError, match="calfun must be one of"):
        d.calibrate("~stype+api99", POP["pop1"], calfun="probit")
    with pytest.raises(WeightingError, match="only main effects"):
        d.calibrate("~stype*api99", POP["pop1"])
    with pytest.raises(WeightingError, match=r"no population total for \['stypeM'\]"):
        d.calibrate("~stype", {"(Intercept)": 6194, "stypeH": 755})
    with pytest.raises(WeightingError, match=r"population totals \['api00'\] match no"):
        d.calibrate("~stype", {"(Intercept)": 6194, "stypeH": 755, "stypeM": 1018, "api00": 1.0})


def test_replicate_failures_name_the_group():
    """Two groups, bootstrap-like replicates: replicate 2 drops every 'b' respondent with x > 1,
    so within (0.5, 2) the 'b' totals cannot be met by it; the error names group and number."""
    import pandas as pd
    df = pd.DataFrame({"g": ["a"] * 4 + ["b"] * 4, "x": [1.0, 2, 3, 4, 1, 2, 3, 4]})
    rep = np.ones((8, 3))
    rep[5:, 1] = 0.0
    d = si.make_design(df, strata=None, replicate_weights=rep, replicate_type="bootstrap",
                       replicate_scale=0.5)
    pop = {"a": {"(Intercept)": 5, "x": 12}, "b": {"(Intercept)": 5, "x": 13}}
    with pytest.raises(WeightingError, match=r"g b: replicate\(s\) \[2\]"):
        d.calibrate(pop, by="g", calfun="raking", bounds=(0.5, 2))
    with pytest.warns(RuntimeWarning, match=r"g b: replicate\(s\) \[2\]"):
        c = d.calibrate(pop, by="g", calfun="raking", bounds=(0.5, 2), replicate_failures="warn")
    W = np.asarray(c.replicate_weights)
    for grp, t in pop.items():          # every other column meets the totals
        sel = (df.g == grp).to_numpy()
        for r in (0, 2):
            assert W[sel, r].sum() == pytest.approx(t["(Intercept)"], rel=1e-7)
            assert W[sel, r] @ df.x[sel] == pytest.approx(t["x"], rel=1e-7)
