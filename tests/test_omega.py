"""Tests of surveyindex.reliability.omega (and the omega column of the reliability table).

Reference numbers: R 4.2.2, lavaan 0.6.14, semTools 0.5.6. ``lavaan_omega.json``
(tests/reference/lavaan_omega.R): ``compRelSEM(cfa("visual =~ x1 + x2 + x3", data=HS,
std.lv=TRUE))`` and with ``obs.var=FALSE``. ``lavaan_sample.json`` (lavaan_sample.R): the same on
bfi Agreeableness (A1 reversed as 7 - A1, complete cases) and on a 12-row example.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import reference, reference_data

from surveyindex.errors import EstimationError
from surveyindex.reliability import cronbach_alpha, omega
from surveyindex.reliability import reliability_table as reliability

OMEGA = reference("lavaan_omega.json")["cases"]
SAMPLE = reference("lavaan_sample.json")["cases"]
SMALL = pd.DataFrame({"q1": [4, 5, 3, 2, 4, 5, 3, 4, 2, 5, 3, 4],
                      "q2": [4, 4, 3, 2, 5, 5, 2, 4, 1, 4, 3, 3],
                      "q3": [3, 5, 4, 1, 4, 4, 3, 5, 2, 5, 2, 4],
                      "q4": [4, 5, 2, 2, 3, 5, 3, 3, 2, 4, 3, 5]})


def test_omega_visual_matches_comprelsem():
    """compRelSEM(fit1s) = 0.632553158869, obs.var=FALSE 0.632553156302 (a just-identified model:
    the two agree up to lavaan's optimiser tolerance); loadings 0.72369, 0.56291, 0.80131."""
    hs = reference_data("HolzingerSwineford1939")
    case = OMEGA["onefactor_visual_stdlv"]
    res = omega(hs[["x1", "x2", "x3"]])
    assert res.omega == pytest.approx(case["compRelSEM"]["omega"]["visual"], abs=1e-7)
    assert res.omega_model == pytest.approx(
        case["compRelSEM"]["obs.var_FALSE"]["omega"]["visual"], abs=1e-7)
    np.testing.assert_allclose(res.loadings, case["parameters"]["est"][:3], atol=1e-6)
    np.testing.assert_allclose(res.residual_variances, case["parameters"]["est"][3:6], atol=1e-6)
    assert res.n == 301 and res.n_items == 3 and res.converged


@pytest.mark.parametrize("case", ["bfi_agree", "small"])
def test_omega_matches_comprelsem_on_other_data(case):
    """bfi Agreeableness: compRelSEM 0.714136 (2709 complete cases); the docstring example:
    0.905537 with a Heywood case (negative residual variance of q1, which lavaan also reports).
    lavaan stops at a gradient of ~1e-7, so estimates agree to ~1e-6 (our chi-square is lower
    than lavaan's by 3e-9: we are the closer to the minimum)."""
    ref = SAMPLE[case]
    if case == "bfi_agree":
        bfi = reference_data("bfi")
        data = bfi[["A1", "A2", "A3", "A4", "A5"]].assign(A1=7 - bfi["A1"])
    else:
        data = SMALL
    res = omega(data)  # listwise, as lavaan's default
    assert res.n == ref["nobs"]
    assert res.omega == pytest.approx(ref["omega"], abs=5e-6)
    assert res.omega_model == pytest.approx(ref["omega_model"], abs=5e-6)
    np.testing.assert_allclose(res.loadings, ref["loadings"], atol=5e-6)
    np.testing.assert_allclose(res.residual_variances, ref["residual_variances"], atol=5e-6)


def test_omega_equals_alpha_for_parallel_items():
    """Hand-worked: with equal loadings and residual variances (an exactly tau-equivalent
    covariance matrix, C = 0.5 + 0.5 I, built from data with that exact sample covariance), omega
    = (4 * sqrt(.5))^2 / (8 + 4 * .5) = 0.8 = alpha = 4/3 * (1 - 4/10)."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=(400, 4))
    z = (z - z.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(z.T, bias=True))).T
    c = np.full((4, 4), 0.5) + 0.5 * np.eye(4)
    x = z @ np.linalg.cholesky(c).T
    res = omega(x)
    assert res.omega == pytest.approx(0.8, abs=1e-8)
    assert res.omega_model == pytest.approx(0.8, abs=1e-8)
    assert cronbach_alpha(x).alpha == pytest.approx(0.8, abs=1e-12)


def test_omega_is_weighted_like_alpha():
    """Integer weights are frequency weights: weighting rows by 2 equals duplicating them."""
    w = np.r_[np.full(6, 2.0), np.ones(6)]
    dup = pd.concat([SMALL.iloc[:6], SMALL], ignore_index=True)
    a, b = omega(SMALL, weights=w), omega(dup)
    # the covariances differ only by the n/(n-1) factor, which omega does not see
    assert a.omega == pytest.approx(b.omega, abs=1e-7)


def test_omega_errors():
    with pytest.raises(EstimationError, match="missing must be"):
        omega(SMALL, missing="everything")
    with pytest.raises(EstimationError, match="at least 2 items"):
        omega(SMALL[["q1"]])


def test_reliability_table_has_omega_when_asked(sample):
    """omega=True adds an omega column after average_r; for one group it equals omega() of the
    same items (pairwise covariances, as alpha's)."""
    tab = reliability(sample, by=("target",), omega=True)
    assert list(tab.columns[-3:]) == ["average_r", "omega", "flag"]
    assert tab["omega"].between(0.6, 0.95).all()
    row = tab.iloc[1]
    items = [it.id for it in sample.instrument.dimensions[1].items]
    j = [sample.instrument.item_ids.index(i) for i in items]
    t = sample.instrument.target_codes.index(row["target"])
    one = omega(sample.values[:, t][:, j], missing="pairwise")
    assert row["omega"] == pytest.approx(one.omega, abs=1e-12)
    assert "omega" not in reliability(sample, by=("target",)).columns
