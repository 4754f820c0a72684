"""Cronbach's alpha: for one set of items, per item, and per country x target x dimension.

Everything is computed from one (weighted) covariance matrix of the items, so the pairwise and
listwise treatments of missing answers, and weights, differ only in how that matrix is built.
Unweighted, the numbers are those of R ``psych::alpha`` (pairwise-complete covariances by
default); weighted, alpha is that of R ``survey::svycralpha``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.stats import f as f_dist

from ..errors import EstimationError

if TYPE_CHECKING:
    from ..design import SurveyDesign
    from ..io import Responses

#: Reliability thresholds used for the ``flag`` column of :func:`reliability` (see FIELD.md).
ALPHA_ACCEPTABLE = 0.70
ALPHA_REDUNDANT = 0.95
_MISSING = ("pairwise", "listwise")


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha of one set of items, with its Feldt confidence interval.

    Attributes
    ----------
    n : respondents used: with ``missing="pairwise"`` those who answered at least one item, with
        ``"listwise"`` those who answered all of them.
    n_eff : Kish effective sample size of those respondents, ``(sum w)^2 / sum w^2``; equal to
        ``n`` without weights. The Feldt interval uses it in place of ``n``.
    n_items : number of items.
    alpha : raw (covariance-based) Cronbach's alpha.
    alpha_std : standardised alpha, from the correlation matrix.
    average_r : mean inter-item correlation.
    ci_low, ci_high : Feldt (1965) confidence interval for ``alpha`` at ``level``.
    level : confidence level of the interval.
    missing : ``"pairwise"`` or ``"listwise"``.
    """

    n: int
    n_eff: float
    n_items: int
    alpha: float
    alpha_std: float
    average_r: float
    ci_low: float
    ci_high: float
    level: float
    missing: str

    def to_series(self) -> pd.Series:
        """The result as a pandas Series (one row of a tidy table)."""
        return pd.Series(asdict(self))

    def __repr__(self) -> str:
        return (f"<AlphaResult alpha {self.alpha:.3f} ({self.level:.0%} Feldt CI "
                f"{self.ci_low:.3f}-{self.ci_high:.3f}), alpha_std {self.alpha_std:.3f}, "
                f"average_r {self.average_r:.3f}; {self.n_items} items, n {self.n}, "
                f"{self.missing}>")

    def _repr_html_(self) -> str:
        from ..display import card

        return card("Cronbach's alpha", list(asdict(self).items()), note=".to_series()")


def cronbach_alpha(data, missing: str = "pairwise", weights=None,
                   level: float = 0.95) -> AlphaResult:
    """Cronbach's alpha, standardised alpha and mean inter-item correlation of a set of items.

    Parameters
    ----------
    data : DataFrame or 2-D array, shape (n_respondents, n_items)
        Item scores, reverse-keyed items already recoded; NaN marks a missing answer.
    missing : {"pairwise", "listwise"}
        ``"pairwise"`` (default, as R ``psych::alpha``): each covariance from the respondents who
        answered both items. ``"listwise"``: only respondents who answered every item.
    weights : array-like, shape (n_respondents,), optional
        Non-negative survey weights; the covariances become weighted covariances, which gives the
        alpha of R ``survey::svycralpha``.
    level : float
        Confidence level of the Feldt interval.

    Returns
    -------
    AlphaResult
        A frozen dataclass with ``n``, ``n_eff``, ``n_items``, ``alpha``, ``alpha_std``,
        ``average_r``, ``ci_low``, ``ci_high``, ``level`` and ``missing``; ``.to_series()`` gives
        it as a pandas Series.

    Raises
    ------
    EstimationError
        Fewer than two items, fewer than two respondents for a covariance (a pair of items, or
        complete cases under ``"listwise"``), an item or the total score with zero variance.

    Notes
    -----
    With ``C`` the k x k item covariance matrix and ``R`` the correlation matrix derived from it
    (``R_jl = C_jl / sqrt(C_jj C_ll)``, R ``cov2cor``, as psych does)::

        alpha     = k / (k - 1) * (1 - trace(C) / sum(C))
        alpha_std = k / (k - 1) * (1 - k / sum(R))  =  k r / (1 + (k - 1) r)
        average_r = r = (sum(R) - k) / (k (k - 1))

    Pairwise, ``C_jl`` uses the m_jl respondents who answered items j and l, centred at their own
    means (R ``cov(use="pairwise")``). With weights w::

        C_jl = sum_i w_i (x_ij - xbar_j)(x_il - xbar_l) / sum_i w_i * m_jl / (m_jl - 1)

    which is R ``survey::svyvar``; the factor m/(m-1) cancels in alpha when there is no missing
    answer. Feldt's (1965) interval treats ``(1 - alpha_pop) / (1 - alpha)`` as F with
    ``df1 = n - 1`` and ``df2 = (n - 1)(k - 1)``; with a = 1 - level::

        ci_low  = 1 - (1 - alpha) * F^-1(1 - a/2; df1, df2)
        ci_high = 1 - (1 - alpha) * F^-1(a/2;     df1, df2)

    The interval assumes simple random sampling; with weights ``n_eff`` replaces ``n``, an
    approximation that ignores clustering. psych::alpha uses all rows, ``nrow(x)``, as n; here
    respondents who answered no item are not counted, which differs only when such rows exist.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16, 297-334.
    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson reliability
    coefficient twenty. Psychometrika, 30, 357-370.

    Examples
    --------
    >>> import pandas as pd
    >>> from surveyindex.reliability import cronbach_alpha
    >>> items = pd.DataFrame({"q1": [4, 5, 3, 2, 4, 5, 3, 4], "q2": [4, 4, 3, 2, 5, 5, 2, 4],
    ...                       "q3": [3, 5, 4, 1, 4, 4, 3, 5]})
    >>> res = cronbach_alpha(items)  # In R: psych::alpha(items)$total
    >>> res.n, res.n_items
    (8, 3)
    >>> print(f"{res.alpha:.4f} {res.alpha_std:.4f} [{res.ci_low:.4f}, {res.ci_high:.4f}]")
    0.8906 0.8993 [0.6303, 0.9762]
    """
    _check_level(level)
    x, w, names = _prepare(data, missing, weights)
    return _alpha(x, w, names, missing, level)


