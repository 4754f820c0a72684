"""Partial measurement invariance: score tests of every cross-group equality constraint, and a
search that frees the largest one at a time.

A constraint ``theta_jg = theta_j,ref`` (a loading or intercept of group g equal to the first
group's) is tested by the score (Lagrange multiplier) statistic of the model that gives group g
its own parameter, computed at the constrained estimates as lavaan ``lavTestScore`` does
(expected information, one degree of freedom per constraint).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2

from .cfa import CFAResult, implied_moments, ml_gradients
from .cfa_spec import _Spec
from .robust import h1_information, moment_jacobian

_KIND = {"lam": "=~", "nu": "~1", "th": "~~"}


def score_tests(fit: CFAResult) -> pd.DataFrame:
    """Univariate score test of each equality constraint of a multi-group fit.

    Parameters
    ----------
    fit : CFAResult
        A multi-group fit with ``equal`` constraints (metric or scalar, possibly partial).

    Returns
    -------
    DataFrame
        One row per constraint: ``group`` (the group whose parameter would be freed),
        ``kind`` (``"loading"``, ``"intercept"``, ``"residual"``), ``item``, ``op`` and
        ``lhs``/``rhs`` in lavaan notation, ``X2`` (1 df) and ``pvalue``; largest first.

    Notes
    -----
    With ``K`` the map from the constrained parameters to the unconstrained ones (each group
    its own copy), ``g`` the gradient of lavaan's fit function in the unconstrained space at the
    constrained estimates (``g' K = 0`` there) and ``I`` the expected information
    ``sum_g (N_g/N) Delta_g' A1_g Delta_g``, freeing the direction ``e_a`` gives::

        X2_a = N g_a^2 / (I - I K (K' I K)^-1 K' I)_aa

    the statistic lavaan computes with a bordered generalised inverse. The expected
    information follows ``lavTestScore(information="expected")``; with sampling weights it is
    the pseudo-ML version (as lavaan, which warns that the test is not robust).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from surveyindex.reliability import fit_cfa
    >>> from surveyindex.reliability.partial import score_tests
    >>> rng = np.random.default_rng(3)
    >>> f = rng.normal(size=(600, 1))
    >>> x = pd.DataFrame(f @ [[1.0, 0.8, 0.7]] + rng.normal(scale=0.6, size=(600, 3)),
    ...                  columns=["a", "b", "c"]).assign(g=np.repeat(["A", "B"], 300))
    >>> x.loc[x.g == "B", "c"] += 0.5   # an intercept shift in group B
    >>> st = score_tests(fit_cfa(x, {"f": ["a", "b", "c"]}, group="g", equal=["loadings", "intercepts"]))
    >>> st.iloc[0][["group", "kind", "item"]].tolist(), bool(st.iloc[0]["pvalue"] < 1e-6)
    (['B', 'intercept', 'c'], True)
    """
    spec, n = fit.spec, fit.n
    mean, cov = fit.sample_mean, fit.sample_cov
    equal = spec.equal
    full = _Spec(spec.fidx, spec.G, spec.p, spec.m, (), spec.std_lv, spec.meanstructure,
                 latent_means=True if "intercepts" in equal else None)
    pos = {k: i for i, k in enumerate(spec.keys)}
    K = np.zeros((full.npar, spec.npar))
    cand = []
    for i, key in enumerate(full.keys):
        shared = key[:2] if key[0] in _KIND else None
        if key in pos:
            K[i, pos[key]] = 1.0
        else:
            K[i, pos[shared]] = 1.0
            first = min(k[2] for k in full.keys if k[:2] == shared and k not in pos)
            if key[2] != first:
                cand.append(i)
    if not cand:
        return pd.DataFrame(columns=["group", "kind", "item", "lhs", "op", "rhs", "X2", "pvalue"])
    theta = K @ fit.theta
    wn = n / n.sum()
    lam, phi, th, nu, al = full.unpack(theta, mean)
    sigma, mu = implied_moments(lam, phi, th, nu, al)
    grad = 0.5 * full.gather(ml_gradients(lam, phi, al, np.linalg.inv(sigma), mean - mu, cov, wn))
    delta = moment_jacobian(full, theta, mean)
    a1 = h1_information(sigma, full.meanstructure)
    info = np.einsum("g,gab->ab", wn, np.swapaxes(delta, 1, 2) @ a1 @ delta)
    ik = info @ K
    v = np.diag(info) - np.einsum("ia,ab,ib->i", ik, np.linalg.inv(K.T @ ik), ik)
    cand = np.array(cand)
    x2 = n.sum() * grad[cand] ** 2 / v[cand]
    fnames = list(fit.factors)
    items = [it for its in fit.factors.values() for it in its]
    rows = []
    for i, s in zip(cand, x2):
        kind, j, g = full.keys[i]
        lhs, op, rhs = {"lam": (fnames[spec.fidx[j]], "=~", items[j]), "nu": (items[j], "~1", ""),
                        "th": (items[j], "~~", items[j])}[kind]
        rows.append({"group": fit.groups[g], "kind": {"lam": "loading", "nu": "intercept",
                                                       "th": "residual"}[kind],
                     "item": items[j], "lhs": lhs, "op": op, "rhs": rhs, "X2": float(s),
                     "pvalue": float(chi2.sf(s, 1)), "key": (kind, j, g)})
    return pd.DataFrame(rows).sort_values("X2", ascending=False, kind="stable").reset_index(drop=True)


def partial_search(fit: CFAResult, against: CFAResult | None = None, rule: dict | None = None,
                   alpha: float = 0.05, max_free: int | None = None):
    """Free the equality constraint with the largest score test, refit, repeat.

    Parameters
    ----------
    fit : CFAResult
        The constrained multi-group fit (metric or scalar).
    against : CFAResult, optional
        The less constrained model (configural for metric, metric for scalar). With ``rule``
        (one step of :data:`~surveyindex.reliability.invariance.CUTOFFS`), the search stops as
        soon as the change in fit from ``against`` holds.
    alpha : float
        The search also stops when the largest score test is not significant after a Bonferroni
        correction over the constraints still in place.
    max_free : int, optional
        At most this many constraints freed (default: half of them).

    Returns
    -------
    (CFAResult, DataFrame)
        The final partial model and the path: one row per step (step 0 is ``fit``) with the
        freed ``group, kind, item``, its ``X2`` and Bonferroni ``p_adjusted``, and the fit after
        the step (``chisq, df, cfi, rmsea`` and, for MLR fits, ``chisq_scaled, cfi_robust,
        rmsea_robust``) and ``holds``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from surveyindex.reliability import fit_cfa
    >>> from surveyindex.reliability.partial import partial_search
    >>> rng = np.random.default_rng(3)
    >>> f = rng.normal(size=(900, 1))
    >>> x = pd.DataFrame(f @ [[1.0, 0.8, 0.7, 0.9]] + rng.normal(scale=0.6, size=(900, 4)),
    ...                  columns=["a", "b", "c", "d"]).assign(g=np.repeat(["A", "B", "C"], 300))
    >>> x.loc[x.g == "C", "b"] += 0.6
    >>> final, path = partial_search(fit_cfa(x, {"f": list("abcd")}, group="g",
    ...                                      equal=["loadings", "intercepts"]))
    >>> path[["group", "kind", "item"]].iloc[1:].values.tolist()
    [['C', 'intercept', 'b']]
    """
    from .invariance import step_holds

    limit = max_free if max_free is not None else None
    rows, current = [], fit
    while True:
        holds = _holds(current, against, rule, step_holds)
        st = score_tests(current)
        if not rows:
            rows.append(_path_row(0, None, current, holds))
        limit = len(st) // 2 if limit is None else limit
        if holds or st.empty or len(rows) > limit:
            break
        top = st.iloc[0]
        p_adj = min(1.0, top["pvalue"] * len(st))
        if p_adj >= alpha:
            break
        current = refit(current, free=current.spec.free | {top["key"]})
        rows.append(_path_row(len(rows), top, current, _holds(current, against, rule, step_holds),
                              p_adj))
    return current, pd.DataFrame(rows)


def refit(fit: CFAResult, free) -> CFAResult:
    """The same model on the same data with the parameters ``free`` exempted from the equality
    constraints (warm-started at ``fit``; robust statistics recomputed for MLR fits)."""
    from .cfa import fit_moments

    spec = fit.spec
    items = [it for its in fit.factors.values() for it in its]
    common = dict(factors=fit.factors, item_names=items, factor_index=spec.fidx,
                  groups=fit.groups, equal=spec.equal, free=free, meanstructure=spec.meanstructure)
    new = fit_moments(fit.n, fit.sample_mean, fit.sample_cov, start=fit, **common)
    if not new.converged:
        # the freed parameter may lie far from the common value (an item answered the other
        # way round in one country): the warm start can stall; try the default start too
        cold = fit_moments(fit.n, fit.sample_mean, fit.sample_cov, **common)
        if cold.fit["chisq"] < new.fit["chisq"] or cold.converged:
            new = cold
    if fit.rows is not None:
        from .robust import with_robust
        new = with_robust(new, *fit.rows)
    return new


def _holds(fit, against, rule, step_holds):
    if against is None or rule is None:
        return False
    a, b = against.fit, fit.fit
    cfi, rmsea = ("cfi_robust", "rmsea_robust") if "cfi_robust" in b else ("cfi", "rmsea")
    return step_holds(b[cfi] - a[cfi], b[rmsea] - a[rmsea], b["srmr"] - a["srmr"], rule)


def _path_row(step, top, fit, holds, p_adj=np.nan):
    f = fit.fit
    row = {"step": step, "group": None, "kind": None, "item": None, "X2": np.nan,
           "p_adjusted": p_adj}
    if top is not None:
        row.update(group=top["group"], kind=top["kind"], item=top["item"], X2=top["X2"])
    row.update({k: f[k] for k in ("chisq", "df", "cfi", "rmsea", "srmr")})
    for k in ("chisq_scaled", "chisq_scaling_factor", "cfi_robust", "rmsea_robust"):
        if k in f:
            row[k] = f[k]
    row["holds"] = holds
    return row
