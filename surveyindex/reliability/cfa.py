"""Confirmatory factor analysis by maximum likelihood, one group or several, as R ``lavaan`` fits it.

The model is the simple-structure CFA of a questionnaire: every item loads on exactly one factor,
residuals are uncorrelated and factors may correlate. Several groups (countries) are fitted at once;
equality constraints across groups (``"loadings"``, ``"intercepts"``, ``"residuals"``) are made by
letting the groups share one parameter, so the optimiser never sees a constraint. The discrepancy,
the identification and the fit statistics follow lavaan 0.6 defaults (``estimator="ML"``,
``likelihood="normal"``: covariances divided by N; first loading of each factor fixed to 1; with
several groups a mean structure, and under equal intercepts latent means free except in group 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from .._threads import one_blas_thread
from ..errors import EstimationError
from .cfa_spec import _Spec
from .fit_measures import fit_measures

_EQUAL = ("loadings", "intercepts", "residuals")


@dataclass(frozen=True)
class CFAResult:
    """A fitted CFA: estimates, fit statistics and the sample and implied moments per group.

    Attributes
    ----------
    factors : the model, factor name -> its items.
    groups : group labels, in order of first appearance in the data (as lavaan orders them).
    n : respondents used per group (complete cases on the model's items).
    parameters : tidy table ``group, lhs, op, rhs, est, free`` in lavaan's notation
        (``=~`` loading, ``~~`` (co)variance, ``~1`` intercept or latent mean); ``free`` is the
        parameter number (shared across groups under an equality constraint; 0 when fixed).
    fit : fit statistics (chisq, df, pvalue, cfi, tli, rmsea, rmsea_ci_low, rmsea_ci_high,
        rmsea_pvalue, srmr, logl, unrestricted_logl, npar, aic, bic, ntotal, baseline_chisq,
        baseline_df), named as lavaan's ``fitMeasures`` with ``_`` for ``.``.
    chisq_by_group, srmr_by_group : each group's part of chisq and its SRMR.
    sample_cov, sample_mean, implied_cov, implied_mean : per group, arrays (covariances / N).
    converged : whether the optimiser reported convergence.
    """

    factors: dict[str, list[str]]
    groups: list
    n: np.ndarray
    parameters: pd.DataFrame
    fit: dict[str, float]
    chisq_by_group: np.ndarray
    srmr_by_group: np.ndarray
    sample_cov: np.ndarray = field(repr=False)
    sample_mean: np.ndarray = field(repr=False)
    implied_cov: np.ndarray = field(repr=False)
    implied_mean: np.ndarray = field(repr=False)
    converged: bool = True
    estimates: dict = field(default=None, repr=False, compare=False)  # parameter key -> value
    spec: object = field(default=None, repr=False, compare=False)  # free/fixed/shared layout
    theta: np.ndarray = field(default=None, repr=False, compare=False)  # free parameters
    vcov: np.ndarray = field(default=None, repr=False, compare=False)  # robust (MLR) only
    rows: tuple = field(default=None, repr=False, compare=False)  # MLR: (x, codes, w, psu)

    def __repr__(self) -> str:
        f = self.fit
        return (f"<CFAResult {len(self.factors)} factors, {len(self.groups)} groups, n "
                f"{int(np.sum(self.n))}: chisq {f.get('chisq', np.nan):.2f} df "
                f"{f.get('df', np.nan):g}, CFI {f.get('cfi', np.nan):.3f}, RMSEA "
                f"{f.get('rmsea', np.nan):.3f}{'' if self.converged else ', NOT converged'}>")

    def _repr_html_(self) -> str:
        from ..display import card

        fit = pd.DataFrame({"measure": list(self.fit), "value": list(self.fit.values())})
        return card("Confirmatory factor analysis", [("factors", self.factors),
                                                     ("groups", self.groups),
                                                     ("n", list(np.atleast_1d(self.n)))],
                    tables=[("Fit", fit), ("Parameters", self.parameters)],
                    note=".fit, .parameters, .chisq_by_group, .srmr_by_group")

    def loadings(self, group: int = 0) -> pd.Series:
        """Loadings of one group (by position), indexed by item."""
        p, lab = self.parameters, self.groups[group]
        same = p["group"].isna() if lab is None else p["group"] == lab
        sel = p[(p["op"] == "=~") & same]
        return pd.Series(sel["est"].to_numpy(), index=sel["rhs"].to_numpy(), name="loading")


def fit_cfa(data: pd.DataFrame, factors: dict[str, list[str]], group: str | None = None,
            equal: tuple[str, ...] | list[str] = (), std_lv: bool = False,
            weights: str | None = None, estimator: str | None = None,
            cluster: str | None = None) -> CFAResult:
    """Fit a confirmatory factor model by maximum likelihood, in one group or across groups.

    Parameters
    ----------
    data : DataFrame
        One row per respondent with the items (numeric) and, for several groups, the group column.
        Rows missing any of the model's items are dropped (lavaan's default listwise deletion).
    factors : dict
        Factor name -> list of its item columns (at least 2 items per factor; an item loads on one
        factor only). The first item of each factor is the marker (loading fixed to 1).
    group : str, optional
        Column whose values define the groups (e.g. ``"country"``): a multi-group model.
    equal : sequence of {"loadings", "intercepts", "residuals"}
        Parameters held equal across groups (lavaan ``group.equal``). ``()`` is the configural
        model, ``("loadings",)`` the metric one and ``("loadings", "intercepts")`` the scalar one.
    std_lv : bool
        Identify by fixing factor variances to 1 and freeing every loading (lavaan ``std.lv``);
        single group only.
    weights : str, optional
        Column of sampling weights (positive): pseudo-maximum likelihood on the weighted moments
        (lavaan ``sampling.weights``, rescaled to sum to the number of rows).
    estimator : {"ML", "MLR"}, optional
        ``"MLR"`` (the default with weights or a cluster) adds robust standard errors (column
        ``se`` of ``parameters``) and scaled statistics to ``fit``: ``chisq_scaled``,
        ``chisq_scaling_factor``, ``pvalue_scaled``, ``baseline_chisq_scaled``,
        ``baseline_chisq_scaling_factor``, ``cfi_scaled, tli_scaled, rmsea_scaled`` and
        ``cfi_robust, tli_robust, rmsea_robust``, as lavaan ``estimator="MLR"``
        (see :mod:`surveyindex.reliability.robust`).
    cluster : str, optional
        Column of primary sampling units (nested in groups): scores are summed within PSUs
        (lavaan ``cluster=`` with a single-level model).

    Returns
    -------
    CFAResult

    Raises
    ------
    EstimationError
        Unknown or non-numeric columns, an item on two factors, a factor with fewer than 2 items,
        a group with fewer complete cases than items or with a singular covariance matrix.

    Notes
    -----
    With ``S_g``, ``ybar_g`` the group's covariance (divided by ``N_g``) and mean, the model
    ``Sigma_g = L_g Phi_g L_g' + Theta_g``, ``mu_g = nu_g + L_g alpha_g``, and::

        F_g = log|Sigma_g| + tr(S_g Sigma_g^-1) - log|S_g| - p + (ybar_g - mu_g)' Sigma_g^-1 (ybar_g - mu_g)

    the estimates minimise ``sum_g N_g F_g``, which at the minimum is the chi-square statistic
    (lavaan: ``2 N fmin``). One group has no mean structure (``mu = ybar``), as lavaan's default.
    The gradient is analytic; with ``W_g = Sigma^-1 - Sigma^-1 (S + d d') Sigma^-1`` and
    ``d = ybar - mu``: ``dF/dL = 2 W L Phi - 2 Sigma^-1 d alpha'``, ``dF/dPhi = L' W L``,
    ``dF/dTheta_jj = W_jj``, ``dF/dnu = -2 Sigma^-1 d``, ``dF/dalpha = -2 L' Sigma^-1 d``.
    Parameters shared by groups receive the sum of their groups' gradients. See
    :func:`surveyindex.reliability.fit_measures.fit_measures` for the fit statistics.

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
    Statistical Software, 48(2), 1-36.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from surveyindex.reliability import fit_cfa
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(500, 1))
    >>> x = pd.DataFrame(f @ [[1.0, 0.8, 0.6, 0.7]] + rng.normal(scale=0.6, size=(500, 4)),
    ...                  columns=["a", "b", "c", "d"])
    >>> res = fit_cfa(x, {"f": ["a", "b", "c", "d"]})  # In R: lavaan::cfa("f =~ a + b + c + d", x)
    >>> res.fit["df"], res.fit["npar"]
    (2.0, 8.0)
    >>> res.loadings().round(2).tolist()
    [1.0, 0.88, 0.55, 0.78]
    """
    items, fidx = _check_model(data, factors, group, [c for c in (weights, cluster) if c])
    estimator = estimator or ("MLR" if weights or cluster else "ML")
    if estimator not in ("ML", "MLR"):
        raise EstimationError(f"estimator must be 'ML' or 'MLR'; got {estimator!r}")
    if estimator == "ML" and (weights or cluster):
        raise EstimationError("weights and cluster need estimator='MLR' (plain ML standard "
                              "errors and chi-square would ignore the design)")
    equal = tuple(equal)
    bad = [e for e in equal if e not in _EQUAL]
    if bad:
        raise EstimationError(f"equal accepts {list(_EQUAL)}; got {bad}")
    x = data[items].to_numpy(dtype=float)
    if group is None:
        labels, codes = [None], np.zeros(len(data), dtype=int)
    else:
        codes, uniques = pd.factorize(data[group], sort=False)
        labels = list(uniques)
        if (codes < 0).any():
            raise EstimationError(f"group column {group!r} has missing values")
    keep = ~np.isnan(x).any(axis=1)
    w = None
    if weights:
        w = data[weights].to_numpy(dtype=float)
        keep &= ~np.isnan(w)
        if (w[keep] <= 0).any():
            raise EstimationError(f"weights column {weights!r} has zero or negative values")
        w = w[keep] * (keep.sum() / w[keep].sum())
    stats = group_moments(x[keep], codes[keep], len(labels), labels, items, weights=w)
    if std_lv and len(labels) > 1:
        raise EstimationError("std_lv=True is supported for a single group only")
    fit = fit_moments(*stats, factors=factors, item_names=items, factor_index=fidx,
                      groups=labels, equal=equal, std_lv=std_lv,
                      meanstructure=True if cluster else None)
    if estimator == "MLR":
        from .robust import with_robust  # robust imports from here: import at call time
        psu = None if cluster is None else pd.factorize(data[cluster][keep])[0]
        fit = with_robust(fit, x[keep], codes[keep], np.ones(keep.sum()) if w is None else w, psu)
    return fit


def group_moments(x: np.ndarray, codes: np.ndarray, n_groups: int, labels, items, weights=None):
    """Per-group counts, means and covariances (divided by N), checked to be usable.

    With ``weights`` (one per row, positive) the moments are weighted and the weights are first
    rescaled to sum to the number of rows (lavaan ``sampling.weights.normalization="total"``):
    a group's N is then its sum of rescaled weights.

    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0], [4.0, 3.0]])
    >>> n, mean, cov = group_moments(x, np.zeros(4, dtype=int), 1, ["all"], ["a", "b"],
    ...                              weights=np.array([1.0, 1.0, 1.0, 3.0]))
    >>> n.tolist(), mean.round(4).tolist()
    ([4.0], [[3.0, 2.8333]])
    """
    counts = np.bincount(codes, minlength=n_groups)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    w = w * (len(x) / w.sum())
    n = np.bincount(codes, weights=w, minlength=n_groups)
    p = x.shape[1]
    for g in range(n_groups):
        if counts[g] <= p:
            raise EstimationError(
                f"group {labels[g]!r} has {int(counts[g])} complete case(s) on {items}; a CFA needs "
                f"more than {p} (one per item)"
            )
    onehot = np.zeros((len(x), n_groups))
    onehot[np.arange(len(x)), codes] = w
    mean = (onehot.T @ x) / n[:, None]
    z = x - mean[codes]
    cov = np.einsum("ig,ij,ik->gjk", onehot, z, z) / n[:, None, None]  # onehot carries w
    small = np.linalg.eigvalsh(cov)[:, 0] <= 1e-10 * np.trace(cov, axis1=1, axis2=2)
    if small.any():
        g = int(np.flatnonzero(small)[0])
        raise EstimationError(
            f"group {labels[g]!r}: the covariance matrix of {items} is singular (a constant item "
            "or items that are exact combinations of others); drop the offending item"
        )
    return n, mean, cov


def fit_moments(n, mean, cov, *, factors, item_names, factor_index, groups, equal=(),
                std_lv=False, release=(), start: CFAResult | None = None,
                measures: bool = True, free=(), latent_means=None,
                meanstructure: bool | None = None) -> CFAResult:
    """Fit the model to per-group moments (the engine behind :func:`fit_cfa`).

    ``release`` lists groups (by position) exempted from the ``equal`` constraints: the partial
    invariance model that frees one country. A released group's latent means stay at 0, as its
    intercepts are then its own. ``free`` lists single parameters exempted, as keys
    ``("lam" | "nu" | "th", item position, group position)``: partial invariance one constraint
    at a time; ``latent_means=True`` frees the latent means of every group but the first (the
    unconstrained parameter space of a score test); ``meanstructure=True`` gives one group
    free intercepts (lavaan does so with ``cluster=`` or given sample means). ``start``, a fit of a nested model to the same moments, gives
    the start values (a warm start: the next model of an invariance sequence is close by).
    ``measures=False`` skips the fit statistics (``fit`` is then empty), for omega.
    """
    G, p = mean.shape
    m = len(factors)
    ms = G > 1 if meanstructure is None else meanstructure
    spec = _Spec(factor_index, G, p, m, equal, std_lv, meanstructure=ms, release=release,
                 free=set(free), latent_means=latent_means)
    x0 = spec.start(cov, mean, None if start is None else start.estimates)
    wn = n / n.sum()
    logdet_s = np.linalg.slogdet(cov)[1]

    def objective(theta):
        lam, phi, th, nu, al = spec.unpack(theta, mean)
        sigma, mu = implied_moments(lam, phi, th, nu, al)
        try:  # a positive determinant is not enough: two negative eigenvalues have one too
            chol = np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError:
            # outside the admissible region: a large finite value makes the line search step
            # back (L-BFGS-B does not recover from inf)
            return 1e10, np.zeros_like(theta)
        logdet = 2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        inv = np.linalg.inv(sigma)
        d = mean - mu
        inv_d = np.einsum("gjk,gk->gj", inv, d)
        f = logdet + np.einsum("gjk,gkj->g", cov, inv) - logdet_s - p + np.einsum("gj,gj->g", d, inv_d)
        grads = ml_gradients(lam, phi, al, inv, d, cov, wn)
        return float(wn @ f), spec.gather(grads)

    # on these tiny matrices, OpenBLAS threads only contend (measured 10-30 times slower on a
    # busy 2-core machine)
    with one_blas_thread():
        res = minimize(objective, x0, jac=True, method="L-BFGS-B",
                       options={"maxiter": 20000, "maxcor": 30, "ftol": 1e-16, "gtol": 1e-10})
    theta = res.x
    sigma, mu = implied_moments(*spec.unpack(theta, mean))
    # L-BFGS-B may stop on 'no further reduction' at the optimum; judge by the gradient instead
    converged = bool(np.max(np.abs(res.jac)) < 1e-6)
    if measures:
        fm, chisq_g, srmr_g = fit_measures(n, mean, cov, mu, sigma, npar=spec.npar,
                                           meanstructure=spec.meanstructure)
    else:
        fm, chisq_g, srmr_g = {}, np.full(G, np.nan), np.full(G, np.nan)
    return CFAResult(factors={k: list(v) for k, v in factors.items()}, groups=list(groups), n=n,
                     parameters=spec.table(theta, mean, item_names, list(factors), groups),
                     fit=fm, chisq_by_group=chisq_g, srmr_by_group=srmr_g, sample_cov=cov,
                     sample_mean=mean, implied_cov=sigma, implied_mean=mu, converged=converged,
                     estimates=dict(zip(spec.keys, theta)), spec=spec, theta=theta)


def implied_moments(lam, phi, th, nu, al):
    """Model-implied covariances ``L Phi L' + Theta`` and means ``nu + L alpha`` per group
    (any leading axes: a batch of parameter vectors as well as groups)."""
    p = th.shape[-1]
    sigma = lam @ phi @ np.swapaxes(lam, -1, -2)
    sigma[..., np.arange(p), np.arange(p)] += th
    return sigma, nu + np.einsum("...pm,...m->...p", lam, al)


def ml_gradients(lam, phi, al, inv, d, cov, wn):
    """Gradients of ``sum_g wn_g F_g`` with respect to ``L, Phi, Theta, nu, alpha`` per group
    (formulas in :func:`fit_cfa`; leading axes as :func:`implied_moments`). ``inv`` is
    ``Sigma^-1`` and ``d = ybar - mu``."""
    inv_d = np.einsum("...jk,...k->...j", inv, d)
    sdd = cov + d[..., :, None] * d[..., None, :]
    w = inv - inv @ sdd @ inv
    p = d.shape[-1]
    g_lam = 2 * w @ lam @ phi - 2 * inv_d[..., :, None] * al[..., None, :]
    g_phi = np.swapaxes(lam, -1, -2) @ w @ lam
    g_th = w[..., np.arange(p), np.arange(p)]
    g_nu = -2 * inv_d
    g_al = -2 * np.einsum("...pm,...p->...m", lam, inv_d)
    G = len(wn)
    return [a * wn.reshape((G,) + (1,) * rest)
            for a, rest in ((g_lam, 2), (g_phi, 2), (g_th, 1), (g_nu, 1), (g_al, 1))]


# -- helpers ------------------------------------------------------------------------------------

def _check_model(data, factors: dict, group, extra=()):
    if not isinstance(data, pd.DataFrame):
        raise EstimationError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    if not factors:
        raise EstimationError("factors is empty; give e.g. {'visual': ['x1', 'x2', 'x3']}")
    items, fidx = [], []
    for k, (name, its) in enumerate(factors.items()):
        its = list(its)
        if len(its) < 2:
            raise EstimationError(f"factor {name!r} has {len(its)} item(s); a CFA needs at least 2")
        for it in its:
            if it in items:
                raise EstimationError(f"item {it!r} is on two factors; each item loads on one")
            items.append(it)
            fidx.append(k)
    missing = [c for c in items + ([group] if group else []) + list(extra) if c not in data.columns]
    if missing:
        raise EstimationError(f"columns {missing} not found in the data; columns: {list(data.columns)}")
    bad = [c for c in items if not pd.api.types.is_numeric_dtype(data[c])]
    if bad:
        raise EstimationError(f"item columns must be numeric; {bad} are not")
    return items, np.asarray(fidx)
