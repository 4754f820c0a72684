"""Weighted domain means and their standard errors: R survey pins and hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import reference, reference_data

import surveyindex as si
from surveyindex.design import SurveyDesign
from surveyindex.errors import EstimationError

EST = reference("survey_estimators.json")["cases"]   # R 4.2.2, survey 4.1.1


@pytest.fixture(scope="module")
def dstrat():
    """R: svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)"""
    df = reference_data("apistrat")
    return df, si.make_design(df, weights="pw", strata="stype", fpc="fpc")


@pytest.fixture(scope="module")
def dclus1():
    """R: svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)"""
    df = reference_data("apiclus1")
    return df, si.make_design(df, weights="pw", strata=None, psu="dnum", fpc="fpc")


@pytest.mark.parametrize("design, case", [
    ("dstrat", "svymean_api00_dstrat"), ("dstrat", "svymean_enroll_dstrat"),
    ("dclus1", "svymean_api00_dclus1"), ("dclus1", "svymean_enroll_dclus1"),
])
def test_taylor_mean_matches_r(design, case, request):
    """svymean(~api00 / ~enroll, design) in R; Taylor linearisation with fpc."""
    df, d = request.getfixturevalue(design)
    ref = EST[case]
    var = next(iter(ref["estimate"]))
    est = si.estimate_means(d, df[[var]])
    assert est.estimate[0, 0] == pytest.approx(ref["estimate"][var], rel=1e-12)
    assert est.se[0, 0] == pytest.approx(ref["se"][var], rel=1e-9)


def test_srs_with_fpc_matches_r():
    """R: svymean(~api00, svydesign(id=~1, fpc=~fpc, data=apisrs)) -> 656.585, SE 9.2497."""
    df = reference_data("apisrs")
    d = si.make_design(df, weights=np.full(len(df), 6194 / 200), strata=None, fpc="fpc")
    est = si.estimate_means(d, df[["api00"]])
    ref = EST["svymean_api00_dsrs"]
    assert est.estimate[0, 0] == pytest.approx(ref["estimate"]["api00"], rel=1e-12)
    assert est.se[0, 0] == pytest.approx(ref["se"]["api00"], rel=1e-9)


@pytest.mark.parametrize("design, case", [("dclus1", "svyby_api00_stype_dclus1"),
                                          ("dstrat", "svyby_api00_stype_dstrat")])
def test_domain_means_match_svyby(design, case, request):
    """svyby(~api00, ~stype, design, svymean): domains of the full design, not subsets."""
    df, d = request.getfixturevalue(design)
    t = si.estimate_means(d, df[["api00"]], by="stype").table().set_index("stype")
    ref = EST[case]
    for dom in ["E", "H", "M"]:
        assert t.loc[dom, "estimate"] == pytest.approx(ref["estimate"][dom], rel=1e-12)
        assert t.loc[dom, "se"] == pytest.approx(ref["se"][dom], rel=1e-9)


def test_paired_difference_matches_r(dclus1):
    """svymean(~I(api00-api99), dclus1) -> 37.19126, SE 3.085197."""
    df, d = dclus1
    est = si.estimate_means(d, (df.api00 - df.api99).rename("diff"))
    ref = EST["paired_diff_dclus1"]
    assert est.estimate[0, 0] == pytest.approx(ref["estimate"], rel=1e-12)
    assert est.se[0, 0] == pytest.approx(ref["se"], rel=1e-9)


def test_replicate_se_by_hand():
    """Three respondents, two replicates. Means: full (1*1 + 1*2 + 2*4)/4 = 2.75;
    replicate 1 weights (2, 0, 2): (2 + 8)/4 = 2.5; replicate 2 weights (0, 2, 2): (4 + 8)/4 = 3.
    Bootstrap-style scale 1/(R-1) = 1: var = (2.5-2.75)^2 + (3-2.75)^2 = 0.125."""
    df = pd.DataFrame({"y": [1.0, 2.0, 4.0]})
    d = SurveyDesign(data=df, weights=np.array([1.0, 1.0, 2.0]),
                     replicate_weights=np.array([[2.0, 0.0], [0.0, 2.0], [2.0, 2.0]]),
                     replicate_type="bootstrap", replicate_scale=1.0)
    est = si.estimate_means(d, df)
    assert est.estimate[0, 0] == pytest.approx(2.75)
    assert est.se[0, 0] == pytest.approx(np.sqrt(0.125))
    np.testing.assert_allclose(est.replicates[0, 0], [2.5, 3.0])


def test_taylor_se_by_hand_simple_random_sample():
    """Equal weights, no strata: the linearised SE of a mean is s / sqrt(n) (with-replacement),
    here s^2 = 2.5 for y = 1..5, so SE = sqrt(2.5 / 5)."""
    df = pd.DataFrame({"y": [1.0, 2, 3, 4, 5]})
    est = si.estimate_means(si.make_design(df, strata=None), df)
    assert est.se[0, 0] == pytest.approx(np.sqrt(0.5))


def test_missing_values_and_audience_mask():
    df = pd.DataFrame({"g": ["a", "a", "a", "b"], "y": [1.0, np.nan, 3.0, 5.0]})
    d = si.make_design(df, strata=None)
    t = si.estimate_means(d, df[["y"]], by="g", where=np.array([True, True, False, True])).table()
    assert t["estimate"].tolist() == [1.0, 5.0]
    assert t["n"].tolist() == [1, 1]


def test_estimation_errors():
    df = pd.DataFrame({"y": [1.0, 2.0]})
    d = si.make_design(df, strata=None)
    with pytest.raises(EstimationError, match="needs replicate weights"):
        si.estimate_means(d, df, method="replicate")
    with pytest.raises(EstimationError, match="3 rows; the design has 2"):
        si.estimate_means(d, np.ones(3))
    with pytest.raises(EstimationError, match=r"domain column\(s\) \['zz'\]"):
        si.estimate_means(d, df, by="zz")