def item_statistics(data, missing: str = "pairwise", weights=None) -> pd.DataFrame:
    """Item statistics and alpha if each item were dropped, as R ``psych::alpha`` reports them.

    Parameters
    ----------
    data, missing, weights
        As in :func:`cronbach_alpha`.

    Returns
    -------
    DataFrame
        One row per item: ``item``, ``n`` (respondents answering it; all complete cases under
        ``"listwise"``), ``mean``, ``sd``, ``r_drop`` (corrected item-total correlation: the item
        against the sum of the other items; psych ``r.drop``), ``r_cor`` (item-total correlation
        corrected for overlap and reliability; psych ``r.cor``), ``alpha_if_dropped`` and
        ``alpha_std_if_dropped`` (alpha of the other items; NaN with two items).

    Notes
    -----
    From the same ``C`` and ``R`` as :func:`cronbach_alpha`, with ``c_i`` the i-th column sum::

        r_drop_i = (sum(C[:, i]) - C_ii) / sqrt(C_ii * sum(C without row and column i))
        r_cor_i  = sum(R*[:, i]) / sqrt(sum(R*)),  R* = R with diagonal smc_j = 1 - 1/(R^-1)_jj
        alpha_if_dropped_i = alpha of C without row and column i (likewise for R)

    ``mean`` and ``sd`` are over the respondents answering the item (weighted when weights are
    given; ``sd`` = sqrt(C_ii)). As psych does, smc uses the pseudo-inverse when R is singular
    and is clipped to [0, 1] (a pairwise R need not be positive definite).

    Examples
    --------
    >>> import pandas as pd
    >>> from surveyindex.reliability import item_statistics
    >>> items = pd.DataFrame({"q1": [4, 5, 3, 2, 4, 5, 3, 4], "q2": [4, 4, 3, 2, 5, 5, 2, 4],
    ...                       "q3": [3, 5, 4, 1, 4, 4, 3, 5]})
    >>> tab = item_statistics(items)  # In R: psych::alpha(items)[c("item.stats", "alpha.drop")]
    >>> list(tab.columns)
    ['item', 'n', 'mean', 'sd', 'r_drop', 'r_cor', 'alpha_if_dropped', 'alpha_std_if_dropped']
    >>> tab[["item", "n", "r_drop", "alpha_if_dropped"]].round(3)
      item  n  r_drop  alpha_if_dropped
    0   q1  8   0.889             0.775
    1   q2  8   0.772             0.856
    2   q3  8   0.726             0.910
    """
    x, w, names = _prepare(data, missing, weights)
    c, _ = _covariance(x, w, names)
    k = c.shape[0]
    r = _cov2cor(c)
    var = np.diag(c)
    col_c, total_c = c.sum(axis=0), c.sum()
    col_r, total_r = r.sum(axis=0), r.sum()
    rest_c = total_c - 2 * col_c + var
    rest_r = total_r - 2 * col_r + 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        r_drop = (col_c - var) / np.sqrt(var * rest_c)
        if k > 2:
            alpha_drop = (k - 1) / (k - 2) * (1 - (np.trace(c) - var) / rest_c)
            alpha_std_drop = (k - 1) / (k - 2) * (1 - (k - 1) / rest_r)
        else:  # one item left: alpha is not defined
            alpha_drop = alpha_std_drop = np.full(k, np.nan)
    observed = ~np.isnan(x)
    wo = observed * w[:, None]
    return pd.DataFrame({
        "item": names,
        "n": observed.sum(axis=0),
        "mean": np.where(observed, x, 0.0).T @ w / wo.sum(axis=0),
        "sd": np.sqrt(var),
        "r_drop": r_drop,
        "r_cor": _r_cor(r),
        "alpha_if_dropped": alpha_drop,
        "alpha_std_if_dropped": alpha_std_drop,
    })


