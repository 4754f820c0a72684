"""Weighted means, totals and ratios by domain, with replicate or Taylor standard errors.

Domains are estimated as domains of the full design (respondents outside a domain count as zeros,
never dropped), so the variance reflects the design, as R ``svyby`` does. All domains and all
replicate columns come from one matrix product per domain block: ``values' x weights``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm
from scipy.stats import t as student_t

from ..design import SurveyDesign
from ..errors import EstimationError
from .core import as_matrix, domain_layout, domain_sums, resolve_method
from .variance import degrees_of_freedom, replicate_variance, taylor_variances


@dataclass(frozen=True, eq=False)
class DomainEstimates:
    """Estimates of V variables in D domains.

    ``estimate``, ``se``, ``n`` (respondents with a valid value) and ``n_eff`` (Kish effective n of
    those) have shape (D, V); ``replicates`` (D, V, R) holds the replicate estimates when the
    design has replicate weights, so derived quantities (differences, indices, ranks) can get
    their own replicate standard errors. ``deff`` is the design effect against simple random
    sampling without replacement (R ``deff=TRUE``). ``interval`` is ``"wald"`` (estimate +- z SE)
    or ``"logit"`` (proportions, as R ``svyciprop(method="logit")``, with ``df`` degrees of
    freedom).
    """

    domains: pd.DataFrame
    variables: list[str]
    estimate: np.ndarray
    se: np.ndarray
    n: np.ndarray
    n_eff: np.ndarray
    replicates: np.ndarray | None
    method: str
    deff: np.ndarray | None = None
    kind: str = "mean"
    interval: str = "wald"
    df: float | None = None

    def table(self, level: float = 0.95) -> pd.DataFrame:
        """Tidy long table: domain columns, variable, estimate, se, ci_low, ci_high, n, n_eff,
        cv (se / estimate) and deff."""
        D, V = self.estimate.shape
        out = self.domains.loc[self.domains.index.repeat(V)].reset_index(drop=True)
        out["variable"] = np.tile(self.variables, D)
        est, se = self.estimate.ravel(), self.se.ravel()
        lo, hi = self.confint(level)
        out["estimate"] = est
        out["se"] = se
        out["ci_low"] = lo.ravel()
        out["ci_high"] = hi.ravel()
        out["n"] = self.n.ravel()
        out["n_eff"] = self.n_eff.ravel()
        with np.errstate(invalid="ignore", divide="ignore"):
            out["cv"] = se / np.abs(est)
        out["deff"] = np.nan if self.deff is None else self.deff.ravel()
        return out

    def confint(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper confidence limits, shape (D, V) each."""
        q = (norm.ppf(0.5 + level / 2) if self.df is None
             else student_t.ppf(0.5 + level / 2, self.df))
        if self.interval == "logit":
            p = self.estimate
            with np.errstate(invalid="ignore", divide="ignore"):
                eta = np.log(p / (1 - p))
                half = q * self.se / (p * (1 - p))
            return 1 / (1 + np.exp(-(eta - half))), 1 / (1 + np.exp(-(eta + half)))
        return self.estimate - q * self.se, self.estimate + q * self.se


def estimate_means(design: SurveyDesign, values, by: str | list[str] | None = None,
                   where: np.ndarray | None = None, method: str = "auto") -> DomainEstimates:
    """Weighted means of each column of ``values`` in each domain of ``by``.

    Parameters
    ----------
    values : DataFrame (columns are variables) or array (n, V); NaN marks a missing value, and each
        variable's mean uses the respondents with a valid value (an available-case ratio estimator).
    by : design column(s) defining domains, or None for the whole sample.
    where : boolean mask of a subpopulation (an audience); it is a domain of the full design.
    method : ``"replicate"``, ``"taylor"`` or ``"auto"`` (replicates when the design has them).

    The Taylor variance linearises the ratio ``sum(w y) / sum(w)`` with strata, PSUs, fpc, later
    stages and the adjustments of weighting steps (as R ``svymean`` on a raked, post-stratified
    or calibrated design). Replicate variance is ``scale * sum(rscale (theta_r - mean)^2)``.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"country": ["A", "A", "B", "B"], "y": [1.0, 3.0, 2.0, np.nan]})
    >>> d = si.make_design(df, weights=np.array([1.0, 3.0, 1.0, 1.0]), strata=None)
    >>> estimate_means(d, df[["y"]], by="country").table()[["country", "estimate", "n"]]
      country  estimate  n
    0       A       2.5  2
    1       B       2.0  1
    """
    names, Y = as_matrix(values, design.n)
    return _ratio(design, names, Y, None, by, where, method, "mean")


