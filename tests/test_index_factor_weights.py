"""Factor-analysis dimension weights (OECD/JRC Handbook 2008, section 6.1) against R, statsmodels
and hand-worked cases, and through compute_index.

Reference numbers: ``Rscript tests/reference/factor_weights.R`` (R 4.2.2 Patched, 2022-11-10
r83330; base ``stats`` only): ``cor`` -> ``eigen(symmetric = TRUE)`` -> the Handbook's number of
factors -> loadings ``vectors[, 1:m] %*% diag(sqrt(values[1:m]))`` ->
``stats::varimax(L, normalize = TRUE, eps = 0)``, applied again to its own output until the
rotation it returns is the identity to 1e-15 (varimax's own stop leaves the rotation off by about
1e-8; with the default eps = 1e-5 the weights differ by up to 7e-4) -> squared loadings scaled
to unity sum per factor, factor shares of the rotated explained variance, weights. Printed with
17 significant digits and pinned below with rtol 1e-10 (scaled squared loadings: rtol 1e-9,
atol 1e-13, some are below 1e-4); the Python results agree with R to about 1e-14.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest import reference
from statsmodels.multivariate.factor_rotation import rotate_factors

import surveyindex as si
from surveyindex.errors import EstimationError
from surveyindex.index import factor_weights, pca_weights

# The 12 x 5 matrix of tests/reference/index_methods.R (also typed into factor_weights.R).
X = np.array(reference("index_methods.json")["data"]["X"]["data"])
# A hand-written 12 x 5 matrix whose two factors with eigenvalue > 1 explain 55%: the Handbook's
# 60% criterion adds a third.
H = np.array([[7, 4, 6, 2, 9], [1, 3, 6, 1, 5], [2, 9, 3, 8, 3], [8, 1, 1, 3, 5],
              [2, 6, 5, 1, 4], [5, 9, 3, 3, 2], [5, 8, 4, 4, 6], [1, 6, 4, 6, 9],
              [3, 4, 4, 2, 4], [1, 3, 5, 4, 7], [9, 4, 9, 8, 3], [5, 7, 8, 3, 6]], float)
# R's datasets::swiss (47 Swiss provinces, 1888): Fertility, Agriculture, Examination,
# Education, Catholic, Infant.Mortality, row by row.
SWISS = np.array([
    80.2, 17, 15, 12, 9.96, 22.2, 83.1, 45.1, 6, 9, 84.84, 22.2, 92.5, 39.7, 5, 5, 93.4,
    20.2, 85.8, 36.5, 12, 7, 33.77, 20.3, 76.9, 43.5, 17, 15, 5.16, 20.6, 76.1, 35.3, 9, 7,
    90.57, 26.6, 83.8, 70.2, 16, 7, 92.85, 23.6, 92.4, 67.8, 14, 8, 97.16, 24.9, 82.4,
    53.3, 12, 7, 97.67, 21, 82.9, 45.2, 16, 13, 91.38, 24.4, 87.1, 64.5, 14, 6, 98.61,
    24.5, 64.1, 62, 21, 12, 8.52, 16.5, 66.9, 67.5, 14, 7, 2.27, 19.1, 68.9, 60.7, 19, 12,
    4.43, 22.7, 61.7, 69.3, 22, 5, 2.82, 18.7, 68.3, 72.6, 18, 2, 24.2, 21.2, 71.7, 34, 17,
    8, 3.3, 20, 55.7, 19.4, 26, 28, 12.11, 20.2, 54.3, 15.2, 31, 20, 2.15, 10.8, 65.1, 73,
    19, 9, 2.84, 20, 65.5, 59.8, 22, 10, 5.23, 18, 65, 55.1, 14, 3, 4.52, 22.4, 56.6, 50.9,
    22, 12, 15.14, 16.7, 57.4, 54.1, 20, 6, 4.2, 15.3, 72.5, 71.2, 12, 1, 2.4, 21, 74.2,
    58.1, 14, 8, 5.23, 23.8, 72, 63.5, 6, 3, 2.56, 18, 60.5, 60.8, 16, 10, 7.72, 16.3,
    58.3, 26.8, 25, 19, 18.46, 20.9, 65.4, 49.5, 15, 8, 6.1, 22.5, 75.5, 85.9, 3, 2, 99.71,
    15.1, 69.3, 84.9, 7, 6, 99.68, 19.8, 77.3, 89.7, 5, 2, 100, 18.3, 70.5, 78.2, 12, 6,
    98.96, 19.4, 79.4, 64.9, 7, 3, 98.22, 20.2, 65, 75.9, 9, 9, 99.06, 17.8, 92.2, 84.6, 3,
    3, 99.46, 16.3, 79.3, 63.1, 13, 13, 96.83, 18.1, 70.4, 38.4, 26, 12, 5.62, 20.3, 65.7,
    7.7, 29, 11, 13.79, 20.5, 72.7, 16.7, 22, 13, 11.22, 18.9, 64.4, 17.6, 35, 32, 16.92,
    23, 77.6, 37.6, 15, 7, 4.97, 20, 67.6, 18.7, 25, 7, 8.65, 19.5, 35, 1.2, 37, 53, 42.34,
    18, 44.7, 46.6, 16, 29, 50.43, 18.2, 42.8, 27.7, 22, 29, 58.33, 19.3
]).reshape(47, 6)
DATA = {"swiss": SWISS, "X": X, "H": H}

# Output of tests/reference/factor_weights.R (factors in order of rotated explained variance;
# ``factor`` 0-based).
R = {
    "swiss": dict(
        eigenvalues=[3.1997569987418233, 1.1883082490306749, 0.8476098128014512, 0.43892868112058947, 0.20453370354022724, 0.12086255476522993],
        n_factors=2,
        explained=[0.49198373976121196, 0.23936046820087076],
        factor_share=[0.67271161021722248, 0.32728838978277736],
        factor=[1, 0, 0, 0, 0, 1],
        weights=[0.10067340843973611, 0.20011957543141576, 0.21591740898144821, 0.18274277990072735, 0.074778928647527484, 0.22576789859914509],
        scaled_sq_loadings=[
            [0.13971703261091445, 0.2639178627869862],
            [0.25523795844918118, 0.016442977644236578],
            [0.27538694574608941, 0.025792112004135632],
            [0.23307512002580172, 0.0073168931909062609],
            [0.095375082831679975, 0.094673951155355804],
            [0.001207860336333326, 0.59185620321837951],
        ],
    ),
    "X": dict(
        eigenvalues=[1.7601423072230973, 1.2234720569088331, 1.0884951126262501, 0.61859109692730518, 0.30929942631451229],
        n_factors=3,
        explained=[0.30704545633583546, 0.26638118912540398, 0.24099524989039528],
        factor_share=[0.37701031626030329, 0.3270800928189575, 0.29590959092073921],
        factor=[0, 0, 1, 2, 1],
        weights=[0.24062261873806337, 0.16943042503008365, 0.2062195945474338, 0.2509489906462169, 0.13277837103820234],
        scaled_sq_loadings=[
            [0.55987148278756593, 0.0086595768236802095, 0.019140414131178153],
            [0.3942242162786127, 0.080307547633026846, 0.053707442444434268],
            [0.0036485478642458834, 0.55307107837454739, 0.080198779357316202],
            [3.1109540776297172e-05, 0.0018565637350578695, 0.74392909439591148],
            [0.042224643528799198, 0.35610523343368766, 0.10302426967115993],
        ],
    ),
    "H": dict(
        eigenvalues=[1.4847638554999691, 1.2827860503608737, 0.98412149592433784, 0.75502316696327254, 0.49330543125154608],
        n_factors=3,
        explained=[0.28518901173773409, 0.2388365755575213, 0.22630869306178009],
        factor_share=[0.38008261011616196, 0.31830689575301613, 0.30161049413082186],
        factor=[1, 0, 2, 0, 2],
        weights=[0.27082898090356172, 0.21609127136138476, 0.21810400195031152, 0.17912367477049176, 0.11585207101425016],
        scaled_sq_loadings=[
            [0.0026464722084061812, 0.69406111798336823, 0.013286086780725943],
            [0.46377555302262419, 0.064440679461407357, 0.031347373609512022],
            [0.01316188665808085, 0.037427174977036279, 0.58988290916670183],
            [0.38443561742575122, 0.033125393954228657, 0.052150743050914709],
            [0.13598047068513744, 0.1709456336239594, 0.31333288739214538],
        ],
    ),
}


def _units(x):
    """(units, K) or (units, K, 1 + R) -> (units, 1 target, K, 1 + R), the engine's layout."""
    return x[:, None, :, None] if x.ndim == 2 else x[:, None]


