"""CFA under a complex sample design (strata, PSUs, weights), as R ``lavaan.survey`` does it.

The model is fitted by pseudo-ML to the design-weighted means and covariances; the design
enters through ``Gamma``, the design-based covariance matrix of those moments (times N),
estimated by Taylor linearisation exactly as the survey package's ``svymean`` and ``svyvar``
do: influence values summed within PSUs, centred within strata, ``n_h / (n_h - 1)``. The test
statistic is then Satorra-Bentler scaled with that Gamma (lavaan ``estimator="MLM"`` with
``NACOV``) and the standard errors are the sandwich with the same Gamma. Groups (countries)
are separate designs: strata and PSUs are nested within them.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..errors import EstimationError
from .cfa import CFAResult, _check_model, fit_moments, group_moments
from .robust import h1_information, moment_jacobian, robust_measures, scaled_statistic, vech_index


def design_gamma(x, codes, w, strata, psu, G: int) -> np.ndarray:
    """``N_g`` times the design-based covariance of each group's (means, vech covariances).

    As lavaan.survey builds it from ``svymean`` and ``svyvar``: the mean and covariance blocks
    are estimated separately (the cross block is 0) and the covariance block carries svyvar's
    ``(n / (n - 1))^2``; ``N_g`` is the group's number of respondents.

    >>> import numpy as np
    >>> x = np.array([[1.0], [2.0], [4.0], [3.0]])
    >>> g = design_gamma(x, np.zeros(4, int), np.ones(4), np.zeros(4, int), np.arange(4), 1)
    >>> round(float(g[0, 0, 0]), 4)   # 4 x var(mean) = 4 x s^2/n with s^2 = 1.6667
    1.6667
    """
    p = x.shape[1]
    r, c = vech_index(p)
    out = np.zeros((G, p + len(r), p + len(r)))
    for g in range(G):  # groups are separate designs (a loop over countries, not respondents)
        sel = codes == g
        xg, wg, n = x[sel], w[sel], sel.sum()
        mean = wg @ xg / wg.sum()
        d = xg - mean
        prod = d[:, r] * d[:, c]
        cov = wg @ prod / wg.sum()
        infl_mean = wg[:, None] * d / wg.sum()
        infl_cov = wg[:, None] * (prod - cov) / wg.sum() * n / (n - 1)
        out[g, :p, :p] = n * _linearised(infl_mean, strata[sel], psu[sel])
        out[g, p:, p:] = n * _linearised(infl_cov, strata[sel], psu[sel])
    return out


def replicate_gamma(x, codes, w, repw, scale: float, rscales=None, mse: bool = False,
                    G: int = 1) -> np.ndarray:
    """As :func:`design_gamma`, with the variance of the moments from replicate weights: each
    replicate's means and covariances (times ``n / (n - 1)``, as svyvar), their deviations from
    the replicates' mean (or the full-sample estimate with ``mse``), ``scale * sum_r rscale_r
    d_r d_r'`` (R ``svrVar``). ``repw`` are analysis weights, shape (n, R)."""
    p = x.shape[1]
    r, c = vech_index(p)
    R = repw.shape[1]
    rs = np.ones(R) if rscales is None else np.asarray(rscales, dtype=float)
    out = np.zeros((G, p + len(r), p + len(r)))
    for g in range(G):  # groups are separate designs
        sel = codes == g
        xg, n = x[sel], sel.sum()
        ww = np.column_stack([w[sel], repw[sel]])  # full sample first, then the replicates
        mean = (ww.T @ xg) / ww.sum(axis=0)[:, None]                     # (R+1, p)
        d = xg[None, :, :] - mean[:, None, :]
        cov = np.einsum("ki,kij->kj", ww.T, d[:, :, r] * d[:, :, c]) / ww.sum(axis=0)[:, None]
        for block, est in ((slice(0, p), mean), (slice(p, None), cov * n / (n - 1))):
            dev = est[1:] - (est[0] if mse else est[1:].mean(axis=0))
            out[g, block, block] = n * scale * (dev * rs[:, None]).T @ dev
    return out


def _linearised(infl, strata, psu) -> np.ndarray:
    """``sum_h n_h/(n_h-1) sum_c (t_hc - tbar_h)(t_hc - tbar_h)'`` of PSU totals ``t_hc``."""
    keys, idx = np.unique(np.column_stack([strata, psu]), axis=0, return_inverse=True)
    idx = idx.ravel()
    tot = np.zeros((len(keys), infl.shape[1]))
    np.add.at(tot, idx, infl)
    h = pd.factorize(keys[:, 0])[0]
    nh = np.bincount(h).astype(float)
    if (nh < 2).any():
        raise EstimationError("a stratum has a single PSU: its variance cannot be estimated "
                              "(merge it with a neighbouring stratum)")
    means = np.zeros((len(nh), tot.shape[1]))
    np.add.at(means, h, tot)
    centred = tot - (means / nh[:, None])[h]
    scale = (nh / (nh - 1))[h]
    return (centred * scale[:, None]).T @ centred


