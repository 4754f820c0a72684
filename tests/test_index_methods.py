"""Composite-indicator building blocks against hand calculations, the OECD/JRC Handbook formulas
and base R (tests/reference/index_methods.R -> index_methods.json, R 4.2.2)."""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest
from conftest import reference

import surveyindex as si
from surveyindex.errors import EstimationError
from surveyindex.estimate import replicate_se
from surveyindex.index import (
    aggregate,
    driver_weights,
    fixed_weights,
    normalise,
    pca_weights,
    pool,
    score_bounds,
    sobol_indices,
)
from surveyindex.index.uncertainty import rank_distribution, ranks

REF = reference("index_methods.json")
X = np.array(REF["data"]["X"]["data"])                         # 12 units x 5 indicators


def _units(x):
    """(units, K) -> (units, 1 target, K, 1 replicate column), the layout the engine uses."""
    return x[:, None, :, None]


def _data(name):
    v = REF["data"][name]
    return np.array(v["data"] if isinstance(v, dict) else v, float)


def _r(name):
    v = REF["values"][name]
    return np.array(v["data"]) if isinstance(v, dict) and "data" in v else np.array(
        list(v.values()) if isinstance(v, dict) else v, float)


# -- scoring ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def two_respondents(inst):
    """Two respondents; USA morality answers (mor4 reverse-keyed, 8 = don't know, 9 = refused)."""
    sim = si.simulate_softpower(n_per_country=2, countries=["BRA"], seed=3, problems=False)
    df = sim.responses.head(2).copy()
    df[["USA_mor1", "USA_mor2", "USA_mor3", "USA_mor4"]] = [[5, 4, 8, 2], [1, 8, 9, 3]]
    return si.read_responses(df, inst)


def test_box_and_net_scores_by_hand(two_respondents):
    r = two_respondents
    # After reverse keying mor4 (2 -> 4, 3 -> 3): row 1 valid (5, 4, 4) + DK; row 2 (1, 3) + DK + refused.
    top = si.index.score_dimensions(r, 1, scoring="top_box")[:, 0, 0]
    bottom = si.index.score_dimensions(r, 1, scoring="bottom_box")[:, 0, 0]
    net = si.index.score_dimensions(r, 1, scoring="net")[:, 0, 0]
    np.testing.assert_allclose(top, [3 / 3, 0 / 2])
    np.testing.assert_allclose(bottom, [0 / 3, 1 / 2])
    np.testing.assert_allclose(net, [1.0, -0.5])
    # Don't know kept in the base (refused never is): row 1 base 4, row 2 base 3.
    np.testing.assert_allclose(si.index.score_dimensions(r, 1, scoring="top_box", dont_know="include")[:, 0, 0],
                               [3 / 4, 0 / 3])
    np.testing.assert_allclose(si.index.score_dimensions(r, 1, scoring="net", dont_know="include")[:, 0, 0],
                               [3 / 4, -1 / 3])
    # Don't know as the midpoint 3: row 1 mean(5, 4, 3, 4) = 4; row 2 mean(1, 3, 3) = 7/3.
    np.testing.assert_allclose(si.index.score_dimensions(r, 1, dont_know="midpoint")[:, 0, 0], [4.0, 7 / 3])
    # The minimum-valid rule counts the base: row 2 has 2 valid answers, 3 with don't know in.
    assert np.isnan(si.index.score_dimensions(r, 3, scoring="top_box")[1, 0, 0])
    assert si.index.score_dimensions(r, 3, scoring="top_box", dont_know="include")[1, 0, 0] == 0.0
    # A custom top box: codes 5 only.
    np.testing.assert_allclose(si.index.score_dimensions(r, 1, scoring="top_box", top=5)[:, 0, 0], [1 / 3, 0])


def test_scoring_errors(two_respondents):
    with pytest.raises(EstimationError, match="use dont_know='midpoint'"):
        si.index.score_dimensions(two_respondents, scoring="mean", dont_know="include")
    with pytest.raises(EstimationError, match="scoring must be one of"):
        si.index.score_dimensions(two_respondents, scoring="median")


