"""Robust (sandwich) standard errors and scaled test statistics of a pseudo-ML CFA, as lavaan's
``estimator="MLR"`` computes them (with or without ``sampling.weights``).

The point estimates are ML on the (weighted) moments (:func:`~surveyindex.reliability.fit_cfa`).
What changes is the inference: the information matrix ``A`` (observed, the Hessian of the fit
function) is combined with the first-order ("meat") matrix ``B`` of the casewise scores into
``A^-1 B A^-1 / N``, and the chi-square is divided by the Yuan-Bentler (Mplus variant) scaling
factor. Scores are summed within primary sampling units first when a design is given
(:mod:`surveyindex.reliability.design_cfa`), which is the linearisation of a complex design.
Derivatives of the model (the Jacobian of the moments, the Hessian) are taken by complex steps
of the analytic implied moments and gradient: exact to rounding, vectorised over parameters.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.stats import chi2

from .cfa import implied_moments, ml_gradients

_STEP = 1e-30  # complex step: no subtraction, so no cancellation however small


def _unpack_batch(spec, thetas, mean):
    """Model matrices for a batch of parameter vectors ``(K, npar)``: arrays ``(K, G, ...)``."""
    K = len(thetas)
    full = np.empty((K, spec.template.size), dtype=thetas.dtype)
    full[:] = spec.template
    full[:, spec.pos] = thetas[:, spec.idx]
    out = [full[:, spec.offsets[i]:spec.offsets[i + 1]].reshape((K,) + s)
           for i, s in enumerate(spec.shapes)]
    if not spec.meanstructure:
        out[3] = np.broadcast_to(mean, out[3].shape).astype(thetas.dtype)
    return out


def vech_index(p: int):
    """Row and column of the non-duplicated covariance elements, in the order used here."""
    return np.tril_indices(p)


def moment_jacobian(spec, theta, mean) -> np.ndarray:
    """``Delta_g``: derivatives of each group's moments ``(mu, vech Sigma)`` (means only with a
    mean structure) with respect to the free parameters; shape ``(G, q, npar)``."""
    K = len(theta)
    steps = theta[None, :] + 1j * _STEP * np.eye(K)
    sigma, mu = implied_moments(*_unpack_batch(spec, steps, mean))
    r, c = vech_index(mean.shape[1])
    parts = ([mu.imag] if spec.meanstructure else []) + [sigma.imag[..., r, c]]
    return np.moveaxis(np.concatenate(parts, axis=-1), 0, -1) / _STEP


def observed_information(spec, theta, mean, cov, wn) -> np.ndarray:
    """Hessian of lavaan's fit function ``sum_g (N_g/N) F_g / 2`` at ``theta`` (per respondent)."""
    K = len(theta)
    steps = theta[None, :] + 1j * _STEP * np.eye(K)
    lam, phi, th, nu, al = _unpack_batch(spec, steps, mean)
    sigma, mu = implied_moments(lam, phi, th, nu, al)
    grads = ml_gradients(lam, phi, al, np.linalg.inv(sigma), mean - mu, cov, wn)
    flat = np.concatenate([g.reshape(K, -1) for g in grads], axis=1)[:, spec.pos]
    gather = np.zeros((len(spec.pos), spec.npar))
    gather[np.arange(len(spec.pos)), spec.idx] = 1.0
    hess = (flat.imag @ gather) / _STEP
    return 0.25 * (hess + hess.T)  # half the Hessian of sum wn F (F = 2 x lavaan's), symmetrised


def casewise_scores(x, codes, w, mu, sigma, meanstructure: bool) -> np.ndarray:
    """Each respondent's weighted score of the normal log-likelihood with respect to its group's
    moments ``(mu, vech Sigma)``: ``w_i [Sigma^-1 d_i ; vech(Sigma^-1 d_i d_i' Sigma^-1 - Sigma^-1)
    with the diagonal halved]``, ``d_i = y_i - mu``."""
    inv = np.linalg.inv(sigma)
    yc = np.einsum("ij,ijk->ik", x - mu[codes], inv[codes])
    r, c = vech_index(x.shape[1])
    z = yc[:, r] * yc[:, c] - inv[codes][:, r, c]
    z[:, r == c] /= 2
    sc = np.concatenate([yc, z], axis=1) if meanstructure else z
    return sc * w[:, None]


def first_order(scores, codes, n, clusters=None) -> np.ndarray:
    """``B_g = sum_i s_i s_i' / N_g`` per group; with ``clusters`` (PSU ids, nested in groups)
    the scores are summed within each PSU first and scaled by ``C_g / (C_g - 1)``."""
    G = len(n)
    if clusters is None:
        return _group_crossprod(scores, codes, G) / n[:, None, None]
    psu, first = np.unique(np.column_stack([codes, clusters]), axis=0, return_inverse=True)
    first = first.ravel()
    sums = np.zeros((len(psu), scores.shape[1]))
    np.add.at(sums, first, scores)
    gcode = psu[:, 0].astype(int)
    nc = np.bincount(gcode, minlength=G).astype(float)
    b = _group_crossprod(sums, gcode, G) / n[:, None, None]
    return b * (nc / np.maximum(nc - 1, 1))[:, None, None]