def reliability(responses: Responses, by=("country", "target"), missing: str = "pairwise",
                weights: str | np.ndarray | SurveyDesign | None = None,
                level: float = 0.95, omega: bool = False) -> pd.DataFrame:
    """Cronbach's alpha of every dimension in every group: the reliability table of the report.

    Parameters
    ----------
    responses : Responses
        Validated responses (:func:`surveyindex.read_responses`); reverse-keyed items are already
        recoded there.
    by : sequence of str
        Respondent columns (e.g. ``"country"``, ``"gender"``) and/or ``"target"`` (the rated
        country). Without ``"target"``, each respondent's ratings of the different targets are
        stacked as separate rows, giving one alpha over all targets. ``()`` for one group.
    missing : {"pairwise", "listwise"}
        As in :func:`cronbach_alpha`.
    weights : None, str, array-like or SurveyDesign
        None for unweighted alpha (as psych reports it), the name of a respondent column, one
        weight per respondent, or a design whose ``.weights`` to use (e.g. after raking).
    level : float
        Confidence level of the Feldt interval.
    omega : bool
        Also report McDonald's omega total (:func:`~surveyindex.reliability.omega`, fitted to the
        same covariance matrix as alpha) in an ``omega`` column after ``average_r``; NaN where
        the one-factor model cannot be fitted.

    Returns
    -------
    DataFrame
        One row per group x dimension: the ``by`` columns, ``dimension``, ``n_items``, ``n``,
        ``n_eff``, ``alpha``, ``alpha_std``, ``ci_low``, ``ci_high``, ``average_r``, [``omega``],
        ``flag``.
        ``flag`` is ``"alpha below .70"``, ``"alpha above .95: items may be redundant"``,
        ``"not estimable: <reason>"`` (alpha and the rest NaN) or ``""``.

    Notes
    -----
    Each row is :func:`cronbach_alpha` of the dimension's items among the group's respondents;
    see there for the formulas. The thresholds are the conventional ones: alpha >= .70
    acceptable, > .95 suggests redundant items (:data:`ALPHA_ACCEPTABLE`,
    :data:`ALPHA_REDUNDANT`). A group where alpha cannot be computed (too few respondents, a
    constant item, a one-item dimension) gets a flag rather than stopping the table.

    Examples
    --------
    >>> import surveyindex as si
    >>> from surveyindex.reliability import reliability_table
    >>> inst = si.load_instrument("softpower")
    >>> r = si.read_responses(si.sample_paths()["responses"], inst)
    >>> tab = reliability_table(r)
    >>> tab.shape
    (130, 12)
    >>> list(tab.columns[:4])
    ['country', 'target', 'dimension', 'n_items']
    >>> bool(tab["alpha"].between(0, 1).all())
    True
    """
    if missing not in _MISSING:
        raise EstimationError(f"missing must be one of {_MISSING}; got {missing!r}")
    _check_level(level)
    by = [by] if isinstance(by, str) else list(by or ())
    inst, resp = responses.instrument, responses.respondents
    unknown = [b for b in by if b != "target" and b not in resp.columns]
    if unknown:
        raise EstimationError(
            f"by names {unknown}, which are not respondent columns; use 'target' or one of "
            f"{list(resp.columns)}"
        )
    w = _respondent_weights(weights, resp)
    resp_by = [b for b in by if b != "target"]
    groups = resp.groupby(resp_by, sort=True).indices if resp_by else {(): np.arange(len(resp))}
    if "target" in by:
        targets = list(enumerate(inst.target_codes))
    else:
        targets = [(None, None)]
    item_pos = {it.id: j for j, it in enumerate(it for _, it in inst.items())}
    dims = [(d.id, [item_pos[it.id] for it in d.items], [it.id for it in d.items])
            for d in inst.dimensions]

    rows = []
    for key, idx in groups.items():
        key = key if isinstance(key, tuple) else (key,)
        for t, code in targets:
            if t is None:  # stack the targets: one row per respondent x target
                block = responses.values[idx].reshape(-1, responses.values.shape[2])
                wt = np.repeat(w[idx], responses.values.shape[1])
            else:
                block, wt = responses.values[idx, t], w[idx]
            for dim, cols, names in dims:
                labels = dict(zip(resp_by, key, strict=True))
                if t is not None:
                    labels["target"] = code
                rows.append({**{b: labels[b] for b in by}, "dimension": dim,
                             **_alpha_row(block[:, cols], wt, names, missing, level, omega)})
    out = pd.DataFrame(rows, columns=[*by, "dimension", "n_items", "n", "n_eff", "alpha",
                                      "alpha_std", "ci_low", "ci_high", "average_r",
                                      *(["omega"] if omega else []), "flag"])
    if "target" in by and by.index("target") < len(by) - 1:
        # rows were built target-inside-groups; honour the order the caller gave in ``by``
        order = {c: i for i, c in enumerate(inst.target_codes)}
        out = out.sort_values([*by], key=lambda s: s.map(order) if s.name == "target" else s,
                              kind="stable").reset_index(drop=True)
    return out