def test_score_bounds(inst):
    assert [b.tolist() for b in score_bounds(inst, "mean")] == [[1.0] * 5, [5.0] * 5]
    assert [b.tolist() for b in score_bounds(inst, "top_box")] == [[0.0] * 5, [1.0] * 5]


# -- normalisation ------------------------------------------------------------------------------

def test_normalisations_match_r():
    np.testing.assert_allclose(normalise(_units(X), "zscore")[:, 0, :, 0], _r("zscore"), rtol=1e-12)
    np.testing.assert_allclose(normalise(_units(X), "rank")[:, 0, :, 0], _r("rank"), rtol=1e-12)
    np.testing.assert_allclose(normalise(_units(X), "minmax")[:, 0, :, 0], _r("minmax"),
                               rtol=1e-12, atol=1e-12)


def test_normalisations_by_hand():
    x = np.array([[2.0, 4.0], [3.0, 1.0], [5.0, 5.0]])[:, :, None, None]   # 3 countries x 2 targets
    b = (np.array([1.0]), np.array([5.0]))
    # scale: 100 * (x - 1) / 4
    np.testing.assert_allclose(normalise(x, "scale", bounds=b)[..., 0, 0], 25 * (x[..., 0, 0] - 1))
    # min-max across countries, per target: target 1 (2, 3, 5) -> (0, 1/3, 1); target 2 (4, 1, 5).
    np.testing.assert_allclose(normalise(x, "minmax")[:, :, 0, 0],
                               100 * np.array([[0, 3 / 4], [1 / 3, 0], [1, 1]]))
    # min-max across targets, per country: (2, 4) -> (0, 100); (3, 1) -> (100, 0); (5, 5) -> 0/0.
    mm = normalise(x, "minmax", across="targets")[:, :, 0, 0]
    np.testing.assert_allclose(mm[:2], [[0, 100], [100, 0]])
    assert np.isnan(mm[2]).all()
    # across all six cells: min 1, max 5.
    np.testing.assert_allclose(normalise(x, "minmax", across="all")[..., 0, 0], 25 * (x[..., 0, 0] - 1))
    # distance to country 0 on the 0-100 scale: 100 * s / s_ref; target 1 s = (25, 50, 100).
    np.testing.assert_allclose(normalise(x, "distance", bounds=b, reference=0)[:, 0, 0, 0],
                               [100, 200, 400])
    # goalposts (2, 4), clipped: target 1 (2, 3, 5) -> (0, 50, 100).
    np.testing.assert_allclose(normalise(x, "goalposts", bounds=b, goalposts=(2, 4))[:, 0, 0, 0],
                               [0, 50, 100])
    # rank across countries (1 = lowest): target 2 (4, 1, 5) -> (2, 1, 3).
    np.testing.assert_allclose(normalise(x, "rank")[:, 1, 0, 0], [2, 1, 3])


def test_normalisation_errors():
    one = np.ones((1, 2, 1, 1))
    with pytest.raises(EstimationError, match="only one along 'countries'"):
        normalise(one, "minmax")
    with pytest.raises(EstimationError, match="needs a reference"):
        normalise(np.ones((3, 1, 1, 1)), "distance", bounds=(np.ones(1), 5 * np.ones(1)))
    with pytest.raises(EstimationError, match="normalisation must be one of"):
        normalise(one, "log")


# -- weights ------------------------------------------------------------------------------------

def test_pca_weights_match_r_prcomp():
    w, share = pca_weights(_units(X))
    np.testing.assert_allclose(w[:, 0], _r("pca_weights"), rtol=1e-10)
    assert share[0] == pytest.approx(float(REF["values"]["pca_share"]), rel=1e-10)


def test_driver_weights_match_r_lm():
    S, y, w = (_data(k) for k in ("S", "y", "w"))
    weights, coef = driver_weights(S[:, None, :], y[:, None], w)
    np.testing.assert_allclose(coef[:, 0], _r("driver_coef"), rtol=1e-10)
    b = np.clip(_r("driver_coef")[1:], 0, None)                    # negative coefficient -> 0
    np.testing.assert_allclose(weights[:, 0], b / b.sum(), rtol=1e-10)


