"""rake(convergence="r_rake") reproduces R survey::rake()'s own stopping rule.

R survey 4.1.1 (R 4.2.2), tests/reference/survey_collapse_quantiles.R:
    dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    pop.types <- data.frame(stype=c("E","H","M"), Freq=c(4421,755,1018))
    pop.schwide <- data.frame(sch.wide=c("No","Yes"), Freq=c(1072,5122))
    rake(dclus1, list(~stype,~sch.wide), list(pop.types, pop.schwide))   # control: maxit=10,
                                                                          # epsilon=1
R stops when the joint table of the margin variables changes by less than epsilon in every cell
(epsilon < 1: times the starting weight total), after 4 sweeps here, short of the fixed point;
our default rule goes on to it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import reference, reference_data

import surveyindex as si
from surveyindex.errors import WeightingError
from surveyindex.estimate import estimate_means, estimate_totals

REF = reference("survey_collapse_quantiles.json")["cases"]
POP = pd.DataFrame({"variable": ["stype"] * 3 + ["sch.wide"] * 2,
                    "category": ["E", "H", "M", "No", "Yes"],
                    "count": [4421, 755, 1018, 1072, 5122]})


@pytest.fixture(scope="module")
def dclus1():
    df = reference_data("apiclus1")
    return df, si.make_design(df, weights="pw", strata=None, psu="dnum", fpc="fpc")


def test_r_default_control_weights_and_se(dclus1):
    """rake(dclus1, list(~stype,~sch.wide), list(pop.types, pop.schwide)): weights to 1e-12,
    svymean(~api00) 641.2302468622088 SE 23.703641240237683, svytotal(~enroll) SE
    400602.7197336193 (the tight rake's SE is 23.703616887922493)."""
    df, d = dclus1
    ref = REF["rake_r_default"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # R does not warn here: it converged
        raked = si.rake(d, POP, by=None, convergence="r_rake")
    np.testing.assert_allclose(raked.weights, ref["weights"], rtol=1e-12)
    step = raked.steps[-1]
    assert step["iterations"] == 4 and step["converged"] and step["convergence"] == "r_rake"
    m = estimate_means(raked, df[["api00"]])
    assert m.estimate[0, 0] == pytest.approx(641.2302468622088, rel=1e-12)
    assert m.se[0, 0] == pytest.approx(23.703641240237683, rel=1e-10)
    assert m.se[0, 0] == pytest.approx(ref["svymean_api00"]["se"], rel=1e-10)
    t = estimate_totals(raked, df[["enroll"]])
    assert t.se[0, 0] == pytest.approx(ref["svytotal_enroll"]["se"], rel=1e-10)
    # Our default rule keeps going: the weights differ from R's default-control ones.
    tight = si.rake(d, POP, by=None)
    assert np.abs(tight.weights / raked.weights - 1).max() > 1e-6


def test_r_relative_epsilon_and_maxit(dclus1):
    """control=list(epsilon=1e-5): epsilon < 1 is relative to sum(weights) (5 sweeps);
    control=list(maxit=2): R warns "did not converge" and keeps the second sweep."""
    df, d = dclus1
    rel = si.rake(d, POP, by=None, convergence="r_rake", epsilon=1e-5)
    np.testing.assert_allclose(rel.weights, REF["rake_r_relative_eps"]["weights"], rtol=1e-12)
    assert rel.steps[-1]["iterations"] == 5
    assert estimate_means(rel, df[["api00"]]).se[0, 0] == pytest.approx(
        REF["rake_r_relative_eps"]["svymean_api00"]["se"], rel=1e-10)
    with pytest.warns(RuntimeWarning, match="did not converge after 2"):
        m2 = si.rake(d, POP, by=None, convergence="r_rake", max_iterations=2)
    assert REF["rake_r_maxit2"]["warned_not_converged"]
    np.testing.assert_allclose(m2.weights, REF["rake_r_maxit2"]["weights"], rtol=1e-12)
    assert not m2.steps[-1]["converged"]
    assert estimate_means(m2, df[["api00"]]).se[0, 0] == pytest.approx(
        REF["rake_r_maxit2"]["svymean_api00"]["se"], rel=1e-10)


def test_r_default_control_replicates(dclus1):
    """rclus1 <- as.svrepdesign(dclus1, type="JK1"); rake(rclus1, ...) default control: every
    replicate gets R's sweeps; weights, the first three replicate columns, and svymean SE
    26.873474236089432 / svytotal SE 463510.85956667707."""
    df, d = dclus1
    ref = REF["rake_r_default_jk1"]
    raked = si.rake(d.with_replicates("JK1"), POP, by=None, convergence="r_rake")
    np.testing.assert_allclose(raked.weights, ref["weights"], rtol=1e-12)
    np.testing.assert_allclose(np.asarray(raked.replicate_weights)[:, :3],
                               ref["repweights_first3"]["data"], rtol=1e-12, atol=1e-9)
    assert estimate_means(raked, df[["api00"]]).se[0, 0] == pytest.approx(
        26.873474236089432, rel=1e-10)
    assert estimate_totals(raked, df[["enroll"]]).se[0, 0] == pytest.approx(
        ref["svytotal_enroll"]["se"], rel=1e-10)


def test_r_rule_per_group_equals_raking_each_group_alone(sample, margins):
    """With by="country" the rule is applied per country, as R rake() on each country's subset:
    each country's weights equal raking that country alone."""
    d = si.make_design(sample)
    both = d.rake(margins, by="country", convergence="r_rake")
    data = sample.respondents
    for country in sorted(set(data["country"]))[:3]:
        rows = np.flatnonzero(data["country"].to_numpy() == country)
        alone = si.make_design(data.iloc[rows]).rake(
            margins[margins["country"] == country], by="country", convergence="r_rake")
        np.testing.assert_allclose(both.weights[rows], alone.weights, rtol=1e-13)


def test_r_rule_rejects_bounds_and_unknown_rules(dclus1):
    _, d = dclus1
    with pytest.raises(WeightingError, match="bounds"):
        si.rake(d, POP, by=None, convergence="r_rake", bounds=(0.5, 2))
    with pytest.raises(WeightingError, match="convergence"):
        si.rake(d, POP, by=None, convergence="R")