# -- against R ----------------------------------------------------------------------------------

@pytest.mark.parametrize("case", list(R))
def test_factor_weights_match_r_varimax(case):
    ref = R[case]
    w, info = factor_weights(_units(DATA[case]))
    np.testing.assert_allclose(w[:, 0], ref["weights"], rtol=1e-10)
    assert info["n_factors"] == ref["n_factors"]
    np.testing.assert_allclose(info["eigenvalues"][:, 0], ref["eigenvalues"], rtol=1e-10)
    np.testing.assert_allclose(info["explained"][:, 0], ref["explained"], rtol=1e-10)
    np.testing.assert_allclose(info["factor_share"][:, 0], ref["factor_share"], rtol=1e-10)
    assert info["factor"][:, 0].tolist() == ref["factor"]
    sq = info["loadings"][:, :, 0] ** 2
    np.testing.assert_allclose(sq / sq.sum(axis=0), ref["scaled_sq_loadings"], rtol=1e-9,
                               atol=1e-13)


def test_number_of_factors_follows_the_handbook_rule():
    # X: eigenvalues 1.76, 1.22, 1.09 > 1 (35%, 24%, 22%), together 81% -> 3 factors.
    assert factor_weights(_units(X))[1]["rule"].startswith(
        "3 factor(s): 3 with eigenvalue > 1 and over 10% of the variance each")
    # H: 1.48 and 1.28 > 1 explain 55% <= 60% -> the third (0.98) is added.
    rule = factor_weights(_units(H))[1]["rule"]
    assert rule == ("3 factor(s): 2 with eigenvalue > 1 and over 10% of the variance each, plus 1 "
                    "to explain over 60% together")
    # The rule from numpy's own eigenvalues, for random data of several sizes.
    rng = np.random.default_rng(7)
    for K in (3, 5, 8, 12):
        x = rng.normal(size=(40, K)) + rng.normal(size=(40, 1)) * rng.uniform(0, 1.5, K)
        e = np.linalg.eigvalsh(np.corrcoef(x.T))[::-1]
        m = max(1, int(np.cumprod((e > 1) & (e / K > 0.1)).sum()))
        while e[:m].sum() / K <= 0.6:
            m += 1
        assert factor_weights(_units(x))[1]["n_factors"] == m