def test_driver_weights_per_replicate_column_and_mask():
    """Each replicate column gets its own WLS fit; a masked-out respondent has weight 0."""
    S, y, w = (_data(k) for k in ("S", "y", "w"))
    rep = np.column_stack([w[::-1], np.where(np.arange(len(w)) < 150, w, 0.0)])
    _, coef = driver_weights(S[:, None, :], y[:, None], w, rep, mask=np.arange(len(w)) < 150)
    _, half = driver_weights(S[:150, None, :], y[:150, None], w[:150])
    _, rev = driver_weights(S[:, None, :], y[:, None], w[::-1])
    np.testing.assert_allclose(coef[:, 0], half[:, 0], rtol=1e-10)
    np.testing.assert_allclose(coef[:, 2], half[:, 0], rtol=1e-10)
    _, rev_masked = driver_weights(S[:150, None, :], y[:150, None], w[::-1][:150])
    np.testing.assert_allclose(coef[:, 1], rev_masked[:, 0], rtol=1e-10)
    assert not np.allclose(rev[:, 0], rev_masked[:, 0])


def test_fixed_weights():
    assert fixed_weights("equal", ["a", "b", "c", "d"]).tolist() == [0.25] * 4
    with pytest.raises(EstimationError, match="a number for each dimension"):
        fixed_weights({"a": 1}, ["a", "b"])


# -- aggregation --------------------------------------------------------------------------------

def test_aggregation_matches_handbook_formulas_in_r():
    v = np.array([0.1, 0.2, 0.3, 0.25, 0.15])
    x = X[:, :, None]                                              # (units, K, 1)
    np.testing.assert_allclose(aggregate(x, v, "arithmetic")[:, 0], _r("arithmetic"), rtol=1e-12)
    np.testing.assert_allclose(aggregate(x, v, "geometric")[:, 0], _r("geometric"), rtol=1e-12)
    np.testing.assert_allclose(aggregate(x, v, "generalised", power=2)[:, 0], _r("generalised_p2"),
                               rtol=1e-12)
    # p = 1 is the arithmetic mean; p = -1 the weighted harmonic mean 1 / sum(v / x).
    np.testing.assert_allclose(aggregate(x, v, "generalised", power=1), aggregate(x, v), rtol=1e-12)
    np.testing.assert_allclose(aggregate(x, v, "generalised", power=-1)[:, 0], 1 / (v / X).sum(1))


def test_geometric_with_zero_scores():
    """A zero score makes the geometric composite 0 (Handbook: not compensable), unless the
    dimension has weight 0: (0^0.5 * 4^0.5) = 0 but 0^0 * 4^1 = 4."""
    x = np.array([[0.0], [4.0]])
    assert float(aggregate(x, np.array([0.5, 0.5]), "geometric")[0]) == 0.0
    assert float(aggregate(x, np.array([0.0, 1.0]), "geometric")[0]) == 4.0


def test_aggregation_errors():
    with pytest.raises(EstimationError, match="non-negative"):
        aggregate(np.array([[-1.0], [2.0]]), np.array([0.5, 0.5]), "geometric")
    with pytest.raises(EstimationError, match="aggregation must be one of"):
        aggregate(np.ones((2, 1)), np.array([0.5, 0.5]), "copeland")


def test_pooling_by_hand():
    x = np.array([[50.0, 60.0], [70.0, np.nan], [40.0, 80.0], [90.0, 20.0]])   # 4 countries x 2
    pops = np.array([1.0, 2.0, 3.0, 4.0])
    # Weighted mean, NaN country left out: target 1 (50 + 140 + 120 + 360) / 10 = 67;
    # target 2 (60 + 240 + 80) / 8 = 47.5.
    np.testing.assert_allclose(pool(x, pops, "mean"), [67.0, 47.5])
    # Weighted median: target 1 sorted 40(3) 50(1) 70(2) 90(4), cumulative 0.3, 0.4, 0.6 -> 70;
    # target 2 sorted 20(4) 60(1) 80(3), cumulative 0.5 exactly -> (20 + 60) / 2 = 40.
    np.testing.assert_allclose(pool(x, pops, "median"), [70.0, 40.0])
    np.testing.assert_allclose(pool(x, np.ones(4), "median"), np.nanmedian(x, axis=0))


