"""Tests of surveyindex.reliability.alpha_bootstrap: the seeded percentile bootstrap of alpha.

psych::alpha(n.iter=) draws its own random numbers, so its interval cannot be matched digit for
digit; the checks are that each replicate is exactly alpha of a resample, that the seed fixes the
result, and that on normal data the interval agrees with Feldt's (pinned against psych in
tests/test_reliability.py) to Monte Carlo error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import reference_data

from surveyindex.errors import EstimationError
from surveyindex.reliability import alpha_bootstrap, cronbach_alpha


@pytest.fixture(scope="module")
def agree() -> pd.DataFrame:
    bfi = reference_data("bfi")
    return bfi[["A1", "A2", "A3", "A4", "A5"]].assign(A1=7 - bfi["A1"])


def test_replicates_are_alphas_of_resamples(agree):
    b = alpha_bootstrap(agree, n_boot=3, seed=7)
    rng = np.random.default_rng(7)
    x = agree.to_numpy(float)  # no bfi row misses all five items, so no row is dropped
    for rep in b.replicates:
        idx = rng.integers(0, len(x), len(x))
        assert rep == pytest.approx(cronbach_alpha(x[idx]).alpha, rel=1e-12)
    assert b.alpha == pytest.approx(cronbach_alpha(agree).alpha, rel=1e-12)


def test_seed_fixes_the_interval(agree):
    a = alpha_bootstrap(agree, n_boot=50, seed=3)
    b = alpha_bootstrap(agree, n_boot=50, seed=3)
    c = alpha_bootstrap(agree, n_boot=50, seed=4)
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    assert (a.ci_low, a.ci_high) != (c.ci_low, c.ci_high)


def test_agrees_with_feldt_on_normal_data():
    """Parallel normal items (alpha = .8 in the population), n = 1000: the bootstrap and Feldt
    intervals have the same width to within 20% (Monte Carlo error with 300 replicates)."""
    rng = np.random.default_rng(11)
    x = rng.normal(size=(1000, 1)) + rng.normal(size=(1000, 4))
    feldt = cronbach_alpha(x)
    boot = alpha_bootstrap(x, n_boot=300, seed=1)
    assert boot.ci_low < feldt.alpha < boot.ci_high
    width_b, width_f = boot.ci_high - boot.ci_low, feldt.ci_high - feldt.ci_low
    assert width_b == pytest.approx(width_f, rel=0.2)
    assert boot.se == pytest.approx(width_f / (2 * 1.959964), rel=0.2)
    std = alpha_bootstrap(x, n_boot=50, seed=1, standardized=True)
    assert std.alpha == pytest.approx(feldt.alpha_std, rel=1e-12)


def test_bad_arguments(agree):
    with pytest.raises(EstimationError, match="n_boot"):
        alpha_bootstrap(agree, n_boot=1)
    with pytest.raises(EstimationError, match="level"):
        alpha_bootstrap(agree, level=95)