def test_n_factors_override_and_one_factor_is_pca():
    w, info = factor_weights(_units(X), n_factors=2)
    assert info["n_factors"] == 2 and info["rule"] == "2 factor(s), as given by n_factors"
    np.testing.assert_allclose(w.sum(axis=0), 1.0)
    one, _ = factor_weights(_units(X), n_factors=1)
    np.testing.assert_allclose(one, pca_weights(_units(X))[0], rtol=1e-12)
    for bad in (0, 6):
        with pytest.raises(EstimationError, match="n_factors must be between 1 and"):
            factor_weights(_units(X), n_factors=bad)


def test_rotation_agrees_with_statsmodels_varimax():
    """statsmodels' gradient-projection varimax, with Kaiser normalisation done around it, finds
    the same rotated loadings (up to the order and sign of the factors, and its tolerance)."""
    for x, m in ((SWISS, 2), (X, 3), (H, 3)):
        e, v = np.linalg.eigh(np.corrcoef(x.T))
        A = v[:, ::-1][:, :m] * np.sqrt(e[::-1][:m])
        h = np.sqrt((A**2).sum(axis=1, keepdims=True))
        L, T = rotate_factors(A / h, "varimax", tol=1e-7, max_tries=5000)
        L = L * h
        ours = factor_weights(_units(x), n_factors=m)[1]["loadings"][:, :, 0]
        cong = ours.T @ L / np.outer(np.linalg.norm(ours, axis=0), np.linalg.norm(L, axis=0))
        match = np.abs(cong).argmax(axis=1)
        assert sorted(match.tolist()) == list(range(m))
        np.testing.assert_allclose(ours, L[:, match] * np.sign(cong[np.arange(m), match]),
                                   atol=1e-6)