# -- ranks and replicate SEs ---------------------------------------------------------------------

def test_ranks_and_rank_distribution():
    assert ranks(np.array([3.0, 9.0, np.nan, 3.0])).tolist()[:2] == [2.0, 1.0]
    # 3 units, full sample then 4 replicates; unit 0 ranks 1, 2, 1, 1 in the replicates.
    x = np.array([[5.0, 5.0, 3.0, 5.0, 5.0], [4.0, 4.0, 4.0, 4.0, 4.0], [1.0, 1.0, 1.0, 1.0, 1.0]])
    d = rank_distribution(x, level=0.5)
    assert d["rank"].tolist() == [1, 2, 3]
    assert d["rank_median"].tolist() == [1, 2, 3]
    assert d["p_first"].tolist() == [0.75, 0.25, 0.0]
    # Central 50% of (1, 2, 1, 1) as order statistics (issue 17: ranks are whole numbers): sorted
    # 1, 1, 1, 2; positions 1 + 3 * 0.25 = 1.75 -> floor 1st = 1 and 1 + 3 * 0.75 = 3.25 -> ceil
    # 4th = 2 (linear interpolation would give 1 and 1.25).
    assert (d["rank_low"][0], d["rank_high"][0]) == (1.0, 2.0)
    # SE = sqrt(scale * sum of squared deviations from the replicates' mean): values 2, 4 -> 2 * 1.
    assert float(replicate_se(np.array([0.0, 2.0, 4.0]), 1.0)) == pytest.approx(np.sqrt(2.0))


# -- sensitivity indices -------------------------------------------------------------------------

def test_sobol_indices_against_exact_decomposition():
    """f = x1 + x2 + 2 x1 x2 with x1 uniform on {0, 1} and x2 uniform on {0, 1, 2}.

    By hand: E[f|x1] = 1 + 3 x1, so V1 = 9/4; E[f|x2] = 1/2 + 2 x2, so V2 = 4 * 2/3 = 8/3; the six
    cells are 0, 1, 2, 1, 4, 7, so V = 71/6 - 2.5^2 = 67/12; the interaction V12 = V - V1 - V2 =
    2/3; first-order S_i = V_i / V and total ST_i = (V_i + V12) / V.
    """
    cells = np.array([a + b + 2 * a * b for a, b in product([0, 1], [0, 1, 2])], float)
    V = cells.var()
    V1, V2 = 9 / 4, 8 / 3
    assert V == pytest.approx(67 / 12)
    V12 = V - V1 - V2
    exact_first, exact_total = [V1 / V, V2 / V], [(V1 + V12) / V, (V2 + V12) / V]
    first, total, _ = sobol_indices(lambda c: np.array([c[0] + c[1] + 2.0 * c[0] * c[1]]),
                                    [2, 3], n=4000, seed=7)
    np.testing.assert_allclose(first[:, 0], exact_first, atol=0.05)
    np.testing.assert_allclose(total[:, 0], exact_total, atol=0.05)
    again, _, _ = sobol_indices(lambda c: np.array([c[0] + c[1] + 2.0 * c[0] * c[1]]),
                                [2, 3], n=4000, seed=7)
    np.testing.assert_array_equal(first, again)


def test_holm_matches_statsmodels():
    """Holm's adjustment against statsmodels' multipletests(method='holm') (independent code)."""
    from statsmodels.stats.multitest import multipletests

    from surveyindex.estimate import adjust_pvalues

    p = np.random.default_rng(3).uniform(0, 0.2, size=17)
    np.testing.assert_allclose(adjust_pvalues(p, "holm"), multipletests(p, method="holm")[1],
                               rtol=1e-14)
