"""Contrasts, proportions, p-value adjustment and the estimate table: R pins and hand cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import reference, reference_data

import surveyindex as si
from surveyindex.errors import EstimationError
from surveyindex.estimate import (
    adjust_pvalues,
    domain_contrast,
    estimate_means,
    estimate_proportions,
    paired_contrast,
)

EST = reference("survey_estimators.json")["cases"]


def test_adjust_pvalues_match_r_p_adjust():
    """R 4.2.2: p <- c(0.01, 0.04, 0.03, 0.2, 0.005); p.adjust(p, "holm" / "BH" / "bonferroni")."""
    p = [0.01, 0.04, 0.03, 0.2, 0.005]
    np.testing.assert_allclose(adjust_pvalues(p, "holm"), [0.04, 0.09, 0.09, 0.2, 0.025])
    np.testing.assert_allclose(adjust_pvalues(p, "BH"), [0.025, 0.05, 0.05, 0.2, 0.025])
    np.testing.assert_allclose(adjust_pvalues(p, "bonferroni"), [0.05, 0.2, 0.15, 1, 0.025])
    with pytest.raises(EstimationError, match="'holm', 'BH' or 'bonferroni'"):
        adjust_pvalues(p, "sidak")


def test_paired_contrast_matches_r_paired_difference():
    """svymean(~I(api00-api99), dclus1) (R 4.2.2, survey 4.1.1): with no missing values the
    difference of the two means and its SE (with their covariance) are R's."""
    c1 = reference_data("apiclus1")
    d = si.make_design(c1, weights="pw", strata=None, psu="dnum", fpc="fpc")
    t = paired_contrast(d, c1[["api00", "api99"]], [("api00", "api99")]).iloc[0]
    ref = EST["paired_diff_dclus1"]
    assert t["estimate"] == pytest.approx(ref["estimate"], rel=1e-12)
    assert t["se"] == pytest.approx(ref["se"], rel=1e-9)
    # The same contrast on JK1 replicates equals the replicate SE of the per-school difference.
    j = d.with_replicates("JK1")
    tr = paired_contrast(j, c1[["api00", "api99"]], [("api00", "api99")]).iloc[0]
    direct = estimate_means(j, (c1.api00 - c1.api99).rename("diff"))
    assert tr["se"] == pytest.approx(direct.se[0, 0], rel=1e-12)


def test_paired_contrast_by_domain_with_missing_uses_each_mean_own_cases():
    """Domain a: usa (1, 3), chn (2, NaN) -> 2 - 2 = 0; domain b: usa 4, chn 1 -> 3."""
    df = pd.DataFrame({"g": ["a", "a", "b", "b"], "usa": [1.0, 3, 4, np.nan],
                       "chn": [2.0, np.nan, 1, np.nan]})
    d = si.make_design(df, strata=None)
    t = paired_contrast(d, df, [("usa", "chn")], by="g")
    assert t["estimate"].tolist() == [0.0, 3.0]
    assert set(t.columns) >= {"g", "contrast", "se", "z", "p_value"}


def test_domain_contrast_replicate_equals_replicate_difference():
    c1 = reference_data("apiclus1")
    d = si.make_design(c1, weights="pw", strata=None, psu="dnum", fpc="fpc").with_replicates("JK1")
    est = estimate_means(d, c1[["api00"]], by="stype")
    c = domain_contrast(d, c1[["api00"]], "stype", {"E": 1, "H": -1}).iloc[0]
    diff = est.replicates[0, 0] - est.replicates[1, 0]
    var = d.replicate_scale * ((diff - diff.mean()) ** 2).sum()
    assert c["se"] == pytest.approx(np.sqrt(var), rel=1e-12)
    with pytest.raises(EstimationError, match="domain 'X' is not among the domains"):
        domain_contrast(d, c1[["api00"]], "stype", {"X": 1})


def test_proportions_expand_categories_and_reject_non_indicators():
    df = pd.DataFrame({"fav": ["yes", "no", "yes", None], "score": [1.0, 2.0, 3.0, 4.0]})
    d = si.make_design(df, strata=None)
    p = estimate_proportions(d, df["fav"])
    assert p.variables == ["fav=no", "fav=yes"]
    np.testing.assert_allclose(p.estimate, [[1 / 3, 2 / 3]])
    lo, hi = p.confint()
    assert (lo < p.estimate).all() and (hi > p.estimate).all() and (hi < 1).all()
    with pytest.raises(EstimationError, match="'score' is not a 0/1 indicator"):
        estimate_proportions(d, df[["score"]])


def test_table_has_cv_and_deff():
    """cv = se / estimate; deff against SRS without replacement (R deff=TRUE), pinned for
    svymean(~api00, dstrat, deff=TRUE)."""
    st = reference_data("apistrat")
    d = si.make_design(st, weights="pw", strata="stype", fpc="fpc")
    t = estimate_means(d, st[["api00"]]).table().iloc[0]
    assert t["cv"] == pytest.approx(t["se"] / t["estimate"])
    assert t["deff"] == pytest.approx(EST["svymean_api00_dstrat"]["deff"]["api00"], rel=1e-9)