# -- hand-worked cases --------------------------------------------------------------------------

def _blocks(sizes, n=16):
    """Dimensions in blocks of perfectly correlated columns, blocks exactly uncorrelated: block b
    is a linear function of the b-th column of a 0/1 Hadamard-like design (orthogonal, mean 0)."""
    base = np.array([[(-1.0) ** ((i >> b) & 1) for b in range(len(sizes))] for i in range(n)])
    cols, rng = [], np.random.default_rng(3)
    for b, size in enumerate(sizes):
        for _ in range(size):
            cols.append(rng.uniform(0.5, 3) * base[:, b] + rng.normal())
    return np.column_stack(cols)


def test_two_blocks_of_perfectly_correlated_dimensions_by_hand():
    """Blocks of 3 and 2: eigenvalues 3 and 2 (and zeros) -> two factors, 60% and 40% of the
    variance; loadings 1 on the own block's factor, 0 elsewhere (varimax leaves this simple
    structure alone); scaled squared loadings 1/3 and 1/2; weights 1/3 * 0.6 = 1/2 * 0.4 = 0.2."""
    w, info = factor_weights(_units(_blocks([3, 2])))
    assert info["n_factors"] == 2
    np.testing.assert_allclose(info["eigenvalues"][:2, 0], [3, 2], atol=1e-12)
    np.testing.assert_allclose(info["factor_share"][:, 0], [0.6, 0.4], atol=1e-12)
    np.testing.assert_allclose(info["explained"][:, 0], [0.6, 0.4], atol=1e-12)
    np.testing.assert_allclose(np.abs(info["loadings"][:, :, 0]),
                               [[1, 0], [1, 0], [1, 0], [0, 1], [0, 1]], atol=1e-12)
    assert info["factor"][:, 0].tolist() == [0, 0, 0, 1, 1]
    np.testing.assert_allclose(w[:, 0], 0.2, atol=1e-12)
    # Blocks of 4 and 2: eigenvalues 4 and 2, shares 2/3 and 1/3, scaled squared loadings 1/4
    # and 1/2, so again 1/4 * 2/3 = 1/2 * 1/3 = 1/6 each.
    w, info = factor_weights(_units(_blocks([4, 2])))
    assert info["n_factors"] == 2 and info["factor"][:, 0].tolist() == [0, 0, 0, 0, 1, 1]
    np.testing.assert_allclose(info["factor_share"][:, 0], [2 / 3, 1 / 3], atol=1e-12)
    np.testing.assert_allclose(w[:, 0], 1 / 6, atol=1e-12)
    # A third factor would have no variance to rotate: an error, not arbitrary weights.
    with pytest.raises(EstimationError, match="component 3 has .*zero variance"):
        factor_weights(_units(_blocks([4, 2])), n_factors=3)


def test_too_few_units_and_constant_dimension():
    with pytest.raises(EstimationError, match="factor weights need more complete units .* 5 units, 5 dimensions"):
        factor_weights(_units(X[:5]))
    partial = _units(X).copy()
    partial[:8, 0, 2, 0] = np.nan                              # 8 incomplete units, 4 left
    with pytest.raises(EstimationError, match="4 units, 5 dimensions"):
        factor_weights(partial)
    flat = X.copy()
    flat[:, 1] = 3.0
    with pytest.raises(EstimationError, match="a dimension does not vary"):
        factor_weights(_units(flat))


# -- replicates ---------------------------------------------------------------------------------