# -- helpers ------------------------------------------------------------------------------------

def _prepare(data, missing: str, weights, names=None):
    """Items as a float array, weights, and item names; rows dropped that cannot contribute."""
    if missing not in _MISSING:
        raise EstimationError(f"missing must be one of {_MISSING}; got {missing!r}")
    if isinstance(data, pd.DataFrame):
        names = list(data.columns)
        bad = [c for c in names if not pd.api.types.is_numeric_dtype(data[c])]
        if bad:
            raise EstimationError(f"item columns must be numeric; {bad} are not")
        x = data.to_numpy(dtype=float)
    else:
        x = np.asarray(data, dtype=float)
        if x.ndim != 2:
            raise EstimationError(
                f"items must be a 2-D array (respondents x items); got shape {x.shape}"
            )
        names = list(range(x.shape[1])) if names is None else list(names)
    if x.shape[1] < 2:
        raise EstimationError(f"alpha needs at least 2 items; got {x.shape[1]} ({names})")
    if np.isinf(x).any():
        raise EstimationError("items contain infinite values; use NaN for missing answers")
    if weights is None:
        w = np.ones(len(x))
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != (len(x),):
            raise EstimationError(
                f"weights have shape {w.shape}; expected ({len(x)},), one per respondent"
            )
        if not np.all(np.isfinite(w)) or (w < 0).any():
            raise EstimationError("weights must be finite and non-negative")
    observed = ~np.isnan(x)
    # zero-weight rows carry no information; counting them would inflate n and the df
    keep = (observed.all(axis=1) if missing == "listwise" else observed.any(axis=1)) & (w > 0)
    if missing == "listwise" and keep.sum() < 2:
        raise EstimationError(
            f"only {int(keep.sum())} complete case(s) (respondents answering all {x.shape[1]} "
            "items); alpha needs at least 2. missing='pairwise' also uses partial answers"
        )
    return x[keep], w[keep], names


def _covariance(x: np.ndarray, w: np.ndarray, names) -> tuple[np.ndarray, np.ndarray]:
    """Weighted covariance matrix from pairwise-complete rows, and the pair counts."""
    observed = ~np.isnan(x)
    m = observed.astype(float)
    count = m.T @ m
    if (count < 2).any():
        j, k = np.argwhere(count < 2)[0]
        who = f"item {names[j]!r}" if j == k else f"items {names[j]!r} and {names[k]!r}"
        raise EstimationError(
            f"{who}: answered (together) by {int(count[j, k])} respondent(s); a covariance "
            "needs at least 2"
        )
    lo, hi = np.nanmin(x, axis=0), np.nanmax(x, axis=0)
    if (lo == hi).any():
        j = int(np.flatnonzero(lo == hi)[0])
        raise EstimationError(
            f"item {names[j]!r} has zero variance (every answer is {lo[j]:g}); alpha and the "
            "correlations are undefined with a constant item: drop it"
        )
    # centring first keeps the one-pass sums below accurate; covariances are shift invariant
    z = np.where(observed, x - np.nanmean(x, axis=0), 0.0)
    zw = z * w[:, None]
    sw = (m * w[:, None]).T @ m          # sum of weights where items j and l are both answered
    s = zw.T @ m                         # s[j, l]: weighted sum of item j where l is answered
    cross = zw.T @ z
    cov = (cross - s * s.T / sw) / sw * count / (count - 1)
    return (cov + cov.T) / 2, count


