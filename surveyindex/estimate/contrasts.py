"""Contrasts of domain means (with their covariance), paired contrasts, p-value adjustment."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm
from scipy.stats import t as student_t

from ..errors import EstimationError, require
from .core import as_matrix, domain_layout
from .inputs import resolve_df, resolve_values
from .means import estimate_means
from .result import critical_value
from .variance import replicate_variance, taylor_variance


def domain_covariance(design, values, by, where=None, method: str = "auto"):
    """Domain means and their covariance matrix per variable (R ``svyby(covmat=TRUE)``).

    Returns ``(estimates, cov)`` with ``cov`` of shape (V, D, D). Domains share PSUs and strata,
    so their means are correlated; the covariance is what a contrast between domains needs.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"g": ["a", "a", "b", "b"], "y": [1.0, 3.0, 2.0, 6.0]})
    >>> est, cov = domain_covariance(si.make_design(df, strata=None), df[["y"]], "g")
    >>> cov.shape
    (1, 2, 2)
    """
    est = estimate_means(design, values, by=by, where=where, method=method)
    D, V = est.estimate.shape
    cov = np.zeros((V, D, D))
    if est.method == "replicate":
        centre = (est.estimate[..., None] if design.replicate_mse
                  else est.replicates.mean(axis=2, keepdims=True))
        dev = est.replicates - centre                     # (D, V, R)
        if design.replicate_rscales is not None:
            dev = dev * np.sqrt(design.replicate_rscales)
        cov = design.replicate_scale * np.einsum("dvr,evr->vde", dev, dev)
        return est, cov
    _, Y = as_matrix(resolve_values(design, values), design.n)
    dom = domain_layout(design, by, where)
    for j in range(V):
        rows = dom.order
        Z = np.zeros((len(rows), D))
        for k in range(D):
            sl = slice(dom.bounds[k], dom.bounds[k + 1])
            Z[sl, k] = _mean_influence(design, Y[rows[sl], j], rows[sl], est.estimate[k, j])
        cov[j] = taylor_variance(design, rows, Z, cov=True)
    return est, cov


def domain_contrast(design, values, by, coefficients: dict, where=None,
                    method: str = "auto", *, level: float = 0.95, df=None) -> pd.DataFrame:
    """A linear combination of domain means, e.g. ``{"E": 1, "H": -1}`` (R ``svycontrast``).

    Keys are values of the ``by`` column (tuples when ``by`` lists several columns). Returns one
    row per variable: estimate, se, ci_low, ci_high, z and a two-sided p-value (normal, or t
    with ``df``: a number or ``"design"`` for R's ``degf``; ``level`` the interval's).

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"g": ["a", "a", "b", "b"], "y": [1.0, 3.0, 2.0, 6.0]})
    >>> domain_contrast(si.make_design(df, strata=None), df[["y"]], "g", {"b": 1, "a": -1}
    ...                 )["estimate"].tolist()
    [2.0]
    """
    require(coefficients, dict, "coefficients", "a dict of domain -> coefficient, e.g. "
            "{'E': 1, 'H': -1}", EstimationError)
    est, cov = domain_covariance(design, values, by, where=where, method=method)
    labels = [tuple(r) if len(r) > 1 else r[0] for r in est.domains.itertuples(index=False)]
    c = np.zeros(len(labels))
    for key, coef in coefficients.items():
        if key not in labels:
            raise EstimationError(f"domain {key!r} is not among the domains of {by!r}: {labels}")
        c[labels.index(key)] = coef
    value = c @ est.estimate
    se = np.sqrt(np.einsum("d,vde,e->v", c, cov, c))
    return _with_p(pd.DataFrame({"variable": est.variables, "estimate": value, "se": se}),
                   level, resolve_df(design, df))


def paired_contrast(design, values, pairs, by=None, where=None, method: str = "auto", *,
                    level: float = 0.95, df=None) -> pd.DataFrame:
    """Differences of means of two variables measured on the same respondents, per domain.

    ``pairs`` lists ``(a, b)`` column names of ``values`` (a DataFrame; None or a list of
    names reads the design's data); each mean uses its own valid cases
    and the SE includes their covariance (respondents who rated both targets). ``level`` and
    ``df`` as :func:`domain_contrast`.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"usa": [1.0, 2, 3, 4], "chn": [1.0, 1, 2, 3]})
    >>> t = paired_contrast(si.make_design(df, strata=None), df, [("usa", "chn")])
    >>> float(t.loc[0, "estimate"]), float(t.loc[0, "se"])
    (0.75, 0.25)
    """
    if not isinstance(pairs, (list, tuple)) or not all(
            isinstance(p, (list, tuple)) and len(p) == 2 for p in pairs):
        raise EstimationError(f"pairs must be a list of (a, b) column pairs, e.g. [('usa', 'chn')], "
                              f"not {pairs!r}")
    cols = list(dict.fromkeys(c for p in pairs for c in p))
    if values is None or isinstance(values, (list, tuple)) and all(isinstance(v, str)
                                                                   for v in values):
        values = design.data          # columns named in ``pairs`` (or listed) of the design
    if not isinstance(values, pd.DataFrame) or any(c not in values.columns for c in cols):
        raise EstimationError(f"values must be a DataFrame with the columns {cols}")
    est = estimate_means(design, values[cols], by=by, where=where, method=method)
    dom = domain_layout(design, by, where)
    out = []
    for a, b in pairs:
        ia, ib = cols.index(a), cols.index(b)
        diff = est.estimate[:, ia] - est.estimate[:, ib]
        if est.method == "replicate":
            reps = est.replicates[:, ia] - est.replicates[:, ib]
            se = np.sqrt(replicate_variance(design, diff, reps))
        else:
            se = np.zeros(len(dom))
            for k in range(len(dom)):
                rows = dom.rows(k)
                z = (_mean_influence(design, values[a].to_numpy(float)[rows], rows,
                                     est.estimate[k, ia])
                     - _mean_influence(design, values[b].to_numpy(float)[rows], rows,
                                       est.estimate[k, ib]))
                se[k] = np.sqrt(taylor_variance(design, rows, z[:, None])[0])
        t = dom.table.copy()
        t["contrast"] = f"{a} - {b}"
        t["estimate"], t["se"] = diff, se
        out.append(t)
    return _with_p(pd.concat(out, ignore_index=True), level, resolve_df(design, df))


def adjust_pvalues(p, method: str = "holm") -> np.ndarray:
    """Adjust p-values for multiple comparisons: ``"holm"``, ``"BH"`` or ``"bonferroni"``, as
    R ``p.adjust``.

    >>> adjust_pvalues([0.01, 0.04, 0.03], "holm").round(2).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "BH").round(2).tolist()
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(p, float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    if method == "bonferroni":
        return np.minimum(1, p * m)
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    elif method == "BH":
        adj = np.minimum.accumulate((m / np.arange(m, 0, -1)) * p[order][::-1])[::-1]
    else:
        raise EstimationError(f"method must be 'holm', 'BH' or 'bonferroni', not {method!r}")
    out = np.empty(m)
    out[order] = np.minimum(1, adj)
    return out


def _mean_influence(design, y, rows, mean) -> np.ndarray:
    valid = ~np.isnan(y)
    w = design.weights[rows] * valid
    return np.where(valid, w * (np.nan_to_num(y) - mean) / w.sum(), 0.0)


def _with_p(t: pd.DataFrame, level: float = 0.95, df=None) -> pd.DataFrame:
    q = critical_value(level, df)
    t["ci_low"], t["ci_high"] = t["estimate"] - q * t["se"], t["estimate"] + q * t["se"]
    with np.errstate(invalid="ignore", divide="ignore"):
        t["z"] = t["estimate"] / t["se"]
    t["p_value"] = (2 * norm.sf(np.abs(t["z"])) if df is None
                    else 2 * student_t.sf(np.abs(t["z"]), df))
    return t