def _group_crossprod(a, codes, G):
    """``sum_i a_i a_i'`` within each group: one product per group (not per respondent)."""
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(G + 1))
    out = np.empty((G, a.shape[1], a.shape[1]))
    for g in range(G):
        rows = a[order[bounds[g]:bounds[g + 1]]]
        out[g] = rows.T @ rows
    return out


def h1_information(cov, meanstructure: bool) -> np.ndarray:
    """Normal-theory information of the saturated model per respondent, at covariances ``cov``:
    ``blockdiag(S^-1, D'(S^-1 x S^-1)D / 2)`` in the coordinates of :func:`casewise_scores`."""
    G, p, _ = cov.shape
    inv = np.linalg.inv(cov)
    r, c = vech_index(p)
    # element (ab),(cd) of D'(A x A)D / 2 is (A_ac A_bd + A_ad A_bc) h_ab h_cd, h = 1/2 on the
    # diagonal (the duplication matrix has one entry there instead of two)
    half = np.where(r == c, 0.5, 1.0)
    vv = (inv[:, r[:, None], r[None, :]] * inv[:, c[:, None], c[None, :]]
          + inv[:, r[:, None], c[None, :]] * inv[:, c[:, None], r[None, :]]) * np.outer(half, half)
    if not meanstructure:
        return vv
    q = p + len(r)
    out = np.zeros((G, q, q))
    out[:, :p, :p] = inv
    out[:, p:, p:] = vv
    return out


def scaled_statistic(chisq, df, n, delta, info, b_h0, b_h1, a_h1):
    """The Yuan-Bentler (Mplus) scaling factor ``c`` and scaled chi-square ``chisq / c``.

    ``c = (sum_g tr(A1_g^-1 B1_g) - sum_g (N_g/N) tr(Delta_g' B0_g Delta_g A^-1)) / df`` with
    ``A1, B1`` the information and first-order matrices of the saturated model at the sample
    moments, ``B0`` the first-order matrix at the model's implied moments and ``A`` the model's
    observed information (lavaan ``lav_test_yuan_bentler_mplus_trace``).
    """
    fg = n / n.sum()
    info_inv = np.linalg.inv(info)
    tr_h1 = np.einsum("gjk,gkj->", np.linalg.inv(a_h1), b_h1)
    b0 = np.swapaxes(delta, 1, 2) @ b_h0 @ delta
    tr_h0 = float(np.einsum("g,gab,ba->", fg, b0, info_inv))
    if df <= 0:
        return np.nan, np.nan, np.nan, b0
    c = (tr_h1 - tr_h0) / df
    return c, chisq / c, float(chi2.sf(chisq / c, df)), b0


def robust_measures(fm: dict, c: float, c_base: float, G: int) -> dict:
    """Scaled and robust CFI, TLI, RMSEA from the ML statistics and the two scaling factors
    (lavaan 0.6 ``fitMeasures``: ``cfi.scaled``, ``cfi.robust`` (Brosseau-Liard & Savalei 2014),
    ``rmsea.robust`` (Brosseau-Liard, Savalei & Li 2012), ``tli.*``)."""
    x2, df, xb, dfb, N = fm["chisq"], fm["df"], fm["baseline_chisq"], fm["baseline_df"], fm["ntotal"]
    out = {"chisq_scaled": x2 / c, "chisq_scaling_factor": c,
           "pvalue_scaled": float(chi2.sf(x2 / c, df)) if df > 0 else np.nan,
           "baseline_chisq_scaled": xb / c_base, "baseline_chisq_scaling_factor": c_base}
    xs, xbs = x2 / c, xb / c_base
    out["cfi_scaled"] = _cfi(xs - df, xbs - dfb)
    out["tli_scaled"] = _tli(xs, df, xbs, dfb)
    out["cfi_robust"] = _cfi(x2 - c * df, xb - c_base * dfb)
    out["tli_robust"] = 1 - ((x2 - c * df) * dfb) / ((xb - c_base * dfb) * df) if df > 0 else 1.0
    out["rmsea_scaled"] = float(np.sqrt(max(x2 / N / (c * df) - 1 / N, 0.0)) * np.sqrt(G)) \
        if df > 0 else 0.0
    out["rmsea_robust"] = float(np.sqrt(max(x2 / N / df - c / N, 0.0)) * np.sqrt(G)) \
        if df > 0 else 0.0
    return out


def _cfi(t1, tb):
    t1, t2 = max(t1, 0.0), max(t1, tb, 0.0)
    return 1.0 if t2 == 0 else 1 - t1 / t2


def _tli(x2, df, xb, dfb):
    return (xb / dfb - x2 / df) / (xb / dfb - 1) if df > 0 else 1.0