def estimate_totals(design: SurveyDesign, values, by=None, where=None, method: str = "auto"
                    ) -> DomainEstimates:
    """Weighted totals ``sum(w y)`` of each column of ``values`` per domain (R ``svytotal``).

    Missing values count as zero (R's ``na.rm=TRUE``).

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"y": [1.0, 3.0, 2.0]})
    >>> d = si.make_design(df, weights=np.array([10.0, 10.0, 20.0]), strata=None)
    >>> float(estimate_totals(d, df).estimate[0, 0])
    80.0
    """
    names, Y = as_matrix(values, design.n)
    return _ratio(design, names, Y, None, by, where, method, "total")


def estimate_ratios(design: SurveyDesign, numerator, denominator, by=None, where=None,
                    method: str = "auto") -> DomainEstimates:
    """Ratios of weighted totals ``sum(w y) / sum(w x)`` (R ``svyratio``), column by column.

    Respondents missing either value are left out of both totals.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"y": [1.0, 3.0], "x": [2.0, 2.0]})
    >>> d = si.make_design(df, strata=None)
    >>> float(estimate_ratios(d, df[["y"]], df[["x"]]).estimate[0, 0])
    1.0
    """
    names, Y = as_matrix(numerator, design.n)
    xnames, X = as_matrix(denominator, design.n)
    if X.shape[1] not in (1, Y.shape[1]):
        raise ValueError("denominator needs one column or one per numerator column")
    X = np.broadcast_to(X, Y.shape)
    names = [f"{a}/{b}" for a, b in zip(names, np.broadcast_to(xnames, len(names)))]
    return _ratio(design, names, Y, X, by, where, method, "ratio")


# -- the shared estimator -----------------------------------------------------------------------