def fit_cfa_design(data: pd.DataFrame, factors: dict, weights: str, strata: str | None = None,
                   psu: str | None = None, group: str | None = None, equal=(),
                   replicate_weights=None, replicate_scale: float = 1.0,
                   replicate_rscales=None, replicate_mse: bool = False) -> CFAResult:
    """A CFA with design-based (linearisation) standard errors and Satorra-Bentler statistics.

    Parameters
    ----------
    data, factors, group, equal
        As :func:`~surveyindex.reliability.fit_cfa`.
    weights : str
        Column of sampling weights.
    strata, psu : str, optional
        Columns of strata and primary sampling units (each PSU within one stratum; without
        ``psu`` every respondent is its own PSU, without ``strata`` one stratum).
    replicate_weights : array (n, R), optional
        Replicate analysis weights (e.g. ``SurveyDesign.replicate_weights``); Gamma then comes
        from the replicates (:func:`replicate_gamma`) with ``replicate_scale``,
        ``replicate_rscales`` and ``replicate_mse`` as R ``svrepdesign`` takes them.

    Returns
    -------
    CFAResult
        ``fit`` has the ML statistics and, from Gamma, ``chisq_scaled``,
        ``chisq_scaling_factor``, ``cfi_robust``, ``tli_robust``, ``rmsea_robust`` (and the
        scaled variants); ``parameters`` has ``se``. Matches ``lavaan.survey(fit, design)``
        (lavaan.survey 1.1.3.1, estimator "MLM").

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from surveyindex.reliability.design_cfa import fit_cfa_design
    >>> rng = np.random.default_rng(4)
    >>> f = rng.normal(size=(400, 1))
    >>> x = pd.DataFrame(f @ [[1.0, 0.8, 0.6, 0.7]] + rng.normal(scale=0.6, size=(400, 4)),
    ...                  columns=list("abcd")).assign(w=rng.uniform(1, 3, 400),
    ...                  stratum=np.repeat([1, 2], 200), psu=np.arange(400) // 10)
    >>> res = fit_cfa_design(x, {"f": list("abcd")}, weights="w", strata="stratum", psu="psu")
    >>> res.fit["df"], bool(res.fit["chisq_scaling_factor"] > 0)
    (2.0, True)
    """
    items, fidx = _check_model(data, factors, group, [c for c in (weights, strata, psu) if c])
    x = data[items].to_numpy(dtype=float)
    w = data[weights].to_numpy(dtype=float)
    keep = ~np.isnan(x).any(axis=1) & ~np.isnan(w)
    if (w[keep] <= 0).any():
        raise EstimationError(f"weights column {weights!r} has zero or negative values")
    if group is None:
        labels, codes = [None], np.zeros(len(data), dtype=int)
    else:
        codes, uniques = pd.factorize(data[group], sort=False)
        labels = list(uniques)
    st = np.zeros(len(data), int) if strata is None else pd.factorize(data[strata])[0]
    pu = np.arange(len(data)) if psu is None else pd.factorize(data[psu])[0]
    x, w, codes, st, pu = x[keep], w[keep], codes[keep], st[keep], pu[keep]
    repw = None
    if replicate_weights is not None:
        repw = np.asarray(replicate_weights, dtype=float)
        if repw.ndim != 2 or len(repw) != len(data):
            raise EstimationError(f"replicate_weights must be (n, R) with n = {len(data)} rows; "
                                  f"got shape {repw.shape}")
        repw = repw[keep]
    G = len(labels)
    _, mean, cov = group_moments(x, codes, G, labels, items, weights=w)
    n = np.bincount(codes, minlength=G).astype(float)  # lavaan.survey: sample.nobs = counts
    fit = fit_moments(n, mean, cov, factors=factors, item_names=items, factor_index=fidx,
                      groups=labels, equal=tuple(equal), meanstructure=True)
    gamma = (design_gamma(x, codes, w, st, pu, G) if repw is None else
             replicate_gamma(x, codes, w, repw, replicate_scale, replicate_rscales,
                             replicate_mse, G))
    return _with_gamma(fit, gamma)


def _with_gamma(fit: CFAResult, gamma) -> CFAResult:
    """Satorra-Bentler scaling and sandwich SEs from Gamma, expected information throughout."""
    spec, n = fit.spec, fit.n
    fg, N = n / n.sum(), n.sum()
    delta = moment_jacobian(spec, fit.theta, fit.sample_mean)
    a1 = h1_information(fit.implied_cov, True)
    info = np.einsum("g,gab->ab", fg, np.swapaxes(delta, 1, 2) @ a1 @ delta)
    meat = a1 @ gamma @ a1
    c, _, _, b0 = scaled_statistic(fit.fit["chisq"], fit.fit["df"], n, delta, info, meat, meat, a1)
    inv = np.linalg.inv(info)
    vcov = inv @ np.einsum("g,gab->ab", fg, b0) @ inv / N
    c_base = _baseline(fit, gamma, fg)
    measures = robust_measures(fit.fit, c, c_base, len(n))
    se = np.sqrt(np.maximum(np.diag(vcov), 0.0))
    table = fit.parameters.copy()
    free = table["free"].to_numpy()
    table["se"] = np.where(free > 0, se[np.maximum(free - 1, 0)], 0.0)
    return replace(fit, fit={**fit.fit, **measures}, parameters=table, vcov=vcov)


def _baseline(fit, gamma, fg) -> float:
    """Scaling factor of the independence model (free means and variances) with Gamma."""
    G, p = fit.sample_mean.shape
    var = fit.sample_cov[:, np.arange(p), np.arange(p)]
    implied = np.zeros_like(fit.sample_cov)
    implied[:, np.arange(p), np.arange(p)] = var
    a1 = h1_information(implied, True)
    r, c = vech_index(p)
    rows = np.concatenate([np.arange(p), p + np.flatnonzero(r == c)])
    k = 2 * p
    delta = np.zeros((G, a1.shape[1], G * k))
    for g in range(G):  # block-diagonal layout, one block per group
        delta[g, rows, g * k + np.arange(k)] = 1.0
    info = np.einsum("g,gab->ab", fg, np.swapaxes(delta, 1, 2) @ a1 @ delta)
    meat = a1 @ gamma @ a1
    return scaled_statistic(1.0, fit.fit["baseline_df"], fit.n, delta, info, meat, meat, a1)[0]
