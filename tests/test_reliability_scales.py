"""Tests of scale_alphas and of the one-pass covariance engine behind every alpha.

References: R 4.2.2 psych 2.2.9 (``tests/reference/psych_alpha.json``, made by psych_alpha.R);
pandas' pairwise-complete ``DataFrame.cov`` (R's ``cov(use="pairwise")``, computed pair by pair,
independently of the one-pass sums); the closed forms written beside each test.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveyindex.errors import EstimationError
from surveyindex.reliability import cronbach_alpha, item_statistics, scale_alphas
from surveyindex.reliability import moments as mom

REF = Path(__file__).parent / "reference"
PSYCH = json.loads((REF / "psych_alpha.json").read_text())["cases"]
BIG_FIVE = {f: [f"{f}{i}" for i in range(1, 6)] for f in "ACENO"}
REVERSED = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]  # psych's bfi.keys


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    x = pd.read_csv(REF / "data" / "bfi.csv")[[i for items in BIG_FIVE.values() for i in items]]
    x[REVERSED] = 7 - x[REVERSED]  # psych reverses with min + max = 7
    return x.astype(float)


@pytest.mark.parametrize("missing, weighted", [("pairwise", False), ("listwise", False),
                                               ("pairwise", True), ("listwise", True)])
def test_each_scale_equals_its_own_alpha(bfi, missing, weighted):
    """One pass over the 25 Big Five items gives what cronbach_alpha and item_statistics give
    scale by scale (each pinned to psych / svycralpha in test_reliability.py)."""
    w = np.resize([1.0, 2.0, 0.5, 3.0], len(bfi)) if weighted else None
    res = scale_alphas(bfi, BIG_FIVE, missing=missing, weights=w)
    assert list(res.scales["scale"]) == list(BIG_FIVE) and (res.scales["flag"] != "").sum() <= 5
    for name, items in BIG_FIVE.items():
        one = cronbach_alpha(bfi[items], missing=missing, weights=w)
        row = res.scales.set_index("scale").loc[name]
        assert row["n"] == one.n and row["n_items"] == 5
        np.testing.assert_allclose(
            row[["n_eff", "alpha", "alpha_std", "average_r", "ci_low", "ci_high"]].to_numpy(float),
            [one.n_eff, one.alpha, one.alpha_std, one.average_r, one.ci_low, one.ci_high],
            rtol=1e-12)
        got = res.items[res.items["scale"] == name].drop(columns="scale").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, item_statistics(bfi[items], missing, w), rtol=1e-12)


def test_agreeableness_matches_psych(bfi):
    """psych 2.2.9: ``psych::alpha(bfi[,1:5], keys=c("A1"))`` (case agree_A1rev)."""
    ref = PSYCH["agree_A1rev"]
    row = scale_alphas(bfi, BIG_FIVE).scales.iloc[0]
    np.testing.assert_allclose(
        row[["alpha", "alpha_std", "average_r", "ci_low", "ci_high"]].to_numpy(float),
        [ref["total"]["raw_alpha"], ref["total"]["std.alpha"], ref["total"]["average_r"],
         ref["feldt"]["lower.ci"], ref["feldt"]["upper.ci"]], rtol=1e-9)


def test_a_scale_it_cannot_estimate_is_flagged(bfi):
    x = bfi.assign(const=4.0)
    res = scale_alphas(x, {"A": BIG_FIVE["A"], "bad": ["A1", "const"]})
    bad = res.scales.iloc[1]
    assert bad["flag"].startswith("not estimable: item 'const' has zero variance")
    assert np.isnan(bad["alpha"]) and bad["n"] == len(bfi)
    assert res.scales.iloc[0]["flag"] == "" and set(res.items["scale"]) == {"A"}
    with pytest.raises(EstimationError, match="not columns of data: \\['nope'\\]"):
        scale_alphas(bfi, {"A": ["A1", "nope"]})
    with pytest.raises(EstimationError, match="non-empty dict"):
        scale_alphas(bfi, [["A1", "A2"]])
    arr = scale_alphas(bfi.to_numpy(), {"A": [0, 1, 2, 3, 4]}).scales  # positions of an array
    assert arr["alpha"].iloc[0] == pytest.approx(cronbach_alpha(bfi[BIG_FIVE["A"]]).alpha,
                                                 rel=1e-12)


def test_covariance_across_blocks_matches_pandas_pairwise():
    """More respondents than one block of the one-pass sums, answers missing at random and in a
    pattern (item 3 unanswered by a run of rows): the covariance equals pandas' pairwise
    ``DataFrame.cov`` (pair by pair, each centred at its own means), and the item means equal
    the column means of the answers."""
    rng = np.random.default_rng(3)
    n = 2 * mom._BLOCK + 1234
    x = rng.normal(50, 10, (n, 4)) + rng.normal(0, 5, (n, 1))
    x[rng.random((n, 4)) < 0.1] = np.nan
    x[1000:40000, 3] = np.nan
    m = mom.scale_moments(mom.items_by_row(x), [range(4)])[0]
    np.testing.assert_allclose(m.covariance(), pd.DataFrame(x).cov().to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(m.means(), np.nanmean(x, axis=0), rtol=1e-13)
    np.testing.assert_array_equal(np.diag(m.count), (~np.isnan(x)).sum(axis=0))
    assert m.n == int((~np.isnan(x)).any(axis=1).sum())


def test_weights_across_blocks():
    """More respondents than one block, 5% missing, weights 0-3. Listwise, integer weights equal
    repeated rows (the n/(n-1) factor cancels in alpha). Pairwise, each covariance is the
    docstring's formula written pair by pair: sum w (x_j - m_j)(x_l - m_l) / sum w * m/(m-1)
    over the rows answering both with a positive weight, centred at those rows' weighted means."""
    rng = np.random.default_rng(4)
    n = mom._BLOCK + 500
    x = rng.integers(1, 6, (n, 3)).astype(float) + rng.integers(0, 2, (n, 1))
    x[rng.random((n, 3)) < 0.05] = np.nan
    w = rng.integers(0, 4, n).astype(float)  # zero weights drop the row
    weighted = cronbach_alpha(x, weights=w, missing="listwise")
    repeated = cronbach_alpha(np.repeat(x, w.astype(int), axis=0), missing="listwise")
    np.testing.assert_allclose([weighted.alpha, weighted.alpha_std],
                               [repeated.alpha, repeated.alpha_std], rtol=1e-12)
    kept = (w > 0) & (~np.isnan(x)).all(axis=1)
    assert weighted.n == int(kept.sum())
    assert weighted.n_eff == pytest.approx(w[kept].sum() ** 2 / (w[kept] ** 2).sum(), rel=1e-12)

    cov = mom.scale_moments(mom.items_by_row(x), [range(3)], w)[0].covariance()
    for j in range(3):
        for k in range(3):
            both = ~np.isnan(x[:, j]) & ~np.isnan(x[:, k]) & (w > 0)
            xj, xk, wb = x[both, j], x[both, k], w[both]
            dj, dk = xj - np.average(xj, weights=wb), xk - np.average(xk, weights=wb)
            m = both.sum()
            assert cov[j, k] == pytest.approx((wb * dj * dk).sum() / wb.sum() * m / (m - 1),
                                              rel=1e-12)