def sb2001_difference(chisq0, df0, c0, chisq1, df1, c1) -> dict:
    """Satorra-Bentler (2001) scaled difference test of nested models (1 more restricted than 0):
    ``T = (chisq1 - chisq0) / cd`` on ``df1 - df0`` df, ``cd = (df1 c1 - df0 c0) / (df1 - df0)``,
    from the ML chi-squares and their scaling factors (lavaan ``lavTestLRT(method=
    "satorra.bentler.2001")``).

    >>> r = sb2001_difference(100.0, 10, 1.2, 130.0, 14, 1.25)
    >>> round(r["cd"], 4), round(r["chisq_diff"], 4), r["df_diff"]
    (1.375, 21.8182, 4)
    """
    ddf = df1 - df0
    cd = (df1 * c1 - df0 * c0) / ddf
    t = (chisq1 - chisq0) / cd
    return {"chisq_diff": t, "df_diff": ddf, "cd": cd, "pvalue": float(chi2.sf(max(t, 0.0), ddf))}


def mlr_statistics(fit, x, codes, w, clusters=None, saturated=None):
    """Robust covariance of the estimates and scaled / robust fit statistics of a fitted CFA.

    ``x`` (complete cases), ``codes`` (group positions) and ``w`` (weights, rescaled as in
    :func:`~surveyindex.reliability.cfa.group_moments`) are the rows the fit used. Returns
    ``(measures, vcov, saturated)``: the dict of :func:`robust_measures`, the ``npar x npar``
    sandwich ``A^-1 B A^-1 / N`` and the parts that depend on the data only (the saturated
    model's ``A1, B1`` and the baseline scaling factor), which ``saturated`` passes back in for
    the next model fitted to the same rows.
    """
    spec, theta, n = fit.spec, fit.theta, fit.n
    mean, cov, ms = fit.sample_mean, fit.sample_cov, spec.meanstructure
    wn, N = n / n.sum(), n.sum()
    delta = moment_jacobian(spec, theta, mean)
    info = observed_information(spec, theta, mean, cov, wn)
    if saturated is None:
        b_h1 = first_order(casewise_scores(x, codes, w, mean, cov, ms), codes, n, clusters)
        a_h1 = h1_information(cov, ms)
        c_base = _baseline_scaling(x, codes, w, n, mean, cov, ms, b_h1, a_h1,
                                   fit.fit["baseline_df"], clusters)
        saturated = (b_h1, a_h1, c_base)
    b_h1, a_h1, c_base = saturated
    b_h0 = first_order(casewise_scores(x, codes, w, fit.implied_mean, fit.implied_cov, ms),
                       codes, n, clusters)
    c, _, _, b0 = scaled_statistic(fit.fit["chisq"], fit.fit["df"], n, delta, info, b_h0, b_h1, a_h1)
    info_inv = np.linalg.inv(info)
    vcov = info_inv @ np.einsum("g,gab->ab", wn, b0) @ info_inv / N
    return robust_measures(fit.fit, c, c_base, len(n)), vcov, saturated


def _baseline_scaling(x, codes, w, n, mean, cov, ms, b_h1, a_h1, df_base, clusters):
    """Scaling factor of the independence model (free variances, and means with a mean
    structure), whose ML estimates are the sample variances (and means)."""
    G, p = mean.shape
    var = cov[:, np.arange(p), np.arange(p)]
    r, c = vech_index(p)
    diag_pos = np.flatnonzero(r == c) + (p if ms else 0)
    k = 2 * p if ms else p
    q = a_h1.shape[1]
    delta = np.zeros((G, q, G * k))
    info = np.zeros((G * k, G * k))
    fg = n / n.sum()
    for g in range(G):  # a loop over groups (not respondents) to lay out block-diagonal matrices
        cols = g * k + np.arange(k)
        rows = np.concatenate([np.arange(p), diag_pos]) if ms else diag_pos
        delta[g, rows, cols] = 1.0
        d = np.concatenate([1 / var[g], 0.5 / var[g] ** 2]) if ms else 0.5 / var[g] ** 2
        info[cols, cols] = fg[g] * d
    implied = np.zeros_like(cov)
    implied[:, np.arange(p), np.arange(p)] = var
    b_h0 = first_order(casewise_scores(x, codes, w, mean, implied, ms), codes, n, clusters)
    return scaled_statistic(1.0, df_base, n, delta, info, b_h0, b_h1, a_h1)[0]


def with_robust(fit, x, codes, w, clusters=None, saturated=None):
    """``fit`` with the MLR statistics added to ``fit.fit`` and an ``se`` column in
    ``fit.parameters`` (0 for fixed parameters, as lavaan prints them). ``saturated``: see
    :func:`mlr_statistics` (only for models of the same rows and mean structure)."""
    measures, vcov, saturated = mlr_statistics(fit, x, codes, w, clusters, saturated)
    se = np.sqrt(np.maximum(np.diag(vcov), 0.0))
    table = fit.parameters.copy()
    free = table["free"].to_numpy()
    table["se"] = np.where(free > 0, se[np.maximum(free - 1, 0)], 0.0)
    return replace(fit, fit={**fit.fit, **measures}, parameters=table, vcov=vcov,
                   rows=(x, codes, w, clusters, saturated))
