"""Weighted means by domain, with replicate or Taylor-linearisation standard errors.

Domains are estimated as domains of the full design (respondents outside a domain count as zeros,
never dropped), so the variance reflects the design, as R ``svyby`` does. All domains and all
replicate columns come from one matrix product per domain block: ``values' x weights``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import norm

from ..design import SurveyDesign
from ..errors import EstimationError


@dataclass(frozen=True, eq=False)
class DomainEstimates:
    """Weighted means of V variables in D domains.

    ``estimate``, ``se``, ``n`` (respondents with a valid value) and ``n_eff`` (Kish effective n of
    those) have shape (D, V); ``replicates`` (D, V, R) holds the replicate estimates when the
    design has replicate weights, so derived quantities (differences, indices, ranks) can get
    their own replicate standard errors.
    """

    domains: pd.DataFrame
    variables: list[str]
    estimate: np.ndarray
    se: np.ndarray
    n: np.ndarray
    n_eff: np.ndarray
    replicates: np.ndarray | None
    method: str

    def table(self, level: float = 0.95) -> pd.DataFrame:
        """Tidy long table: domain columns, variable, estimate, se, ci_low, ci_high, n, n_eff."""
        D, V = self.estimate.shape
        z = norm.ppf(0.5 + level / 2)
        out = self.domains.loc[self.domains.index.repeat(V)].reset_index(drop=True)
        out["variable"] = np.tile(self.variables, D)
        out["estimate"] = self.estimate.ravel()
        out["se"] = self.se.ravel()
        out["ci_low"] = out["estimate"] - z * out["se"]
        out["ci_high"] = out["estimate"] + z * out["se"]
        out["n"] = self.n.ravel()
        out["n_eff"] = self.n_eff.ravel()
        return out


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

    The Taylor variance linearises the ratio ``sum(w y) / sum(w)`` and treats the weights as fixed,
    with strata, PSUs and the first-stage finite population correction (R ``survey``'s
    single-stage formula). Replicate variance
    is ``scale * sum((theta_r - mean(theta_r))**2)``.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"country": ["A", "A", "B", "B"], "y": [1.0, 3.0, 2.0, np.nan]})
    >>> d = si.make_design(df, weights=np.array([1.0, 3.0, 1.0, 1.0]), strata=None)
    >>> estimate_means(d, df[["y"]], by="country").table()[["country", "estimate", "n"]]
      country  estimate  n
    0       A       2.5  2
    1       B       2.0  1
    """
    names, Y = _as_matrix(values, design.n)
    codes, domains = _domain_codes(design, by, where)
    if method == "auto":
        method = "replicate" if design.replicate_weights is not None else "taylor"
    if method == "replicate" and design.replicate_weights is None:
        raise EstimationError("method='replicate' needs replicate weights: call "
                              "design.with_replicates('bootstrap', n=..., seed=...) first")
    if method not in ("replicate", "taylor"):
        raise EstimationError(f"method must be 'replicate', 'taylor' or 'auto', not {method!r}")

    W = design.all_weights() if method == "replicate" else design.weights[:, None]
    valid = ~np.isnan(Y)
    Y0 = np.where(valid, Y, 0.0)
    D, V = len(domains), Y.shape[1]
    num = np.zeros((D, V, W.shape[1]))
    den = np.zeros_like(num)
    wsq = np.zeros((D, V))
    blocks = _blocks(codes, D)
    for k, idx in blocks:
        Wk, Vk = W[idx], valid[idx].astype(float)
        num[k] = Y0[idx].T @ Wk
        den[k] = Vk.T @ Wk
        wsq[k] = Vk.T @ (Wk[:, 0] ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = num / den
    n = np.zeros((D, V), dtype=np.int64)
    for k, idx in blocks:
        n[k] = valid[idx].sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = den[:, :, 0] ** 2 / wsq
    est = means[:, :, 0]
    if method == "replicate":
        reps = means[:, :, 1:]
        se = np.sqrt(design.replicate_scale
                     * ((reps - reps.mean(axis=2, keepdims=True)) ** 2).sum(axis=2))
    else:
        reps = None
        se = _taylor_se(design, Y0, valid, est, den[:, :, 0], blocks)
    return DomainEstimates(domains, names, est, se, n, n_eff, reps, method)


# -- helpers ------------------------------------------------------------------------------------

def _as_matrix(values, n: int) -> tuple[list[str], np.ndarray]:
    if isinstance(values, pd.Series):
        values = values.to_frame()
    if isinstance(values, pd.DataFrame):
        names = [str(c) for c in values.columns]
        Y = values.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    else:
        Y = np.asarray(values, dtype=float)
        Y = Y[:, None] if Y.ndim == 1 else Y
        names = [f"V{j + 1}" for j in range(Y.shape[1])]
    if Y.shape[0] != n:
        raise EstimationError(f"values have {Y.shape[0]} rows; the design has {n} respondents")
    return names, Y


def _domain_codes(design: SurveyDesign, by, where) -> tuple[np.ndarray, pd.DataFrame]:
    data = design.data
    if by is None:
        codes = np.zeros(design.n, dtype=np.int64)
        domains = pd.DataFrame(index=[0])
    else:
        cols = [by] if isinstance(by, str) else list(by)
        missing = [c for c in cols if c not in data.columns]
        if missing:
            raise EstimationError(f"domain column(s) {missing} not in the design's data; "
                                  f"columns: {list(data.columns)}")
        grouped = data.groupby(cols, sort=True, dropna=True)
        codes = grouped.ngroup().to_numpy(dtype=np.int64)
        domains = grouped.size().index.to_frame(index=False)
    if where is not None:
        where = np.asarray(where, dtype=bool)
        if where.shape != (design.n,):
            raise EstimationError(f"'where' mask has shape {where.shape}; expected ({design.n},)")
        codes = np.where(where, codes, -1)
    return codes, domains.reset_index(drop=True)


def _blocks(codes: np.ndarray, D: int) -> list[tuple[int, np.ndarray]]:
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    bounds = np.searchsorted(sorted_codes, np.arange(D + 1))
    return [(k, order[bounds[k]:bounds[k + 1]]) for k in range(D) if bounds[k + 1] > bounds[k]]


def _taylor_se(design, Y0, valid, est, wsum, blocks) -> np.ndarray:
    """Linearised SE of each domain ratio mean: variance of the total of the influence values."""
    n = design.n
    strata = design.strata if design.strata is not None else np.zeros(n, dtype=np.int64)
    psu = design.psu if design.psu is not None else np.arange(n)
    # PSUs are numbered within the whole design so that n_h counts every PSU of the stratum.
    psu_key, psu_of = np.unique(np.column_stack([strata, psu]), axis=0, return_inverse=True)
    psu_of = psu_of.ravel()
    stratum_of_psu = psu_key[:, 0]
    H = int(strata.max()) + 1
    n_h = np.bincount(stratum_of_psu, minlength=H).astype(float)
    if (n_h == 1).any():
        h = int(np.flatnonzero(n_h == 1)[0])
        raise EstimationError(f"stratum {h} has only one PSU: its variance cannot be estimated; "
                              "merge it with another stratum")
    fpc_factor = np.ones(H)
    if design.fpc is not None:
        # Sampling fraction per stratum: n_h / N_h, or the fraction itself when given as <= 1.
        first = np.zeros(H, dtype=np.int64)
        first[strata[::-1]] = np.arange(n)[::-1]
        N_h = design.fpc[first]
        f_h = np.where(N_h <= 1, N_h, n_h / N_h)
        fpc_factor = 1 - f_h
    var = np.zeros_like(est)
    w = design.weights
    for k, idx in blocks:
        with np.errstate(invalid="ignore", divide="ignore"):
            z = (w[idx, None] * valid[idx] * (Y0[idx] - est[k])) / wsum[k]
        z = np.nan_to_num(z)
        # Only PSUs touching the domain have non-zero totals; the others still count in n_h.
        local, inv = np.unique(psu_of[idx], return_inverse=True)
        totals = _sum_rows(z, inv.ravel(), len(local))
        s1 = _sum_rows(totals, stratum_of_psu[local], H)
        s2 = _sum_rows(totals**2, stratum_of_psu[local], H)
        var[k] = ((fpc_factor * n_h / (n_h - 1))[:, None] * (s2 - s1**2 / n_h[:, None])).sum(axis=0)
    return np.sqrt(var)


def _sum_rows(x: np.ndarray, groups: np.ndarray, size: int) -> np.ndarray:
    """Sum the rows of ``x`` by integer group (a sparse indicator product, fast for many rows)."""
    A = sparse.csr_matrix((np.ones(len(groups)), (groups, np.arange(len(groups)))),
                          shape=(size, len(groups)))
    return np.asarray(A @ x)
