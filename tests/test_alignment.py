"""Alignment optimisation, pinned to sirt 4.1-15 ``invariance.alignment`` (R 4.2.2;
tests/reference/sirt_alignment.R, installed from its CRAN source) on the package's published
example item parameters (data.activity.itempars) and on the lavaan configural model of the
bundled sample; and checked in a simulation where the true country means are known and scalar
invariance fails by design.

sirt's optimiser (optim L-BFGS-B, default tolerance) stops about 5e-5 from the optimum in the
means and SDs; ours reaches a lower loss, hence ``atol=2e-4``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import reference, reference_data

from surveyindex.errors import EstimationError
from surveyindex.reliability import fit_cfa
from surveyindex.reliability.alignment import align, align_configural

REF = reference("sirt_alignment.json")
LAM = np.array(REF["data"]["lambda"]["data"])
NU = np.array(REF["data"]["nu"]["data"])
N = np.array(REF["data"]["N"])


@pytest.mark.parametrize("case, power", [("activity_default", (0.5, 0.5)),
                                         ("activity_pow2", (2.0, 2.0))])
def test_alignment_matches_sirt_on_published_example(case, power):
    ref = REF["cases"][case]
    res = align(LAM, NU, weights=np.sqrt(N), power=power)
    np.testing.assert_allclose(res.groups["mean"], ref["alpha0"], atol=2e-4)
    np.testing.assert_allclose(res.groups["sd"], ref["psi0"], atol=2e-4)
    assert res.r2["loadings"] == pytest.approx(ref["R2"]["loadings"], abs=2e-6)
    assert res.r2["intercepts"] == pytest.approx(ref["R2"]["intercepts"], abs=2e-6)
    assert res.loss <= ref["fopt"] + 1e-9  # at least as low as sirt's minimum
    assert res.loss == pytest.approx(ref["fopt"], rel=1e-6)
    G, n_items = LAM.shape
    np.testing.assert_allclose(res.items["loading"].to_numpy().reshape(G, n_items),
                               ref["lambda_aligned"]["data"], atol=3e-4)
    np.testing.assert_allclose(res.items["intercept"].to_numpy().reshape(G, n_items),
                               ref["nu_aligned"]["data"], atol=3e-4)


def test_non_invariant_parameters_as_sirt_constraints():
    """Tolerances .2 / .4 flag nothing here; .05 / .05 flag 3 loadings and 7 intercepts,
    the same cells as invariance_alignment_constraints."""
    res = align(LAM, NU, weights=np.sqrt(N))
    assert not res.items["loading_differs"].any() and not res.items["intercept_differs"].any()
    tight = align(LAM, NU, weights=np.sqrt(N), tol=(0.05, 0.05))
    ref = REF["cases"]["activity_default_tight"]
    G, n_items = LAM.shape
    np.testing.assert_array_equal(tight.items["loading_differs"].to_numpy().reshape(G, n_items),
                                  np.array(ref["lambda_differs"]["data"], dtype=bool))
    np.testing.assert_array_equal(tight.items["intercept_differs"].to_numpy().reshape(G, n_items),
                                  np.array(ref["nu_differs"]["data"], dtype=bool))


def test_alignment_of_our_configural_fit_matches_sirt_on_lavaan_estimates():
    ref = REF["cases"]["softpower_usa_morality"]
    items = ["USA_mor1", "USA_mor2", "USA_mor3", "USA_mor4"]
    data = reference_data("softpower_sample_items")[["country", *items]].dropna()
    res = align_configural(fit_cfa(data, {"f": items}, group="country"))["f"]
    assert list(res.groups["group"]) == ref["groups"]
    np.testing.assert_allclose(res.groups["mean"], ref["alpha0"], atol=2e-4)
    np.testing.assert_allclose(res.groups["sd"], ref["psi0"], atol=2e-4)
    assert res.r2["intercepts"] == pytest.approx(ref["R2"]["intercepts"], abs=1e-6)


def _simulate(rng, n=10000):
    """8 groups, 5 items; true factor means and SDs known; two intercepts and one loading
    non-invariant (scalar invariance fails by construction)."""
    mean = np.array([0.0, 0.3, -0.2, 0.5, 0.1, -0.4, 0.2, 0.0])
    sd = np.array([1.0, 1.1, 0.9, 1.2, 1.0, 0.8, 1.0, 1.05])
    lam = np.tile([1.0, 0.8, 0.7, 0.9, 0.6], (8, 1))
    nu = np.tile([0.0, 0.2, -0.1, 0.1, 0.0], (8, 1))
    nu[2, 1] += 0.6
    nu[5, 3] -= 0.5
    lam[4, 0] = 0.6
    frames = []
    for g in range(8):
        eta = mean[g] + sd[g] * rng.normal(size=n)
        y = nu[g] + eta[:, None] * lam[g] + rng.normal(scale=0.6, size=(n, 5))
        frames.append(pd.DataFrame(y, columns=list("abcde")).assign(country=f"C{g}"))
    return pd.concat(frames, ignore_index=True), mean, sd


def test_simulation_recovers_true_means_where_scalar_fails():
    data, mean, sd = _simulate(np.random.default_rng(2026))
    model = {"f": list("abcde")}
    config = fit_cfa(data, model, group="country")
    scalar = fit_cfa(data, model, group="country", equal=["loadings", "intercepts"])
    assert scalar.fit["chisq"] - config.fit["chisq"] > 500  # scalar clearly rejected
    res = align_configural(config)["f"]
    # 10,000 per group: a mean's SE is about .01-.015 (seeds 1-3 give errors up to .031)
    np.testing.assert_allclose(res.groups["mean"], mean, atol=0.05)
    np.testing.assert_allclose(res.groups["sd"], sd, atol=0.05)
    it = res.items
    assert set(zip(*[it.loc[it["intercept_differs"], c] for c in ("group", "item")])) == {
        ("C2", "b"), ("C5", "d")}  # exactly the planted ones
    assert set(zip(*[it.loc[it["loading_differs"], c] for c in ("group", "item")])) == {("C4", "a")}
    assert res.r2["intercepts"] < 1 and res.r2["loadings"] < 1


def test_bad_input():
    with pytest.raises(EstimationError, match="same shape"):
        align(LAM, NU[:, :3])
    with pytest.raises(EstimationError, match="power must be positive"):
        align(LAM, NU, power=(0, 0.5))
    with pytest.raises(EstimationError, match="finite"):
        align(np.where(LAM > 0.5, np.nan, LAM), NU)
