"""The index engine end to end: every option recomputed by hand from the result's own tables or
by an independent implementation, planned missingness, a single-country file, ad hoc audiences,
sensitivity analysis, and interval coverage on simulated data whose truth is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import surveyindex as si
from surveyindex.errors import EstimationError
from surveyindex.index import pca_weights

COUNTRIES = ["BRA", "DEU", "IND", "JPN", "ZAF"]


@pytest.fixture(scope="module")
def small(inst):
    sim = si.simulate_softpower(n_per_country=250, countries=COUNTRIES, seed=5, problems=False)
    resp = si.read_responses(sim.responses, inst)
    design = si.make_design(resp).with_replicates("bootstrap", n=40, seed=3).rake(sim.margins)
    return sim, resp, design


def _wide(table, value="score", column="dimension"):
    return table.pivot_table(index=["country", "target"], columns=column, values=value)


def test_pca_weights_are_rederived_from_the_dimension_table(small):
    _, _, d = small
    res = si.compute_index(d, audiences=["all"], weights="pca")
    dims = _wide(res.dimensions)[res.settings["dimensions"]]
    w, _ = pca_weights(dims.to_numpy()[:, None, :, None])
    np.testing.assert_allclose(res.weights["weight"], w[:, 0], rtol=1e-10)
    comp = res.composite.set_index(["country", "target"])["score"]
    np.testing.assert_allclose(comp.loc[dims.index], dims.to_numpy() @ w[:, 0], rtol=1e-10)
    assert (res.weights["se"] > 0).all() and res.settings["weights_method"] == "pca"


def test_driver_weights_equal_statsmodels_wls(small):
    _, r, d = small
    res = si.compute_index(d, audiences=["all"], weights="driver")
    s = si.index.score_dimensions(r)
    X = s.reshape(-1, 5)                                  # respondent x target rows, pooled
    y = r.single["fav"].reshape(-1)
    w = np.repeat(d.weights, 2)
    ok = ~np.isnan(X).any(axis=1) & ~np.isnan(y)
    fit = sm.WLS(y[ok], sm.add_constant(X[ok]), weights=w[ok]).fit()
    b = np.clip(fit.params[1:], 0, None)
    np.testing.assert_allclose(res.weights["weight"], b / b.sum(), rtol=1e-8)
    assert "regression of 'fav'" in res.weights["derivation"].iloc[0]


def test_minmax_geometric_composite_by_hand(small):
    _, _, d = small
    res = si.compute_index(d, audiences=["all"], normalisation="minmax", aggregation="geometric")
    raw = _wide(res.dimensions, "mean")
    # Min-max across countries within each target (OECD/JRC Handbook eq. for min-max), 0-100.
    mm = raw.groupby(level="target").transform(lambda x: 100 * (x - x.min()) / (x.max() - x.min()))
    np.testing.assert_allclose(_wide(res.dimensions).loc[mm.index], mm, atol=1e-10)
    geo = np.prod(mm.to_numpy() ** 0.2, axis=1)
    comp = res.composite.set_index(["country", "target"])["score"]
    np.testing.assert_allclose(comp.loc[mm.index], geo, atol=1e-10)


def test_distance_to_a_reference_target(small):
    _, _, d = small
    base = si.compute_index(d, audiences=["all"])
    res = si.compute_index(d, audiences=["all"], normalisation="distance", across="targets",
                           reference="USA")
    s = _wide(base.dimensions).unstack("target")
    got = _wide(res.dimensions).unstack("target")
    np.testing.assert_allclose(got.xs("USA", axis=1, level="target"), 100.0)
    np.testing.assert_allclose(got.xs("CHN", axis=1, level="target"),
                               100 * s.xs("CHN", axis=1, level="target") / s.xs("USA", axis=1, level="target"),
                               rtol=1e-12)
    with pytest.raises(EstimationError, match="reference 'FRA' is not among the targets"):
        si.compute_index(d, audiences=["all"], normalisation="distance", across="targets",
                         reference="FRA")


def test_top_box_dimension_share_is_the_mean_of_item_shares(inst):
    """With every item answered, the weighted mean of respondents' top-box shares equals the mean
    over the dimension's items of each item's weighted top-box share (estimate_means on 0/1)."""
    sim = si.simulate_softpower(n_per_country=200, countries=["BRA", "JPN"], seed=8, problems=False)
    df = sim.responses.copy()
    cols = [inst.column(t, i) for t in inst.target_codes for i in inst.item_ids]
    df[cols] = df[cols].where(df[cols].isin([1, 2, 3, 4, 5]), 3)
    r = si.read_responses(df, inst)
    d = si.make_design(r).with_replicates("bootstrap", n=10, seed=1)
    res = si.compute_index(d, audiences=["all"], scoring="top_box")
    top = (r.values[:, 0, :4] >= 4).astype(float)       # USA morality items, after reverse keying
    items = si.estimate_means(d, top, by="country").estimate.mean(axis=1)
    got = res.dimensions.query("target == 'USA' and dimension == 'morality'")["mean"]
    np.testing.assert_allclose(got, items, rtol=1e-12)
    # "scale" normalisation of a share is 100 x share.
    np.testing.assert_allclose(res.dimensions["score"], 100 * res.dimensions["mean"], rtol=1e-12)


def test_pooled_figures_by_hand(small, tmp_path):
    _, _, d = small
    pops = pd.DataFrame({"country": COUNTRIES, "adults_millions": [160, 70, 950, 105, 40]})
    res = si.compute_index(d, audiences=["all"], country_weights="population", populations=pops)
    comp = res.composite.merge(pops, on="country")
    # sums, not groupby.apply: apply's treatment of the grouping column moved in pandas 2.2 / 3
    hand = ((comp.score * comp.adults_millions).groupby(comp.target).sum()
            / comp.adults_millions.groupby(comp.target).sum())
    got = res.pooled.query("measure == 'composite'").set_index("target")["score"]
    np.testing.assert_allclose(got.loc[hand.index], hand, rtol=1e-12)
    med = si.compute_index(d, audiences=["all"], pooling="median")
    got = med.pooled.query("measure == 'composite'").set_index("target")["score"]
    hand = med.composite.groupby("target")["score"].median()
    np.testing.assert_allclose(got.loc[hand.index], hand, rtol=1e-12)
    assert (res.pooled["se"] > 0).all()
    with pytest.raises(EstimationError, match=r"no population size for \['ZAF'\]"):
        si.compute_index(d, audiences=["all"], country_weights="population", populations=pops.head(4))


def test_rank_tables(small):
    _, _, d = small
    res = si.compute_index(d, audiences=["all"])
    among = res.ranks.query("among == 'countries'").merge(res.composite, on=["country", "target", "audience"])
    np.testing.assert_array_equal(among["rank_x"], among["rank_y"])
    assert ((among.rank_low_x <= among.rank_median_x) & (among.rank_median_x <= among.rank_high_x)).all()
    per_country = res.ranks.query("among == 'targets'")
    assert sorted(per_country.groupby("country")["rank"].apply(sorted).iloc[0]) == [1.0, 2.0]
    pooled = res.ranks.query("among == 'pooled'")
    assert sorted(pooled["rank"]) == [1.0, 2.0] and pooled["p_first"].sum() == pytest.approx(1.0)


def test_planned_missingness(inst):
    """Each respondent rates one target only (NBI style): the other target's scores are NaN."""
    sim = si.simulate_softpower(n_per_country=300, countries=["BRA", "JPN", "ZAF"], seed=9,
                                problems=False)
    df = sim.responses.copy()
    rates_usa = np.random.default_rng(1).random(len(df)) < 0.5
    for target, drop in (("USA", ~rates_usa), ("CHN", rates_usa)):
        cols = [inst.column(target, i) for i in [*inst.item_ids, "fav"]]
        df.loc[drop, cols] = pd.NA
    r = si.read_responses(df, inst)
    assert r.n == len(df)
    s = si.index.score_dimensions(r)
    assert np.isnan(s[rates_usa, 1]).all() and np.isnan(s[~rates_usa, 0]).all()
    d = si.make_design(r).with_replicates("bootstrap", n=20, seed=1).rake(sim.margins)
    for kw in ({}, {"weights": "pca"}, {"weights": "driver"}):
        res = si.compute_index(d, audiences=["all"], **kw)
        assert res.composite["score"].notna().all() and len(res.composite) == 6
    n = res.composite.set_index(["country", "target"])["n"]
    bra_usa = s[(df.country == "BRA").to_numpy() & rates_usa, 0]      # n: smallest dimension base
    assert n.loc[("BRA", "USA")] == (~np.isnan(bra_usa)).sum(axis=0).min() > 100
    diffs, leads = res.compare("USA", "CHN")
    assert diffs["se"].notna().all() and leads["n_countries"].eq(3).all()


