"""One column scheme for every score table, and the pooled table's bases (issue 16).

Every score table (items, dimensions, composite, pooled, favourability) carries ``score``,
``se``, ``ci_low``, ``ci_high`` on the 0-100 index scale, ``n`` and ``n_eff``; beside them, where
there is one, the item-scale figure as ``mean``, ``mean_se``, ``mean_ci_low``, ``mean_ci_high``.
The pooled bases are checked against a hand computation from the respondents' scores and weights.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import surveyindex as si
from surveyindex.index import pooled_bases, score_dimensions

SCORE = ["score", "se", "ci_low", "ci_high", "n", "n_eff"]
MEAN = ["mean", "mean_se", "mean_ci_low", "mean_ci_high"]


@pytest.fixture(scope="module")
def res():
    return si.run_pipeline(replicates=10, seed=1, progress=False)


@pytest.fixture(scope="module")
def by_population(res):
    return si.compute_index(res.design, audiences=["all"], country_weights="population",
                            populations=si.sample_paths()["populations"])


def test_every_score_table_has_the_same_columns(res):
    ix = res.index
    for name in ("items", "dimensions", "composite", "pooled", "favourability"):
        assert set(SCORE) <= set(getattr(ix, name).columns), name
    for name in ("items", "dimensions", "favourability"):
        assert set(MEAN) <= set(getattr(ix, name).columns), name
    # the names these tables had before: gone, so old code fails loudly, not silently wrong
    assert not {"estimate", "score_se", "score_ci_low", "score_ci_high"} & set(ix.items.columns)


def test_score_and_mean_are_one_linear_map(res):
    """Items on 1-5 and dimensions on 1-5: score = 25 (mean - 1); the 0-10 rating: 10 mean."""
    it, dims, fav = res.index.items, res.index.dimensions, res.index.favourability
    for t, f, lo in ((it, 25.0, 1.0), (dims, 25.0, 1.0), (fav, 10.0, 0.0)):
        np.testing.assert_allclose(t["score"], f * (t["mean"] - lo), rtol=1e-12)
        np.testing.assert_allclose(t["se"], f * t["mean_se"], rtol=1e-12)
        np.testing.assert_allclose(t["ci_low"], f * (t["mean_ci_low"] - lo), rtol=1e-12)
        np.testing.assert_allclose(t["ci_high"], f * (t["mean_ci_high"] - lo), rtol=1e-12)
        np.testing.assert_allclose(t["mean_ci_high"] - t["mean"], t["mean"] - t["mean_ci_low"])


def _hand_bases(design, v: dict) -> pd.DataFrame:
    """Per target x dimension: respondents with a score, and Kish (sum u)^2 / sum u^2 of the
    weight each carries in the pooled mean, u = v_c w_i / (sum of w over its country)."""
    scores = score_dimensions(design.responses)                       # (n, T, K)
    inst = design.responses.instrument
    country = design.data["country"].astype(str).to_numpy()
    w = design.weights
    rows = []
    for t, target in enumerate(inst.target_codes):
        for k, dim in enumerate(inst.dimension_ids):
            ok = ~np.isnan(scores[:, t, k])
            u = np.zeros(len(w))
            for c in np.unique(country[ok]):
                here = ok & (country == c)
                u[here] = v[c] * w[here] / w[here].sum()
            rows.append({"target": target, "measure": dim, "n": int(ok.sum()),
                         "n_eff": u.sum() ** 2 / (u ** 2).sum()})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("weights", ["equal", "population"])
def test_pooled_bases_by_hand(res, by_population, weights):
    ix = res.index if weights == "equal" else by_population
    design = res.design
    countries = sorted(design.data["country"].astype(str).unique())
    pop = pd.read_csv(si.sample_paths()["populations"]).set_index("country")["adults_millions"]
    v = {c: 1.0 if weights == "equal" else float(pop[c]) for c in countries}
    hand = _hand_bases(design, v)
    got = ix.pooled.query("audience == 'all' and measure != 'composite'").merge(
        hand, on=["target", "measure"], suffixes=("", "_hand"))
    assert len(got) == len(hand) == 10
    np.testing.assert_array_equal(got["n"], got["n_hand"])
    np.testing.assert_allclose(got["n_eff"], got["n_eff_hand"], rtol=1e-10)
    # Kish's n_eff never exceeds n; population weights (China's 1,100 million beside
    # Argentina's 33) leave far fewer effective respondents than equal weights.
    assert (got["n_eff"] < got["n"]).all()
    if weights == "population":
        equal = res.index.pooled.query("audience == 'all'").set_index(["target", "measure"])
        assert (got.set_index(["target", "measure"])["n_eff"]
                < 0.6 * equal.loc[got.set_index(["target", "measure"]).index, "n_eff"]).all()


def test_pooled_composite_bases_from_the_composite_table(res):
    """The composite row pools the composite table's bases (the smallest over dimensions)."""
    comp = res.index.composite.query("audience == 'all'")
    pooled = res.index.pooled.query("audience == 'all' and measure == 'composite'")
    for target, rows in comp.groupby("target"):
        row = pooled[pooled["target"] == target].iloc[0]
        assert row["n"] == rows["n"].sum()
        C = len(rows)
        assert row["n_eff"] == pytest.approx(C ** 2 / (1 / rows["n_eff"]).sum(), rel=1e-12)


def test_pooled_bases_hand_case():
    # Two countries, effective bases 100 and 25. Equal weights: 2^2 / (1/100 + 1/25) = 80.
    # Pooling weights 3 and 1: 4^2 / (9/100 + 1/25) = 16 / 0.13 = 123.08. A country with no
    # score (present False) drops out: the other's own base.
    n, ne = np.array([120, 30]), np.array([100.0, 25.0])
    assert pooled_bases(n, ne, np.ones(2), np.array([True, True]))[1] == pytest.approx(80.0)
    assert pooled_bases(n, ne, np.array([3.0, 1.0]),
                        np.array([True, True]))[1] == pytest.approx(16 / 0.13)
    k, e = pooled_bases(n, ne, np.ones(2), np.array([True, False]))
    assert (int(k), float(e)) == (120, pytest.approx(100.0))
