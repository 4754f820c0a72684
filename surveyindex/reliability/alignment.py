"""Alignment optimisation (Asparouhov & Muthen 2014): comparable factor means without scalar
invariance.

From the configural model (every country its own loadings and intercepts, factor mean 0 and
variance 1 in each), alignment chooses each country's factor mean ``alpha_g`` and SD ``psi_g``
so that the implied aligned parameters::

    lambda_ig,1 = lambda_ig / psi_g        nu_ig,1 = nu_ig - alpha_g lambda_ig / psi_g

are as similar across countries as possible under a component loss that favours a few large
differences over many small ones (a "simplicity" function, as rotation does). The first
country is the reference (``alpha = 0``, ``psi = 1``). The loss, the weights, the sequence of
smoothing constants and the R-squared measures follow sirt's ``invariance.alignment`` (meth=1,
its default), so results can be checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from ..errors import EstimationError


@dataclass(frozen=True)
class AlignmentResult:
    """Aligned factor distribution per group and the aligned item parameters.

    Attributes
    ----------
    groups : one row per group: ``group, mean, sd`` (aligned factor mean and SD, the reference
        group's 0 and 1).
    items : one row per group x item: ``loading, intercept`` (aligned), their residuals from the
        item's mean aligned value (``loading_resid, intercept_resid``) and whether the parameter
        departs from the item's common value by more than the tolerance
        (``loading_differs, intercept_differs``; sirt ``invariance_alignment_constraints``).
    r2 : invariance R-squared of the loadings and of the intercepts (1 = fully invariant).
    loss : the minimised loss at the final smoothing constant.
    """

    groups: pd.DataFrame
    items: pd.DataFrame
    r2: dict
    loss: float


def align(loadings, intercepts, weights=None, power=(0.5, 0.5), scale=(1.0, 1.0),
          eps: float = 1e-3, tol=(0.2, 0.4), groups=None, items=None) -> AlignmentResult:
    """Align the configural loadings and intercepts of one factor across groups.

    Parameters
    ----------
    loadings, intercepts : array (G, I)
        Configural estimates with the factor standardised in every group (mean 0, variance 1).
    weights : array (G,) or (G, I), optional
        Weights of the groups (default equal; sirt's examples and Mplus use ``sqrt(N_g)``).
        Each item's column is rescaled to sum to 1.
    power : (float, float)
        Powers ``p`` of the component loss ``(x^2 / a^2 + eps)^(p/2)`` for loadings and
        intercepts (sirt ``align.pow``). ``0.5`` is Asparouhov and Muthen's ``sqrt(|x|)``; 2 is
        least squares; smaller values tolerate a few large non-invariances better.
    scale : (float, float)
        The ``a`` of the loss (sirt ``align.scale``).
    eps : float
        Final smoothing constant; the loss is minimised for ``eps = 1, 10^-0.5, ...`` down to it,
        each from the previous solution (as sirt does).
    tol : (float, float)
        Tolerance for flagging an aligned loading / intercept as non-invariant.
    groups, items : sequences, optional
        Labels.

    Returns
    -------
    AlignmentResult

    Notes
    -----
    The loss is ``sum_i sum_{g != h} w_gi w_hi [f(lambda_gi,1 - lambda_hi,1) + f(nu_gi,1 -
    nu_hi,1)]``. R-squared as sirt: ``1 - sum (lambda_ig - psi_g M_i)^2 / sum lambda_ig^2`` with
    ``M_i`` the mean aligned loading, and ``1 - sum (nu_ig - m_i - alpha_g M_i)^2 / sum nu_ig^2``
    with ``m_i`` the mean aligned intercept.

    References
    ----------
    Asparouhov, T., & Muthen, B. (2014). Multiple-group factor analysis alignment. Structural
    Equation Modeling, 21(4), 495-508. Robitzsch, A. (2024). sirt (R package) 4.1-15.

    Examples
    --------
    >>> import numpy as np
    >>> from surveyindex.reliability.alignment import align
    >>> lam = np.array([[0.8, 0.7, 0.6], [0.8, 0.7, 0.6], [0.8, 0.7, 0.6]])
    >>> nu = np.array([[0.0, 0.1, -0.1], [0.4, 0.45, 0.2], [-0.8, -0.6, -0.7]])
    >>> res = align(lam, nu)   # group 2 sits 0.5 SD above group 1, group 3 1 SD below
    >>> res.groups["mean"].round(3).tolist(), res.groups["sd"].round(3).tolist()
    ([0.0, 0.5, -1.0], [1.0, 1.0, 1.0])
    """
    lam = np.asarray(loadings, dtype=float)
    nu = np.asarray(intercepts, dtype=float)
    if lam.ndim != 2 or lam.shape != nu.shape or lam.shape[0] < 2:
        raise EstimationError("loadings and intercepts must be (groups x items) arrays of the "
                              f"same shape with at least 2 groups; got {lam.shape}, {nu.shape}")
    if not (np.isfinite(lam).all() and np.isfinite(nu).all()):
        raise EstimationError("loadings and intercepts must be finite (a configural model that "
                              "did not converge?)")
    if min(power) <= 0:
        raise EstimationError(f"power must be positive; got {power}")
    G, n_items = lam.shape
    w = np.ones((G, n_items)) if weights is None else np.broadcast_to(
        np.asarray(weights, dtype=float).reshape(G, -1), (G, n_items)).astype(float)
    w = w / w.sum(axis=0)
    pair = w[:, None, :] * w[None, :, :] * (1 - np.eye(G))[:, :, None]  # g != h, both orders
    x = np.concatenate([(np.median(nu, axis=1) - np.median(nu[0]))[1:],
                        (np.median(lam, axis=1) / np.median(lam[0]))[1:]])
    bounds = [(None, None)] * (G - 1) + [(0.01, None)] * (G - 1)
    steps = 10.0 ** np.arange(0, -10.5, -0.5)
    for e in np.unique(np.append(steps[steps >= eps], eps))[::-1]:
        res = minimize(_loss, x, args=(lam, nu, pair, power, scale, e), jac=True,
                       method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-10})
        x = res.x
    alpha, psi = np.r_[0.0, x[:G - 1]], np.r_[1.0, x[G - 1:]]
    lam1 = lam / psi[:, None]
    nu1 = nu - lam1 * alpha[:, None]
    m_lam, m_nu = lam1.mean(axis=0), nu1.mean(axis=0)
    r2 = {"loadings": 1 - ((lam - psi[:, None] * m_lam) ** 2).sum() / (lam ** 2).sum(),
          "intercepts": 1 - ((nu - m_nu - alpha[:, None] * m_lam) ** 2).sum() / (nu ** 2).sum()}
    glab = list(groups) if groups is not None else list(range(1, G + 1))
    ilab = list(items) if items is not None else [f"item{i + 1}" for i in range(n_items)]
    table = pd.DataFrame({
        "group": np.repeat(glab, n_items), "item": np.tile(ilab, G),
        "loading": lam1.ravel(), "intercept": nu1.ravel(),
        "loading_resid": (lam1 - m_lam).ravel(), "intercept_resid": (nu1 - m_nu).ravel(),
        "loading_differs": _differs(lam1, w, tol[0]).ravel(),
        "intercept_differs": _differs(nu1, w, tol[1]).ravel()})
    return AlignmentResult(groups=pd.DataFrame({"group": glab, "mean": alpha, "sd": psi}),
                           items=table, r2={k: float(v) for k, v in r2.items()},
                           loss=float(res.fun))


def _loss(x, lam, nu, pair, power, scale, eps):
    """Alignment loss and its gradient with respect to (alpha_2.., psi_2..)."""
    G = lam.shape[0]
    alpha, psi = np.r_[0.0, x[:G - 1]], np.r_[1.0, x[G - 1:]]
    lam1 = lam / psi[:, None]
    nu1 = nu - lam1 * alpha[:, None]
    total, grads = 0.0, []
    for par, p, a in ((lam1, power[0], scale[0]), (nu1, power[1], scale[1])):
        d = par[:, None, :] - par[None, :, :]
        base = (d / a) ** 2 + eps
        total += float((pair * base ** (p / 2)).sum())
        # d/d par_g: both orders of each pair contribute the same term
        grads.append(2 * (pair * (p / 2) * base ** (p / 2 - 1) * 2 * d / a ** 2).sum(axis=1))
    g_lam1, g_nu1 = grads
    # lam1 = lam / psi; nu1 = nu - alpha lam / psi
    g_alpha = (g_nu1 * -lam1).sum(axis=1)
    g_psi = (g_lam1 * -lam1 / psi[:, None] + g_nu1 * lam1 * alpha[:, None] / psi[:, None]).sum(axis=1)
    return total, np.concatenate([g_alpha[1:], g_psi[1:]])


def _differs(par, w, tol, maxiter: int = 20) -> np.ndarray:
    """Which aligned parameters depart from their item's common value by more than ``tol``: the
    common value starts at the median and becomes the weighted mean of the parameters within
    tolerance, until no flag changes (sirt ``invariance_alignment_find_parameter_constraints``)."""
    joint = np.median(par, axis=0)
    flag = np.abs(par - joint) > tol
    for _ in range(maxiter):
        keep = (~flag) * w
        within = keep.sum(axis=0) > 0
        joint = np.where(within, (par * keep).sum(axis=0) / np.where(within, keep.sum(axis=0), 1),
                         (par * w).sum(axis=0) / w.sum(axis=0))
        new = np.abs(par - joint) > tol
        if (new == flag).all():
            break
        flag = new
    return flag


def align_configural(fit, weights: str = "sqrt_n", **kw) -> dict:
    """Alignment of every factor of a configural multi-group fit (:func:`fit_cfa`, ``equal=()``).

    Loadings are standardised to a unit factor variance per group (``lambda sqrt(phi_g)``);
    intercepts are the configural ones (factor means are 0 there). ``weights="sqrt_n"`` weighs
    groups by ``sqrt(N_g)``; ``None`` equally. Returns factor name -> :class:`AlignmentResult`.
    """
    if fit.spec is None or not fit.spec.meanstructure or fit.spec.equal:
        raise EstimationError("alignment needs a configural multi-group fit: fit_cfa(..., group=, "
                              "equal=())")
    lam_all, phi, th, nu_all, _ = fit.spec.unpack(fit.theta, fit.sample_mean)
    items = [it for its in fit.factors.values() for it in its]
    w = np.sqrt(fit.n) if weights == "sqrt_n" else None
    out = {}
    for k, name in enumerate(fit.factors):
        cols = np.flatnonzero(fit.spec.fidx == k)
        lam = lam_all[:, cols, k] * np.sqrt(phi[:, k, k])[:, None]
        out[name] = align(lam, nu_all[:, cols], weights=w, groups=fit.groups,
                          items=[items[c] for c in cols], **kw)
    return out