def test_single_country_file(inst):
    sim = si.simulate_softpower(n_per_country=300, countries=["JPN"], seed=4, problems=False)
    r = si.read_responses(sim.responses, inst)
    d = si.make_design(r).with_replicates("bootstrap", n=20, seed=1).rake(sim.margins)
    res = si.compute_index(d)
    assert res.composite.query("audience == 'all'")["rank"].tolist() == [1.0, 1.0]
    assert res.leads.query("measure == 'composite'")["n_countries"].tolist() == [1, 1]
    pooled = res.pooled.query("audience == 'all' and measure == 'composite'")["score"].to_numpy()
    np.testing.assert_allclose(pooled, res.composite.query("audience == 'all'")["score"])
    with pytest.raises(EstimationError, match="only one along 'countries'"):
        si.compute_index(d, normalisation="minmax")
    across_targets = si.compute_index(d, audiences=["all"], normalisation="minmax", across="targets")
    assert sorted(across_targets.dimensions["score"].unique().tolist()) == [0.0, 100.0]


def test_ad_hoc_filters_are_domains_like_named_audiences(small, inst):
    _, _, d = small
    named = si.compute_index(d, audiences=["g20_youth"])
    g20 = inst.country_groups["G20"]
    mask = (d.data["age"] <= 34).to_numpy() & d.data["country"].isin(g20).to_numpy()
    adhoc = si.compute_index(d, audiences=[], filters={"youth": mask})
    np.testing.assert_allclose(adhoc.composite["score"], named.composite["score"], rtol=1e-12)
    np.testing.assert_allclose(adhoc.composite["se"], named.composite["se"], rtol=1e-12)
    q = si.compute_index(d, audiences=[], filters={"youth": "age <= 34 and country != 'ZAF'"})
    assert set(q.composite["country"]) == set(COUNTRIES) - {"ZAF"}
    with pytest.raises(EstimationError, match="filter 'bad'"):
        si.compute_index(d, audiences=[], filters={"bad": "shoe_size > 3"})


