"""The index's replicate SEs use the estimate stage's replicate variance (issue 13): scale,
rscales and mse of the design, so JKn designs (rscales (n_h - 1) / n_h) get R's svrVar."""

import numpy as np
import pandas as pd

import surveyindex as si
from surveyindex.design import SurveyDesign
from surveyindex.estimate import replicate_se, replicate_variance


def test_replicate_se_is_sqrt_of_replicate_variance_with_rscales_and_mse():
    rng = np.random.default_rng(5)
    theta = rng.normal(size=(3, 7))
    rscales = rng.uniform(0.5, 1.0, size=6)
    for mse in (False, True):
        d = SurveyDesign(pd.DataFrame(index=range(2)), np.ones(2),
                         replicate_weights=np.ones((2, 6)), replicate_scale=0.8,
                         replicate_rscales=rscales, replicate_mse=mse)
        np.testing.assert_array_equal(
            replicate_se(theta, 0.8, rscales, mse),
            np.sqrt(replicate_variance(d, theta[:, 0], theta[:, 1:])))
    # by hand, mse: centre is the full-sample value
    t = np.array([2.0, 1.0, 4.0])
    assert float(replicate_se(t, 1.0, np.array([0.5, 1.0]), True)) == np.sqrt(0.5 * 1 + 1.0 * 4)


def test_index_on_a_jkn_design_uses_rscales():
    sim = si.simulate_softpower(n_per_country=30, countries=["JPN", "DEU"], seed=2,
                                problems=False)
    inst = si.load_instrument("softpower")
    resp = si.read_responses(sim.responses, inst)
    d = si.make_design(resp, strata="country").with_replicates("JKn")
    assert d.replicate_rscales is not None and not np.allclose(d.replicate_rscales, 1.0)
    res = si.compute_index(d, audiences=["all"])
    comp = res._arrays["per_audience"][0]["composite"]              # (C, T, 1 + R)
    reps = comp[..., 1:]
    hand = np.sqrt(d.replicate_scale * (d.replicate_rscales
                                        * (reps - reps.mean(axis=-1, keepdims=True)) ** 2
                                        ).sum(axis=-1))
    np.testing.assert_allclose(res.composite["se"].to_numpy(), hand.ravel(), rtol=1e-12)
    no_rscales = np.sqrt(d.replicate_scale * ((reps - reps.mean(axis=-1, keepdims=True)) ** 2
                                              ).sum(axis=-1))
    assert not np.allclose(res.composite["se"].to_numpy(), no_rscales.ravel(), rtol=1e-6)
