"""Weighted means, totals and ratios by domain, with replicate or Taylor standard errors.

Domains are estimated as domains of the full design (respondents outside a domain count as zeros,
never dropped), so the variance reflects the design, as R ``svyby`` does. All domains and all
replicate columns come from one matrix product per domain block: ``values' x weights``.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np

from .._threads import run_parallel
from ..design import SurveyDesign
from ..errors import EstimationError
from .core import as_matrix, domain_layout, domain_sums, resolve_method
from .inputs import category_labels, resolve_df, resolve_values
from .result import DomainEstimates, check_level
from .variance import degrees_of_freedom, replicate_variance, taylor_variances

DEFF_TYPES = ("auto", "replace", "noreplace")


def estimate_means(design: SurveyDesign, values, by: str | list[str] | None = None,
                   where: np.ndarray | None = None, method: str = "auto", *,
                   level: float = 0.95, df=None, interval: str = "wald", deff: str = "auto"
                   ) -> DomainEstimates:
    """Weighted means of each variable in each domain of ``by`` (R ``svymean``, ``svyby``).

    Parameters
    ----------
    values : a column name of the design's data, a list of them, a DataFrame (columns are
        variables), a Series or an (n, V) array. NaN marks a missing value, and each variable's
        mean uses the respondents with a valid value (an available-case ratio estimator). A
        categorical column (text or ``category`` dtype) gives the proportion in each category,
        ``"column=category"``, as ``svymean(~factor)``.
    by : design column(s) defining domains, or None for the whole sample.
    where : boolean mask of a subpopulation (an audience); it is a domain of the full design.
    method : ``"replicate"``, ``"taylor"`` or ``"auto"`` (replicates when the design has them).
    level, df : the default interval of ``.table()`` / ``.confint()``: ``df`` a number,
        ``"design"`` (R's ``degf``: PSUs minus strata, or the replicate rank minus one) or
        ``"inf"`` / None (the normal, R ``confint``'s default).
    interval : ``"wald"``, or ``"logit"`` for proportions (R ``svyciprop(method="logit")``;
        then ``df`` defaults to ``"design"``, as ``svyciprop`` does).
    deff : ``"auto"`` (against SRS without replacement when the design has an fpc and the
        weights sum to more than n, else with replacement), ``"replace"`` (R
        ``deff="replace"``) or ``"noreplace"`` (R ``deff=TRUE``; NaN with a warning where the
        weights sum to n or less).

    The Taylor variance linearises the ratio ``sum(w y) / sum(w)`` with strata, PSUs, fpc, later
    stages and the adjustments of weighting steps (as R ``svymean`` on a raked, post-stratified
    or calibrated design). Replicate variance is ``scale * sum(rscale (theta_r - mean)^2)``.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"country": ["A", "A", "B", "B"], "y": [1.0, 3.0, 2.0, np.nan]})
    >>> d = si.make_design(df, weights=np.array([1.0, 3.0, 1.0, 1.0]))
    >>> estimate_means(d, "y", by="country").table()[["country", "estimate", "n"]]
      country  estimate  n
    0       A       2.5  2
    1       B       2.0  1
    >>> estimate_means(d, "country")["country"].estimate.tolist()   # proportions
    [[0.6666666666666666, 0.3333333333333333]]
    """
    if interval not in ("wald", "logit"):
        raise EstimationError(f"interval must be 'wald' or 'logit', not {interval!r}")
    names, Y = as_matrix(resolve_values(design, values), design.n)
    est = _ratio(design, names, Y, None, by, where, method, "mean", deff)
    est = replace(est, labels=category_labels(design, names))
    if interval == "logit":
        from .proportions import check_proportions

        check_proportions(est)
    return _finish(est, design, level, df, "design" if interval == "logit" else "inf",
                   interval=interval, kind="proportion" if interval == "logit" else "mean")


def estimate_totals(design: SurveyDesign, values, by=None, where=None, method: str = "auto", *,
                    level: float = 0.95, df=None, deff: str = "auto") -> DomainEstimates:
    """Weighted totals ``sum(w y)`` of each variable per domain (R ``svytotal``).

    ``values``, ``level``, ``df`` and ``deff`` as :func:`estimate_means`; a categorical column
    gives the estimated count in each category (``svytotal(~factor)``). Missing values count as
    zero (R's ``na.rm=TRUE``).

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"y": [1.0, 3.0, 2.0]})
    >>> d = si.make_design(df, weights=np.array([10.0, 10.0, 20.0]))
    >>> float(estimate_totals(d, "y")["y"])
    80.0
    """
    names, Y = as_matrix(resolve_values(design, values), design.n)
    est = _ratio(design, names, Y, None, by, where, method, "total", deff)
    est = replace(est, labels=category_labels(design, names))
    return _finish(est, design, level, df, "inf")


def estimate_ratios(design: SurveyDesign, numerator, denominator, by=None, where=None,
                    method: str = "auto", *, level: float = 0.95, df=None) -> DomainEstimates:
    """Ratios of weighted totals ``sum(w y) / sum(w x)`` (R ``svyratio``), column by column.

    ``numerator`` and ``denominator`` as ``values`` of :func:`estimate_means` (names, lists,
    frames); variables are named ``"y/x"``. Respondents missing either value are left out of
    both totals.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"y": [1.0, 3.0], "x": [2.0, 2.0]})
    >>> d = si.make_design(df)
    >>> float(estimate_ratios(d, "y", "x")["y/x"])
    1.0
    """
    names, Y = as_matrix(resolve_values(design, numerator), design.n)
    xnames, X = as_matrix(resolve_values(design, denominator), design.n)
    if X.shape[1] not in (1, Y.shape[1]):
        raise EstimationError("denominator needs one column or one per numerator column")
    X = np.broadcast_to(X, Y.shape)
    names = [f"{a}/{b}" for a, b in zip(names, np.broadcast_to(xnames, len(names)))]
    est = _ratio(design, names, Y, X, by, where, method, "ratio")
    return _finish(est, design, level, df, "inf")


def _finish(est, design, level, df, default, **changes) -> DomainEstimates:
    check_level(level)
    return replace(est, level=level, df=resolve_df(design, df, default), **changes)


# -- the shared estimator -----------------------------------------------------------------------

def _ratio(design, names, Y, X, by, where, method, kind, deff="auto") -> DomainEstimates:
    return _ratios(design, [(names, Y, X)], by, where, method, kind, deff)[0]


def _ratios(design, groups, by, where, method, kind, deff="auto") -> list[DomainEstimates]:
    """One :class:`DomainEstimates` per ``(names, Y, X)`` group, over the same domains: each
    domain's replicate weights are made once for all groups (the costly part at millions of
    respondents), and each group's sums are the same products as it would get alone."""
    if deff not in DEFF_TYPES:
        raise EstimationError(f"deff must be one of {list(DEFF_TYPES)}, not {deff!r}")
    method = resolve_method(design, method)
    if method == "taylor" and len(groups) > 1:  # influence values are batched per group
        return [_ratios(design, [g], by, where, method, kind, deff)[0] for g in groups]
    dom = domain_layout(design, by, where)
    D = len(dom)
    R = design.replicate_weights.shape[1] if method == "replicate" else 0
    out = []
    for names, _, _ in groups:
        V = len(names)
        out.append({"theta": np.full((D, V, 1 + R), np.nan),
                    "n": np.zeros((D, V), dtype=np.int64),
                    **{k: np.zeros((D, V)) for k in ("wsum", "w2sum", "ss", "var")}})
    pending: list = []           # (domain, rows, influence values) awaiting the Taylor sums

    def one(k):
        rows = dom.rows(k)
        for o, (theta, n, wsum, w2sum, ss, z) in zip(
                out, _domain(design, rows, [(Y, X) for _, Y, X in groups], kind, R)):
            o["theta"][k], o["n"][k], o["wsum"][k], o["w2sum"][k], o["ss"][k] = \
                theta, n, wsum, w2sum, ss
        if method == "taylor" and len(rows):
            # in order of k, as the loop runs serially for Taylor
            pending.append((k, rows, z))
            if sum(p[2].size for p in pending) >= _TAYLOR_BATCH:
                _flush_taylor(design, pending, out[0]["var"])

    # With replicates, domains are independent and their sums are matrix products that
    # release the GIL: on several cores they run side by side, each exactly as it would alone.
    # Taylor's influence values are batched across domains, so those run one after another.
    run_parallel(one, D, workers=None if method == "replicate" else 1)
    _flush_taylor(design, pending, out[0]["var"])
    return [_estimates(design, dom, names, o, method, kind, deff)
            for (names, _, _), o in zip(groups, out)]