def test_options_are_checked(small):
    _, _, d = small
    with pytest.raises(EstimationError, match="unknown option"):
        si.compute_index(d, normalization="minmax")
    with pytest.raises(EstimationError, match="needs non-negative"):
        si.compute_index(d, audiences=["all"], normalisation="zscore", aggregation="geometric")
    with pytest.raises(EstimationError, match="needs populations="):
        si.compute_index(d, country_weights="population")


def test_sensitivity_analysis(small):
    _, _, d = small
    # Competence alone swaps Brazil and India among the USA's raters (checked on this sample).
    tilted = {"morality": 0, "competence": 1, "culture": 0, "technology": 0, "education": 0}
    factors = {"weights": ["equal", tilted], "normalisation": ["scale", "goalposts"]}
    res = si.compute_index(d, audiences=["all"], sensitivity=400, seed=2, sensitivity_factors=factors)
    idx = res.sensitivity_indices
    # Goalposts at the scale's bounds are the 'scale' normalisation, so that factor cannot matter.
    null = idx.query("factor == 'normalisation'")
    assert (null["total"].fillna(0) == 0).all() and (null["first_order"].fillna(0) == 0).all()
    # Only the weights matter, so where ranks vary they explain all of it (MC error aside).
    w = idx.query("factor == 'weights' and total.notna()")
    assert len(w) > 0
    np.testing.assert_allclose(w["total"], 1.0, atol=0.25)       # n = 400: Monte Carlo error
    np.testing.assert_allclose(w["first_order"], 1.0, atol=0.25)
    s = res.sensitivity.merge(res.composite, on=["country", "target", "audience"])
    np.testing.assert_array_equal(s["rank_x"], s["rank_y"])
    again = si.compute_index(d, audiences=["all"], sensitivity=400, seed=2, sensitivity_factors=factors)
    pd.testing.assert_frame_equal(res.sensitivity_indices, again.sensitivity_indices)


def test_interval_coverage_on_simulated_surveys(inst):
    """Small coverage study (the full one: benchmarks/bench_index.py --coverage): 95% intervals
    of dimension means and composites, per country and pooled, should cover the generator's truth
    about 95% of the time; require 85% over the cells of three independent surveys."""
    covered = []
    for rep in range(3):
        sim = si.simulate_softpower(n_per_country=300, countries=["BRA", "DEU", "IND", "ZAF"],
                                    seed=100 + rep, problems=False)
        r = si.read_responses(sim.responses, inst)
        d = si.make_design(r).with_replicates("bootstrap", n=40, seed=rep).rake(sim.margins)
        res = si.compute_index(d, audiences=["all"])
        truth = sim.truth.query("audience == 'all'")
        dims = res.dimensions.rename(columns={"dimension": "measure"}).assign(
            est=lambda t: t["mean"], se_=lambda t: t["mean_se"])
        comp = res.composite.assign(measure="composite", est=lambda t: t["score"], se_=lambda t: t["se"])
        j = truth.merge(pd.concat([dims, comp]), on=["country", "target", "measure"])
        covered += ((j["value"] - j["est"]).abs() <= 1.96 * j["se_"]).tolist()
        pooled_truth = truth.query("measure == 'composite'").groupby("target")["value"].mean()
        p = res.pooled.query("measure == 'composite'").set_index("target").loc[pooled_truth.index]
        covered += ((pooled_truth - p["score"]).abs() <= 1.96 * p["se"]).tolist()
    assert len(covered) == 3 * (4 * 2 * 6 + 2)
    assert np.mean(covered) >= 0.85