def test_constant_item_found_exactly():
    """0.1 repeated has no exact mean in binary, so the centred item is rounding noise, not 0:
    it is still a constant item. A spread of 1e-9 around 1e6 is tiny but real."""
    x = np.column_stack([np.arange(10.0), np.full(10, 0.1)])
    with pytest.raises(EstimationError, match="item 1 has zero variance \\(every answer is 0.1\\)"):
        cronbach_alpha(x)
    y = np.column_stack([np.arange(10.0), 1e6 + 1e-9 * np.arange(10.0)[::-1] ** 2])
    assert np.isfinite(cronbach_alpha(y).alpha)


def test_all_weights_one_is_the_unweighted_path(bfi):
    a = scale_alphas(bfi, BIG_FIVE).scales
    b = scale_alphas(bfi, BIG_FIVE, weights=np.ones(len(bfi))).scales
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_one_item_scale_is_flagged(bfi):
    """A one-item dimension has no alpha: flagged, as in the reliability table."""
    res = scale_alphas(bfi, {"A": BIG_FIVE["A"], "single": ["C1"]}).scales
    assert res.iloc[1]["flag"] == "not estimable: alpha needs at least 2 items; got 1 (['C1'])"
    assert res.iloc[1]["n"] == int(bfi["C1"].notna().sum())
