"""Calibration distances and the Newton solver of R ``survey``'s ``grake``, for many weight columns.

A calibration distance (Deville and Särndal 1992) is given by ``F``, the inverse of its
derivative: calibrated weights are ``w_i g_i`` with ``g_i = F(x_i' eta)`` and ``eta`` solving
``sum_i w_i x_i F(x_i' eta) = T``. The three of R ``calibrate(calfun=)``, with ``bounds = (L, U)``
on ``g``:

- ``linear``: ``F(u) = 1 + u``, truncated to ``[L, U]``;
- ``raking``: ``F(u) = exp(u)``, truncated to ``[L, U]``;
- ``logit``: ``F(u) = (L (U - 1) + U (1 - L) e^{Au}) / (U - 1 + (1 - L) e^{Au})`` with
  ``A = (U - L) / ((U - 1)(1 - L))``, which stays strictly inside ``(L, U)`` (finite bounds only).

The solver is R's: Newton steps ``eta += ginv(X' diag(w F'(X eta)) X) misfit`` from ``eta = 0``,
step halving while ``g`` is not finite, stopping when every ``|misfit| / (1 + |T|)`` is below
``epsilon`` or after ``max_iterations``; when every population total exceeds 20 times its
sample total, the weights are first rescaled by the mean of those ratios (and the bounds then
apply to the rescaled weights), as ``grake`` does. Every weight column (the analysis weights and
each replicate) is solved at once: the Newton matrices of all columns are one matrix product.
"""

from __future__ import annotations

import numpy as np

CALFUNS = ("linear", "raking", "logit")
RESCALE_THRESHOLD = 20.0      # R grake's SOMETHRESHOLD


def distance(calfun: str, bounds: tuple[float, float]):
    """``(F - 1, dF)`` of a calibration distance as R ``cal.linear``/``cal.raking``/``cal.logit``.

    The raking derivative is R's: it is zeroed where ``u`` (not ``exp(u)``) lies outside
    ``(L - 1, U - 1)``; this only changes the Newton path, not the calibrated weights.

    >>> fm1, df = distance("logit", (0.5, 2.0))
    >>> [round(float(v), 6) for v in fm1(np.array([0.0, 50.0, -50.0]))]
    [0.0, 1.0, -0.5]
    """
    lo, hi = float(bounds[0]), float(bounds[1])
    if calfun == "linear":
        def fm1(u):
            return np.minimum(np.maximum(u + 1, lo), hi) - 1

        def df(u):
            return ((u < hi - 1) & (u > lo - 1)).astype(float)
    elif calfun == "raking":
        def fm1(u):
            return np.minimum(np.maximum(np.exp(u), lo), hi) - 1

        def df(u):
            return np.where((u < hi - 1) & (u > lo - 1), np.exp(u), 0.0)
    else:
        a = (hi - lo) / ((hi - 1) * (1 - lo))

        def fm1(u):
            e = np.exp(np.minimum(a * u, 700.0))
            return (lo * (hi - 1) + hi * (1 - lo) * e) / (hi - 1 + (1 - lo) * e) - 1

        def df(u):
            e = np.exp(np.minimum(a * u, 700.0))
            den = hi - 1 + (1 - lo) * e
            return (hi * (1 - lo) * e * a / den
                    - (lo * (hi - 1) + hi * (1 - lo) * e) * ((1 - lo) * e * a) / den ** 2)
    return fm1, df


def solve_g(X: np.ndarray, W: np.ndarray, T: np.ndarray, calfun: str, bounds,
            max_iterations: int = 50, epsilon: float = 1e-7):
    """Calibration factors ``g`` (n, C) for each weight column of ``W`` (n, C) to totals ``T`` (p,).

    Returns ``(g, gap, iterations, rescaled)``: ``gap`` (C,) is the achieved
    ``max |misfit| / (1 + |T|)`` of each column (at most ``epsilon`` when it converged),
    ``rescaled`` (C,) the factor the weights were first rescaled by (1 when not).

    Hand check: one group of four with weights 1 raked to a total of 8 gives g = 2 everywhere.

    >>> X = np.ones((4, 1)); W = np.ones((4, 1))
    >>> g, gap, it, s = solve_g(X, W, np.array([8.0]), "raking", (-np.inf, np.inf))
    >>> g[:, 0].round(9).tolist(), bool(gap[0] < 1e-7)
    ([2.0, 2.0, 2.0, 2.0], True)
    """
    with np.errstate(over="ignore", invalid="ignore"):   # non-finite steps are halved, as R
        return _newton(X, W, T, calfun, bounds, max_iterations, epsilon)


def _newton(X, W, T, calfun, bounds, max_iterations, epsilon):
    fm1, df = distance(calfun, bounds)
    n, p = X.shape
    C = W.shape[1]
    W = np.array(W, dtype=float)
    sample_total = W.T @ X                                           # (C, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = T[None, :] / sample_total
    rescale = np.where(np.nan_to_num(ratios, nan=-np.inf).min(axis=1) > RESCALE_THRESHOLD,
                       np.nanmean(np.where(np.isfinite(ratios), ratios, np.nan), axis=1), 1.0)
    rescale = np.nan_to_num(rescale, nan=1.0)
    W *= rescale[None, :]
    sample_total *= rescale[:, None]
    # The outer products x_i x_i' as rows: each column's Newton matrix is one product with W.
    XX = (X[:, :, None] * X[:, None, :]).reshape(n, p * p)
    eta = np.zeros((C, p))
    scale_t = 1 + np.abs(T)
    u = np.zeros((n, C))
    gap = np.full(C, np.inf)
    active = np.arange(C)
    iterations = np.zeros(C, dtype=np.int64)
    it = 1
    while active.size:
        Wa, ua = W[:, active], u[:, active]
        M = (XX.T @ (Wa * df(ua))).T.reshape(-1, p, p)
        misfit = T[None, :] - sample_total[active] - (Wa * fm1(ua)).T @ X
        deta = (np.linalg.pinv(M, rcond=256 * np.finfo(float).eps) @ misfit[..., None])[..., 0]
        eta[active] += deta
        ua = X @ eta[active].T
        bad = ~(np.isfinite(fm1(ua)).all(axis=0) & np.isfinite(df(ua)).all(axis=0))
        while it < max_iterations and bad.any():                     # R's step halving
            it += 1
            deta[bad] /= 2
            eta[active[bad]] -= deta[bad]
            ua[:, bad] = X @ eta[active[bad]].T
            bad = ~(np.isfinite(fm1(ua)).all(axis=0) & np.isfinite(df(ua)).all(axis=0))
        u[:, active] = ua
        misfit = T[None, :] - sample_total[active] - (Wa * fm1(ua)).T @ X
        gap[active] = (np.abs(misfit) / scale_t).max(axis=1)
        iterations[active] = it
        it += 1
        done = gap[active] < epsilon
        active = active[~done]
        if it > max_iterations:
            break
    g = (1 + fm1(u)) * rescale[None, :]
    return g, np.nan_to_num(gap, nan=np.inf), iterations, rescale