def _ratio(design, names, Y, X, by, where, method, kind) -> DomainEstimates:
    method = resolve_method(design, method)
    dom = domain_layout(design, by, where)
    D, V = len(dom), len(names)
    R = design.replicate_weights.shape[1] if method == "replicate" else 0
    theta = np.full((D, V, 1 + R), np.nan)
    n = np.zeros((D, V), dtype=np.int64)
    wsum, w2sum, ss, var = (np.zeros((D, V)) for _ in range(4))
    pending: list = []           # (domain, rows, influence values) awaiting the Taylor sums
    # One domain at a time: its rows are gathered (a copy the size of the domain, zeroed where
    # missing), so at millions of respondents no full-size (n, V) temporary exists.
    for k in range(D):
        rows = dom.rows(k)
        Yk = _gather(Y, rows)
        valid = ~np.isnan(Yk)
        Xk = None
        if X is not None:
            Xk = X[rows]
            valid &= ~np.isnan(Xk)
            np.copyto(Xk, 0.0, where=~valid)
        np.copyto(Yk, 0.0, where=~valid)
        vf = valid.astype(float)
        sums = domain_sums(design, rows, [Yk, vf if Xk is None else Xk], R > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            theta[k] = sums[0] if kind == "total" else sums[0] / sums[1]
        w = design.weights[rows]
        n[k] = np.count_nonzero(valid, axis=0)
        wsum[k], w2sum[k] = np.stack([w, w * w]) @ vf
        est_k = theta[k, :, 0]
        if kind == "ratio":
            z = (Yk - np.nan_to_num(est_k) * Xk) * w[:, None]
        else:
            # One deviation matrix serves the SRS variance (deff) and the influence values:
            # both are zero where the value is missing.
            centre = np.nan_to_num(est_k if kind != "total" else _divide(est_k, wsum[k]))
            z = Yk * w[:, None] if kind == "total" else None
            d = np.subtract(Yk, centre, out=Yk)       # Yk is not needed after this
            d *= vf
            wd = d * w[:, None]
            ss[k] = np.einsum("ij,ij->j", wd, d)
            z = wd if z is None else z
        if method == "taylor" and len(rows):
            pending.append((k, rows, z if kind == "total" else _scale_columns(z, sums[1][:, 0])))
            if sum(p[2].size for p in pending) >= _TAYLOR_BATCH:
                _flush_taylor(design, pending, var)
    _flush_taylor(design, pending, var)
    est = theta[:, :, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = wsum ** 2 / w2sum
    reps = None
    if method == "replicate":
        reps = theta[:, :, 1:]
        var = replicate_variance(design, est, reps)
    deff = None if kind == "ratio" else _deff(ss, wsum, n, var, kind)
    return DomainEstimates(dom.table, names, est, np.sqrt(var), n, n_eff, reps, method,
                           deff=deff, kind=kind, df=None)


def means_of_blocks(design: SurveyDesign, blocks, by=None, where=None, method: str = "auto"
                    ) -> DomainEstimates:
    """:func:`estimate_means` of the column-wise join of the (n, V_i) arrays in ``blocks``.

    For callers holding several respondent-level arrays (item values, dimension scores): the
    join is never materialised, only each domain's rows of it, so no extra (n, V) matrix is
    made. Variables are named ``V1, V2, ...`` in block order.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> d = si.make_design(pd.DataFrame({"c": ["A", "A", "B"]}), strata=None)
    >>> est = means_of_blocks(d, (np.array([[1.0], [3.0], [5.0]]), np.ones((3, 2))), by="c")
    >>> est.variables, est.estimate.tolist()
    (['V1', 'V2', 'V3'], [[2.0, 1.0, 1.0], [5.0, 1.0, 1.0]])
    """
    blocks = tuple(np.asarray(b, float) for b in blocks)
    V = sum(b.shape[1] for b in blocks)
    if any(b.ndim != 2 or b.shape[0] != design.n for b in blocks):
        raise EstimationError(f"every block needs shape ({design.n}, V); got "
                              f"{[b.shape for b in blocks]}")
    return _ratio(design, [f"V{j + 1}" for j in range(V)], blocks, None, by, where,
                  method, "mean")


def _gather(Y, rows) -> np.ndarray:
    """``Y[rows]``; for a tuple of column blocks, the rows of their join."""
    if not isinstance(Y, tuple):
        return Y[rows]
    return np.concatenate([b[rows] for b in Y], axis=1)


_TAYLOR_BATCH = 1 << 23   # influence cells gathered before the Taylor sums run on them together


def _flush_taylor(design, pending: list, var: np.ndarray) -> None:
    if pending:
        var[[p[0] for p in pending]] = taylor_variances(design, [p[1:] for p in pending])
        pending.clear()


def _scale_columns(z, den) -> np.ndarray:
    """``z / den`` column by column, in place; columns with no weight (den 0) become 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z *= np.where(den > 0, 1.0 / den, 0.0)
    return z


def _divide(a, b):
    with np.errstate(invalid="ignore", divide="ignore"):
        return a / b


def _deff(ss, wsum, n, var, kind):
    """Design variance over the SRS-without-replacement variance, as R ``deff=TRUE``.

    ``ss`` is the weighted sum of squared deviations from the domain mean, per domain and variable.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = ss / wsum * n / (n - 1)
        vsrs = s2 / n * (wsum - n) / wsum
        if kind == "total":
            vsrs = vsrs * wsum ** 2
        return var / vsrs


__all__ = ["DomainEstimates", "estimate_means", "estimate_ratios", "estimate_totals",
           "degrees_of_freedom", "means_of_blocks"]
