"""A bootstrap confidence interval for Cronbach's alpha (as ``psych::alpha(n.iter=)`` gives one)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import EstimationError
from .alpha import _check_level, _covariance, _prepare


@dataclass(frozen=True)
class AlphaBootstrap:
    """Percentile bootstrap interval of alpha.

    Attributes
    ----------
    alpha : alpha of the data.
    ci_low, ci_high : the ``(1 - level)/2`` and ``(1 + level)/2`` quantiles of the replicates.
    se : standard deviation of the replicates.
    replicates : the bootstrap alphas (NaN where a replicate had no usable covariance).
    level, seed : as requested.
    """

    alpha: float
    ci_low: float
    ci_high: float
    se: float
    replicates: np.ndarray
    level: float
    seed: int


def alpha_bootstrap(data, n_boot: int = 1000, seed: int = 1, level: float = 0.95,
                    missing: str = "pairwise", weights=None, standardized: bool = False
                    ) -> AlphaBootstrap:
    """Percentile bootstrap confidence interval for Cronbach's alpha.

    Parameters
    ----------
    data, missing, weights
        As in :func:`~surveyindex.reliability.cronbach_alpha`. With weights, respondents are
        resampled with equal probability and keep their weights (a naive bootstrap: strata and
        clusters are ignored; use the design's replicate weights for design-based intervals).
    n_boot : int
        Number of bootstrap replicates.
    seed : int
        Seed of the random generator (``numpy.random.default_rng``): the same seed gives the
        same interval.
    level : float
        Confidence level.
    standardized : bool
        Bootstrap the standardised alpha instead of the raw one.

    Returns
    -------
    AlphaBootstrap

    Notes
    -----
    Each replicate draws ``n`` respondents with replacement (``rng.integers(0, n, n)``, one draw
    per replicate in order) and computes alpha from their covariance matrix exactly as
    :func:`~surveyindex.reliability.cronbach_alpha` does. The interval is the percentile
    interval, as ``psych::alpha(x, n.iter=)`` reports in ``boot.ci`` (psych's own random draws
    differ, so its numbers agree only up to Monte Carlo error).

    Examples
    --------
    >>> import pandas as pd
    >>> from surveyindex.reliability import alpha_bootstrap
    >>> items = pd.DataFrame({"q1": [4, 5, 3, 2, 4, 5, 3, 4], "q2": [4, 4, 3, 2, 5, 5, 2, 4],
    ...                       "q3": [3, 5, 4, 1, 4, 4, 3, 5]})
    >>> b = alpha_bootstrap(items, n_boot=200, seed=42)
    >>> round(b.alpha, 4), b.ci_low < b.alpha < b.ci_high
    (0.8906, True)
    """
    _check_level(level)
    if int(n_boot) != n_boot or n_boot < 2:
        raise EstimationError(f"n_boot must be an integer of at least 2; got {n_boot!r}")
    x, w, names = _prepare(data, missing, weights)
    rng = np.random.default_rng(seed)
    full = _alpha_value(x, w, names, standardized)
    reps = np.full(int(n_boot), np.nan)
    n = len(x)
    for b in range(int(n_boot)):  # a loop over replicates; each is vectorised over respondents
        idx = rng.integers(0, n, n)
        try:
            reps[b] = _alpha_value(x[idx], w[idx], names, standardized)
        except EstimationError:  # e.g. a replicate where an item happens to be constant
            pass
    ok = reps[~np.isnan(reps)]
    if len(ok) < 2:
        raise EstimationError("fewer than 2 bootstrap replicates gave an alpha; more data needed")
    a = (1 - level) / 2
    lo, hi = np.quantile(ok, [a, 1 - a])
    return AlphaBootstrap(alpha=full, ci_low=float(lo), ci_high=float(hi),
                          se=float(ok.std(ddof=1)), replicates=reps, level=level, seed=seed)


def _alpha_value(x, w, names, standardized: bool) -> float:
    c, _ = _covariance(x, w, names)
    k = c.shape[0]
    if standardized:
        sd = np.sqrt(np.diag(c))
        return float(k / (k - 1) * (1 - k / (c / np.outer(sd, sd)).sum()))
    return float(k / (k - 1) * (1 - np.trace(c) / c.sum()))