def _alpha(x: np.ndarray, w: np.ndarray, names, missing: str, level: float) -> AlphaResult:
    c, _ = _covariance(x, w, names)
    k = c.shape[0]
    total = c.sum()
    if total <= 0:
        raise EstimationError(
            "the total score has no positive variance (items cancel out); check the reverse "
            "keying"
        )
    r = _cov2cor(c)
    alpha = k / (k - 1) * (1 - np.trace(c) / total)
    alpha_std = k / (k - 1) * (1 - k / r.sum())
    average_r = (r.sum() - k) / (k * (k - 1))
    n_eff = w.sum() ** 2 / (w ** 2).sum()
    lo, hi = _feldt(alpha, n_eff, k, level)
    return AlphaResult(n=len(x), n_eff=float(n_eff), n_items=k, alpha=float(alpha),
                       alpha_std=float(alpha_std), average_r=float(average_r), ci_low=lo,
                       ci_high=hi, level=level, missing=missing)


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise EstimationError(f"level must be between 0 and 1 (e.g. 0.95); got {level}")


def _feldt(alpha: float, n: float, k: int, level: float) -> tuple[float, float]:
    a = 1 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    return (float(1 - (1 - alpha) * f_dist.ppf(1 - a / 2, df1, df2)),
            float(1 - (1 - alpha) * f_dist.ppf(a / 2, df1, df2)))


def _cov2cor(c: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(c))
    r = c / np.outer(sd, sd)
    np.fill_diagonal(r, 1.0)
    return r


def _r_cor(r: np.ndarray) -> np.ndarray:
    # pinv: a duplicated item makes R singular, and psych still reports r.cor; a pairwise R that
    # is not positive definite can give smc outside [0, 1], which psych clips, and so do we
    with np.errstate(divide="ignore"):
        smc = np.clip(1 - 1 / np.diag(np.linalg.pinv(r)), 0.0, 1.0)
    rc = r.copy()
    np.fill_diagonal(rc, smc)
    return rc.sum(axis=0) / np.sqrt(rc.sum())


def _alpha_row(x: np.ndarray, w: np.ndarray, names: list[str], missing: str,
               level: float, omega: bool = False) -> dict:
    try:
        prepared = _prepare(x, missing, w, names)
        res = _alpha(*prepared, missing, level)
    except EstimationError as exc:
        return {"n_items": x.shape[1], "n": int((~np.isnan(x)).any(axis=1).sum()),
                "n_eff": np.nan, "alpha": np.nan, "alpha_std": np.nan, "ci_low": np.nan,
                "ci_high": np.nan, "average_r": np.nan, "omega": np.nan,
                "flag": f"not estimable: {exc}"}
    extra = {"omega": _omega_or_nan(*prepared)} if omega else {}
    if res.alpha < ALPHA_ACCEPTABLE:
        flag = "alpha below .70"
    elif res.alpha > ALPHA_REDUNDANT:
        flag = "alpha above .95: items may be redundant"
    else:
        flag = ""
    return {"n_items": res.n_items, "n": res.n, "n_eff": res.n_eff, "alpha": res.alpha,
            "alpha_std": res.alpha_std, "ci_low": res.ci_low, "ci_high": res.ci_high,
            "average_r": res.average_r, **extra, "flag": flag}


def _omega_or_nan(x: np.ndarray, w: np.ndarray, names) -> float:
    from .omega import _omega_from_cov  # omega fits a CFA, which imports from here
    c, count = _covariance(x, w, names)
    if c.shape[0] < 3:  # a one-factor model of two items is not identified
        return np.nan
    try:
        return _omega_from_cov(c * (count - 1) / count, len(x), names, True).omega
    except EstimationError:
        return np.nan


def _respondent_weights(weights, respondents: pd.DataFrame) -> np.ndarray:
    n = len(respondents)
    if weights is None:
        return np.ones(n)
    if isinstance(weights, str):
        if weights not in respondents.columns:
            raise EstimationError(
                f"weight column {weights!r} not found; columns: {list(respondents.columns)}"
            )
        w = pd.to_numeric(respondents[weights], errors="coerce").to_numpy(float)
    elif hasattr(weights, "weights") and hasattr(weights, "data"):  # a SurveyDesign
        w = np.asarray(weights.weights, float)
    else:
        w = np.asarray(weights, float)
    if w.shape != (n,):
        raise EstimationError(f"weights have shape {w.shape}; expected ({n},), one per respondent")
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise EstimationError("weights must be finite and non-negative, one per respondent")
    return w