def _estimates(design, dom, names, o, method, kind, deff) -> DomainEstimates:
    theta, n, wsum, var = o["theta"], o["n"], o["wsum"], o["var"]
    est = theta[:, :, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = wsum ** 2 / o["w2sum"]
    reps = None
    if method == "replicate":
        reps = theta[:, :, 1:]
        var = replicate_variance(design, est, reps)
    deff_type = None if kind == "ratio" else _deff_type(design, wsum, n, deff)
    deff = None if kind == "ratio" else _deff(o["ss"], wsum, n, var, kind, deff_type)
    return DomainEstimates(dom.table, names, est, np.sqrt(var), n, n_eff, reps, method,
                           deff=deff, kind=kind, df=None, deff_type=deff_type)


def _domain(design, rows, groups, kind, R) -> list[tuple]:
    """One domain's estimates of each ``(Y, X)`` group: (theta (V, 1 + R), n, sum w, sum w^2,
    SRS sums of squares, influence values for the Taylor variance)."""
    mats, parts = [], []
    for Y, X in groups:
        # The domain's rows are gathered (a copy the size of the domain, zeroed where
        # missing), so at millions of respondents no full-size (n, V) temporary exists.
        Yk = _gather(Y, rows)
        valid = ~np.isnan(Yk)
        Xk = None
        if X is not None:
            Xk = X[rows]
            valid &= ~np.isnan(Xk)
            np.copyto(Xk, 0.0, where=~valid)
        np.copyto(Yk, 0.0, where=~valid)
        vf = valid.astype(float)
        mats += [Yk, vf if Xk is None else Xk]
        parts.append((Yk, Xk, valid, vf))
    # one pass over the domain's replicate weights for every group's matrices
    sums = domain_sums(design, rows, mats, R > 0)
    w = design.weights[rows]
    return [_domain_part(w, sums[2 * g], sums[2 * g + 1], *parts[g], kind, R)
            for g in range(len(groups))]


def _domain_part(w, num, den, Yk, Xk, valid, vf, kind, R) -> tuple:
    with np.errstate(invalid="ignore", divide="ignore"):
        theta = num if kind == "total" else num / den
    n = np.count_nonzero(valid, axis=0)
    wsum, w2sum = np.stack([w, w * w]) @ vf
    est_k = theta[:, 0]
    ss = 0.0
    if kind == "ratio":
        z = (Yk - np.nan_to_num(est_k) * Xk) * w[:, None]
    else:
        # One deviation matrix serves the SRS variance (deff) and the influence values:
        # both are zero where the value is missing.
        centre = np.nan_to_num(est_k if kind != "total" else _divide(est_k, wsum))
        z = Yk * w[:, None] if kind == "total" else None
        d = np.subtract(Yk, centre, out=Yk)       # Yk is not needed after this
        d *= vf
        wd = d * w[:, None]
        ss = np.einsum("ij,ij->j", wd, d)
        z = wd if z is None else z
    if kind != "total" and not R:          # the Taylor influence values
        z = _scale_columns(z, den[:, 0])
    return theta, n, wsum, w2sum, ss, z


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
    return means_of_block_groups(design, [blocks], by, where, method)[0]


def means_of_block_groups(design: SurveyDesign, groups, by=None, where=None,
                          method: str = "auto") -> list[DomainEstimates]:
    """:func:`means_of_blocks` of each tuple of blocks in ``groups``, over the same domains, in
    one pass over the replicate weights (the same numbers as one call per group).

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> d = si.make_design(pd.DataFrame({"c": ["A", "A", "B"]}), strata=None)
    >>> a, b = means_of_block_groups(d, [(np.array([[1.0], [3.0], [5.0]]),),
    ...                                  (np.ones((3, 1)),)], by="c")
    >>> a.estimate.tolist(), b.estimate.tolist()
    ([[2.0], [5.0]], [[1.0], [1.0]])
    """
    checked = []
    for blocks in groups:
        blocks = tuple(np.asarray(b, float) for b in blocks)
        if any(b.ndim != 2 or b.shape[0] != design.n for b in blocks):
            raise EstimationError(f"every block needs shape ({design.n}, V); got "
                                  f"{[b.shape for b in blocks]}")
        V = sum(b.shape[1] for b in blocks)
        checked.append(([f"V{j + 1}" for j in range(V)], blocks, None))
    return _ratios(design, checked, by, where, method, "mean")


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


def _deff_type(design, wsum, n, asked: str) -> str:
    """Which simple random sample the design effect compares with.

    Without replacement needs the population size: R takes it as the sum of the weights, which
    is meaningless when the weights sum to n (weights scaled or raked to proportions), where
    ``1 - n/N`` is zero or negative and the ratio infinite or negative.
    """
    small = (wsum <= n * (1 + 1e-9)) & (n > 0)
    if asked == "noreplace":
        if small.any():
            warnings.warn("the without-replacement design effect needs a population larger "
                          f"than the sample, but the weights sum to {float(wsum[small][0]):.6g}"
                          f" for n = {int(n[small][0])}: those deff are NaN; use "
                          "deff='replace' (the default when the population size is unknown)",
                          UserWarning, stacklevel=4)
        return "noreplace"
    if asked == "auto" and design.fpc is not None and not small.any():
        return "noreplace"
    return "replace"


def _deff(ss, wsum, n, var, kind, deff_type):
    """Design variance over the SRS variance: without replacement as R ``deff=TRUE``, with
    replacement as ``deff="replace"``.

    ``ss`` is the weighted sum of squared deviations from the domain mean, per domain and variable.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = ss / wsum * n / (n - 1)
        vsrs = s2 / n
        if deff_type == "noreplace":
            f = (wsum - n) / wsum
            vsrs = vsrs * np.where(f > 1e-9, f, np.nan)
        if kind == "total":
            vsrs = vsrs * wsum ** 2
        return var / vsrs


__all__ = ["DomainEstimates", "estimate_means", "estimate_ratios", "estimate_totals",
           "degrees_of_freedom", "means_of_blocks"]
