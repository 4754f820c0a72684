"""Fit statistics of a maximum-likelihood CFA, defined as lavaan 0.6 ``fitMeasures`` defines them."""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.stats import chi2, ncx2

#: Confidence level of the RMSEA interval (lavaan's default, ``rmsea.ci.level = 0.90``).
RMSEA_LEVEL = 0.90
#: RMSEA of the "close fit" test (lavaan ``rmsea.h0.closefit``).
RMSEA_CLOSE = 0.05


def fit_measures(n, mean, cov, mu, sigma, npar: int, meanstructure: bool):
    """Chi-square, CFI, TLI, RMSEA with CI, SRMR, log-likelihoods and information criteria.

    Parameters
    ----------
    n : array (G,)
        Respondents per group.
    mean, cov : arrays (G, p), (G, p, p)
        Sample means and covariances (divided by N) per group.
    mu, sigma : arrays (G, p), (G, p, p)
        Model-implied means and covariances at the estimates.
    npar : int
        Number of free parameters.
    meanstructure : bool
        Whether means are modelled (they count as moments, and enter SRMR).

    Returns
    -------
    (dict, array, array)
        The fit statistics (keys as lavaan's ``fitMeasures`` with ``_`` for ``.``; ``rmsea.ci.lower``
        is ``rmsea_ci_low``), each group's chi-square and each group's SRMR.

    Notes
    -----
    With ``F_g`` the ML discrepancy of group g (see :func:`~surveyindex.reliability.fit_cfa`),
    ``N = sum N_g`` and G groups::

        chisq    = sum_g N_g F_g;  df = G (p(p+1)/2 + p [means]) - npar
        baseline = independence model (diagonal Sigma, free means): sum_g N_g (sum_j log s_jj - log|S_g|)
        cfi      = 1 - max(chisq - df, 0) / max(chisq_b - df_b, chisq - df, 0)
        tli      = (chisq_b/df_b - chisq/df) / (chisq_b/df_b - 1)
        rmsea    = sqrt(max(chisq/df - 1, 0) / N) * sqrt(G)
        CI       : the non-centrality l at which P(chi2_df(l) <= chisq) = .95 (.05), as above
        logl     = -1/2 sum_g N_g (p log 2 pi + log|Sigma_g| + tr(S_g Sigma_g^-1) + d_g' Sigma_g^-1 d_g)
        srmr     = sum_g N_g srmr_g / N, srmr_g the root mean square of the standardised residuals
                   (s_jk - sigma_jk) / sqrt(s_jj s_kk) (lower triangle with diagonal) and, with
                   means, (ybar_j - mu_j) / sqrt(s_jj) (lavaan "cor.bentler": observed SDs).

    Examples
    --------
    >>> import numpy as np
    >>> from surveyindex.reliability.fit_measures import fit_measures
    >>> s = np.array([[[1.0, 0.5], [0.5, 1.0]]])
    >>> fm, _, _ = fit_measures(np.array([100.0]), np.zeros((1, 2)), s, np.zeros((1, 2)),
    ...                         np.eye(2)[None], npar=2, meanstructure=False)
    >>> round(fm["chisq"], 4), fm["df"]  # independence model of r = .5: -100 log(1 - .25)
    (28.7682, 1.0)
    """
    G, p = mean.shape
    N = n.sum()
    logdet_s = np.linalg.slogdet(cov)[1]
    logdet = np.linalg.slogdet(sigma)[1]
    inv = np.linalg.inv(sigma)
    d = mean - mu
    quad = np.einsum("gj,gjk,gk->g", d, inv, d)
    trace = np.einsum("gjk,gkj->g", cov, inv)
    f = logdet + trace - logdet_s - p + quad
    chisq_g = n * f
    chisq = float(chisq_g.sum())
    moments = G * (p * (p + 1) // 2 + (p if meanstructure else 0))
    df = float(moments - npar)
    var = cov[:, np.arange(p), np.arange(p)]
    base_chisq = float((n * (np.log(var).sum(axis=1) - logdet_s)).sum())
    base_df = float(G * p * (p - 1) // 2)
    logl = float(-0.5 * (n * (p * np.log(2 * np.pi) + logdet + trace + quad)).sum())
    logl_sat = float(-0.5 * (n * (p * np.log(2 * np.pi) + logdet_s + p)).sum())
    srmr_g = _srmr(mean, cov, mu, sigma, meanstructure)
    rmsea, lo, hi, p_close = _rmsea(chisq, df, N, G)
    cfi_den = max(base_chisq - base_df, chisq - df, 0.0)
    fm = {
        "chisq": chisq, "df": df, "pvalue": float(chi2.sf(chisq, df)) if df > 0 else np.nan,
        "cfi": 1 - max(chisq - df, 0.0) / cfi_den if cfi_den > 0 else 1.0,
        "tli": ((base_chisq / base_df - chisq / df) / (base_chisq / base_df - 1)
                if df > 0 else 1.0),
        "rmsea": rmsea, "rmsea_ci_low": lo, "rmsea_ci_high": hi, "rmsea_pvalue": p_close,
        "srmr": float(n @ srmr_g / N), "logl": logl, "unrestricted_logl": logl_sat,
        "npar": float(npar), "aic": -2 * logl + 2 * npar, "bic": -2 * logl + npar * np.log(N),
        "ntotal": float(N), "baseline_chisq": base_chisq, "baseline_df": base_df,
    }
    return fm, chisq_g, srmr_g


def _rmsea(chisq: float, df: float, N: float, G: int):
    """RMSEA, its CI and the close-fit p-value (lavaan ``lav_fit_rmsea*``, likelihood "normal")."""
    if df <= 0:
        return 0.0, 0.0, 0.0, np.nan
    scale = np.sqrt(G)
    rmsea = np.sqrt(max(chisq / N / df - 1 / N, 0.0)) * scale
    upper_p, lower_p = (1 + RMSEA_LEVEL) / 2, (1 - RMSEA_LEVEL) / 2

    def cdf(lam):
        return ncx2.cdf(chisq, df, lam) if lam > 0 else chi2.cdf(chisq, df)

    lo = 0.0
    if cdf(0.0) >= upper_p:
        lo = np.sqrt(brentq(lambda lam: cdf(lam) - upper_p, 0.0, chisq, xtol=1e-12) / (N * df)) * scale
    hi = 0.0
    top = max(N, 4 * chisq)
    if cdf(0.0) >= lower_p and cdf(top) <= lower_p:
        hi = np.sqrt(brentq(lambda lam: cdf(lam) - lower_p, 0.0, top, xtol=1e-12) / (N * df)) * scale
    p_close = float(ncx2.sf(chisq, df, N * df * RMSEA_CLOSE ** 2 / G))
    return float(rmsea), float(lo), float(hi), p_close


def _srmr(mean, cov, mu, sigma, meanstructure: bool) -> np.ndarray:
    p = mean.shape[1]
    sd_s = np.sqrt(cov[:, np.arange(p), np.arange(p)])
    # Bentler's standardisation: both residuals scaled by the *observed* standard deviations
    res = (cov - sigma) / (sd_s[:, :, None] * sd_s[:, None, :])
    low = np.tril_indices(p)
    total = (res[:, low[0], low[1]] ** 2).sum(axis=1)
    count = len(low[0])
    if meanstructure:
        total = total + (((mean - mu) / sd_s) ** 2).sum(axis=1)
        count += p
    return np.sqrt(total / count)