def test_replicates_are_rederived_and_matched_to_the_main_factors():
    rng = np.random.default_rng(11)
    R = 200
    reps = SWISS[:, :, None] * rng.gamma(100, 1 / 100, size=(47, 1, R))  # reweighted-like noise
    x = np.concatenate([SWISS[:, :, None], reps], axis=2)
    t = time.perf_counter()
    w, info = factor_weights(_units(x))
    assert time.perf_counter() - t < 0.5                       # 200 replicates, well under 1 s
    assert w.shape == (6, 1 + R) and info["loadings"].shape == (6, 2, 1 + R)
    np.testing.assert_allclose(w.sum(axis=0), 1.0)
    # Every column is the estimator applied to that column alone, with the main's n_factors.
    for r in (0, 1, 77, R):
        alone, _ = factor_weights(_units(x[:, :, r]), n_factors=2)
        np.testing.assert_allclose(w[:, r], alone[:, 0], rtol=1e-10)
    # Replicate factors line up with the main ones: positive congruence, shares close.
    main = info["loadings"][:, :, :1]
    cong = (info["loadings"] * main).sum(axis=0) / np.linalg.norm(info["loadings"], axis=0) \
        / np.linalg.norm(main, axis=0)
    assert (cong > 0.8).all()
    assert np.abs(info["factor_share"] - info["factor_share"][:, :1]).max() < 0.2
    assert (info["factor_share"][0, 1:] > info["factor_share"][1, 1:]).mean() > 0.9
    # A replicate whose factors come out in the other order and sign is put back in line.
    swapped = np.concatenate([SWISS[:, :, None], SWISS[:, [5, 1, 2, 3, 4, 0], None]], axis=2)
    _, inf2 = factor_weights(_units(swapped))
    perm = [5, 1, 2, 3, 4, 0]
    np.testing.assert_allclose(inf2["loadings"][perm, :, 1], inf2["loadings"][:, :, 0], atol=1e-10)
    np.testing.assert_allclose(inf2["factor_share"][:, 1], inf2["factor_share"][:, 0], rtol=1e-10)


# -- through compute_index ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def small(inst):
    sim = si.simulate_softpower(n_per_country=250, countries=["BRA", "DEU", "IND", "JPN", "ZAF"],
                                seed=5, problems=False)
    resp = si.read_responses(sim.responses, inst)
    return si.make_design(resp).with_replicates("bootstrap", n=40, seed=3).rake(sim.margins)


def test_compute_index_factor_weights_on_the_bundled_sample(sample, margins):
    d = si.make_design(sample).with_replicates("bootstrap", n=30, seed=2).rake(margins, by="country")
    res = si.compute_index(d, audiences=["all"], weights="factor")
    w = res.weights
    assert res.settings["weights_method"] == "factor" and (w["method"] == "factor").all()
    assert np.isclose(w["weight"].sum(), 1.0) and (w["se"] > 0).all()
    assert (w["ci_low"] < w["weight"]).all() and (w["weight"] < w["ci_high"]).all()
    assert "factor analysis (OECD/JRC Handbook 2008, 6.1)" in w["derivation"].iloc[0]
    assert {"factor", "same_factor"} <= set(w.columns)
    f = res.factors
    assert len(f) == res.settings["n_factors"] >= 1
    assert np.isclose(f["composite_weight"].sum(), 1.0) and (f["eigenvalue"] > 1).all()
    assert (f["eigenvalue_se"] > 0).all() and (f["explained_se"] > 0).all()
    # The weights are the estimator applied to the result's own dimension table.
    dims = res.dimensions.pivot_table(index=["country", "target"], columns="dimension",
                                      values="score")[res.settings["dimensions"]]
    ref, _ = factor_weights(dims.to_numpy()[:, None, :, None])
    np.testing.assert_allclose(w["weight"], ref[:, 0], rtol=1e-10)
    comp = res.composite.set_index(["country", "target"])["score"]
    np.testing.assert_allclose(comp.loc[dims.index], dims.to_numpy() @ ref[:, 0], rtol=1e-10)


def test_compute_index_n_factors_and_other_weights_have_no_factor_table(small):
    two = si.compute_index(small, audiences=["all"], weights="factor", n_factors=2)
    assert two.settings["n_factors"] == 2 and len(two.factors) == 2
    assert set(two.weights["factor"]) <= {"F1", "F2"}
    np.testing.assert_allclose(two.factors["composite_weight"].sum(), 1.0)
    assert two.factors["dimensions"].str.len().gt(0).any()
    pca = si.compute_index(small, audiences=["all"], weights="pca")
    assert pca.factors.empty and "factor" not in pca.weights.columns
    assert pca.settings["n_factors"] is None
