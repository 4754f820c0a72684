"""Response styles with replicate SEs, and the style corrections as an index method choice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import surveyindex as si
from surveyindex.errors import EstimationError
from surveyindex.index import score_dimensions
from surveyindex.index.style_correction import centred_responses, regression_corrected
from surveyindex.reliability import response_styles
from surveyindex.reliability.styles import STYLE_INDICES, respondent_styles


@pytest.fixture(scope="module")
def boot(sample):
    return si.make_design(sample).with_replicates("bootstrap", n=12, seed=4)


def test_style_indices_per_country_with_replicate_ses(sample, boot):
    """Estimates equal the weighted group means of the plain path; SEs are the bootstrap
    replicate SE sqrt(scale * sum_r (theta_r - mean theta)^2) of the ratio means, computed here
    with numpy from the replicate weight columns."""
    t = response_styles(sample, design=boot)
    plain = response_styles(sample, weights=boot.weights)
    for k in STYLE_INDICES:
        np.testing.assert_allclose(t[k], plain[k], rtol=1e-12)
    per = respondent_styles(sample)
    W = np.asarray(boot.replicate_weights)
    codes, names = pd.factorize(sample.respondents["country"], sort=True)
    assert t["country"].tolist() == list(names)
    for k in ("acquiescence", "extreme", "midpoint"):
        x = per[k].to_numpy()
        ok = ~np.isnan(x)
        for c in range(len(names)):
            sel = ok & (codes == c)
            theta = (W[sel] * x[sel, None]).sum(0) / W[sel].sum(0)
            se = np.sqrt(boot.replicate_scale * ((theta - theta.mean()) ** 2).sum())
            assert t[f"{k}_se"].iloc[c] == pytest.approx(se, rel=1e-9)
    assert (t["acquiescence_ci_low"] < t["acquiescence"]).all()
    with pytest.raises(EstimationError, match="'target' cannot be among by"):
        response_styles(sample, by=("country", "target"), design=boot)


def test_centring_hand_worked(inst):
    """Two respondents: all 5s (deviation +1 on every answer as given) and all 3s (0); the
    sample mean is 0.5, so both become 5 - 2 (1 - 0.5) = 3 + 2 (0.5) = 4 as given: regular
    items 4, reverse-keyed items recoded to 1 + 5 - 4 = 2."""
    raw = pd.read_csv(si.sample_paths()["responses"], nrows=2)
    items = [c for c in raw.columns if c[:4] in ("USA_", "CHN_") and not c.endswith("_fav")]
    raw.loc[0, items] = 5
    raw.loc[1, items] = 3
    r = si.read_responses(raw, inst)
    c = centred_responses(r, np.ones(2))
    rev = np.array([it.reverse for _, it in inst.items()])
    expected = np.where(rev, 2.0, 4.0)
    np.testing.assert_allclose(c.values, np.broadcast_to(expected, c.values.shape))
    np.testing.assert_allclose(r.values[0, 0], np.where(rev, 1.0, 5.0))   # input unchanged


def test_regression_correction_matches_weighted_least_squares(sample, boot):
    """Per target x dimension: weighted least squares of the score on (1, acquiescence,
    extreme, midpoint) by numpy lstsq on sqrt(w)-scaled rows; y* = y - (s - s_bar_w)' beta,
    hence uncorrelated (weighted) with every style index."""
    s = score_dimensions(sample)
    w = boot.weights
    out = regression_corrected(s, sample, w)
    S = respondent_styles(sample)[["acquiescence", "extreme", "midpoint"]].to_numpy()
    for t, k in [(0, 0), (1, 3)]:
        y = s[:, t, k]
        ok = ~np.isnan(y) & ~np.isnan(S).any(axis=1)
        X = np.column_stack([np.ones(ok.sum()), S[ok]])
        sw = np.sqrt(w[ok])
        beta = np.linalg.lstsq(X * sw[:, None], y[ok] * sw, rcond=None)[0]
        sbar = np.average(S[ok], axis=0, weights=w[ok])
        np.testing.assert_allclose(out[ok, t, k], y[ok] - (S[ok] - sbar) @ beta[1:], rtol=1e-9)
        for j in range(3):
            cov = np.average((out[ok, t, k] - np.average(out[ok, t, k], weights=w[ok]))
                             * (S[ok, j] - sbar[j]), weights=w[ok])
            assert abs(cov) < 1e-10
        assert np.average(out[ok, t, k], weights=w[ok]) == pytest.approx(
            np.average(y[ok], weights=w[ok]), rel=1e-12)


def test_style_correction_is_a_method_choice(boot):
    res = si.compute_index(boot, audiences=["all"], style_correction="centring")
    assert res.settings["style_correction"] == "centring"
    plain = si.compute_index(boot, audiences=["all"])
    assert not np.allclose(res.composite["score"], plain.composite["score"])
    sens = si.compute_index(boot, audiences=["all"], sensitivity=8, sensitivity_sampling=True,
                            sensitivity_factors={"style_correction": ["none", "centring",
                                                                      "regression"]})
    assert "style_correction" in set(sens.sensitivity_indices["factor"])
    with pytest.raises(EstimationError, match="corrects mean scores"):
        si.compute_index(boot, audiences=["all"], scoring="top_box", style_correction="centring")
    with pytest.raises(EstimationError, match="style_correction must be one of"):
        si.compute_index(boot, audiences=["all"], style_correction="ipsative")
