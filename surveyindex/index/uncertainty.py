"""Replicate-based uncertainty for derived quantities: rank distributions, paired differences.

Every array here has the full-sample value first on its last axis, then one value per replicate
weight column; a derived quantity computed the same way on each column has the replicate SE of
:func:`surveyindex.estimate.replicate_se` (R ``survey``'s ``svrVar``), and p-values are adjusted
by :func:`surveyindex.estimate.adjust_pvalues`: those formulas live in the estimate stage.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.stats import norm, rankdata

from ..estimate import adjust_pvalues, replicate_se


def ranks(x: np.ndarray, axis: int = 0) -> np.ndarray:
    """Competition ranks along ``axis``, 1 = highest score, ties share the best rank; NaN stays NaN.

    >>> ranks(np.array([3.0, 9.0, np.nan, 3.0])).tolist()
    [2.0, 1.0, nan, 2.0]
    """
    return rankdata(-x, method="min", axis=axis, nan_policy="omit").astype(float)


def rank_distribution(x: np.ndarray, axis: int = 0, level: float = 0.95) -> dict:
    """Each unit's rank in the full sample and its distribution over replicates.

    Returns ``rank`` (full sample), ``rank_median``, ``rank_low``/``rank_high`` (the central
    ``level`` interval of the replicate ranks, :func:`order_interval`: order statistics, so whole
    ranks) and ``p_first`` (share of replicates in which the unit ranks first).

    >>> d = rank_distribution(np.array([[10.0, 9.0, 11.0, 10.5], [8.0, 10.0, 7.0, 9.0]]))
    >>> d["rank"].tolist(), d["rank_median"].tolist(), d["p_first"].round(2).tolist()
    ([1.0, 2.0], [1.0, 2.0], [0.67, 0.33])
    """
    r = ranks(x, axis=axis)
    reps = r[..., 1:]
    low, high = order_interval(reps, level)
    with warnings.catch_warnings():                # a unit absent from every replicate stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return {"rank": r[..., 0], "rank_median": np.nanmedian(reps, axis=-1),
                "rank_low": low, "rank_high": high,
                "p_first": np.where(np.isnan(r[..., 0]), np.nan, (reps == 1).mean(axis=-1))}


def order_interval(reps: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Central ``level`` interval of replicate values along the last axis, as order statistics.

    For whole-number quantities (ranks, counts of countries) an interpolated percentile such as
    2.025 is no possible value. The ends are the order statistics just outside the interpolated
    percentiles of the ``R`` non-missing values: ``x_(floor(1 + (R - 1) a))`` and
    ``x_(ceil(1 + (R - 1) (1 - a)))`` with ``a = (1 - level) / 2``, so the interval covers at
    least the interpolated one and every end is a value that occurred. NaN where all are missing.

    Hand case: ranks 1, 2, 1, 1 at level 0.5: a = 0.25, positions 1 + 3 * 0.25 = 1.75 -> 1st and
    1 + 3 * 0.75 = 3.25 -> 4th of the sorted 1, 1, 1, 2, so (1, 2); interpolation gave 1.25.

    >>> lo, hi = order_interval(np.array([[1.0, 2.0, 1.0, 1.0]]), level=0.5)
    >>> lo.tolist(), hi.tolist()
    ([1.0], [2.0])
    """
    a = (1 - level) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return (np.nanpercentile(reps, 100 * a, axis=-1, method="lower"),
                np.nanpercentile(reps, 100 * (1 - a), axis=-1, method="higher"))


def paired_differences(per_audience: list[dict], measures: list[str], ia: int, ib: int, a: str,
                       b: str, level: float, scale: float, rscales: np.ndarray | None = None,
                       mse: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Differences target ``a`` minus ``b`` per country, and in how many countries each leads.

    A difference is formed within each replicate, so the covariance of the two ratings (made by
    the same respondents) is in its SE. p-values are Holm-adjusted across countries within each
    measure and audience, and ``ci_low_adjusted`` / ``ci_high_adjusted`` are the matching
    Bonferroni simultaneous intervals (``z`` at ``alpha / (2 m)`` for the ``m`` countries tested):
    one that excludes 0 is always Holm-significant, Holm being uniformly more powerful. The k-of-n
    counts are counted in every replicate, giving their interval.
    Value columns are named by the targets: ``score_USA`` and ``score_CHN`` in the differences,
    ``USA_leads``, ``USA_leads_ci_low``, ``USA_leads_ci_high``, ``USA_leads_significant`` (and
    the same for the other target) in the counts; ``target_a`` and ``target_b`` say which
    target the difference ``target_a - target_b`` starts from.
    """
    z = norm.ppf(0.5 + level / 2)
    alpha = 1 - level
    rows, leads = [], []
    for aud in per_audience:
        C = len(aud["countries"])
        both = np.concatenate([aud["dim_score"], aud["composite"][:, :, None, :]], axis=2)
        sa, sb = both[:, ia], both[:, ib]                              # (C, M, 1+R)
        diff = sa - sb
        se = replicate_se(diff, scale, rscales, mse)
        est = diff[..., 0]
        with np.errstate(invalid="ignore", divide="ignore"):
            p = 2 * norm.sf(np.abs(est / se))
        for m, measure in enumerate(measures):
            ok = ~np.isnan(p[:, m])
            p_adj = np.full(C, np.nan)
            if ok.any():
                p_adj[ok] = adjust_pvalues(p[ok, m], "holm")
            sig = p_adj < alpha
            z_adj = norm.ppf(1 - alpha / (2 * max(int(ok.sum()), 1)))
            rows.append(pd.DataFrame({
                "country": aud["countries"], "audience": aud["audience"], "measure": measure,
                "target_a": a, "target_b": b,
                # the scores under the targets' names, so a reader needs no key
                f"score_{a}": sa[:, m, 0], f"score_{b}": sb[:, m, 0],
                "difference": est[:, m], "se": se[:, m],
                "ci_low": est[:, m] - z * se[:, m], "ci_high": est[:, m] + z * se[:, m],
                "p_value": p[:, m], "p_holm": p_adj, "significant": sig,
                "ci_low_adjusted": est[:, m] - z_adj * se[:, m],
                "ci_high_adjusted": est[:, m] + z_adj * se[:, m],
            }).loc[ok])
            d = diff[ok, m]                                             # (C_ok, 1+R)
            if len(d) == 0:
                continue
            leads.append({"audience": aud["audience"], "measure": measure, "target_a": a,
                          "target_b": b, "n_countries": int(ok.sum()),
                          **_kofn(a, (d > 0).sum(axis=0), sig[ok] & (d[:, 0] > 0), alpha),
                          **_kofn(b, (d < 0).sum(axis=0), sig[ok] & (d[:, 0] < 0), alpha)})
    return pd.concat(rows, ignore_index=True), pd.DataFrame(leads)


def _kofn(key: str, counts: np.ndarray, significant: np.ndarray, alpha: float) -> dict:
    low, high = order_interval(counts[1:].astype(float), 1 - alpha)
    return {f"{key}_leads": int(counts[0]),
            f"{key}_leads_ci_low": float(low), f"{key}_leads_ci_high": float(high),
            f"{key}_leads_significant": int(significant.sum())}
