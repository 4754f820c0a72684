"""Cronbach's alpha of one set of items, and its item statistics.

Everything is computed from one (weighted) covariance matrix of the items
(:mod:`surveyindex.reliability.moments`), so the pairwise and listwise treatments of missing
answers, and weights, differ only in how that matrix is built. Many scales at once, and the
table per country x target x dimension: :mod:`surveyindex.reliability.scales`.
Unweighted, the numbers are those of R ``psych::alpha`` (pairwise-complete covariances by
default); weighted, alpha is that of R ``survey::svycralpha``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.stats import f as f_dist

from ..errors import EstimationError
from ..estimate import check_level
from .moments import ScaleMoments, items_by_row, scale_moments

#: Reliability thresholds used for the ``flag`` column of the reliability table (see FIELD.md).
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
    xt, w, names = _items(data, missing, weights)
    m = _moments(xt, w, missing, names)
    stats = alpha_statistics(m)
    lo, hi = _feldt(stats["alpha"], m.n_eff, m.count.shape[0], level)
    return AlphaResult(n=m.n, n_eff=m.n_eff, n_items=m.count.shape[0], **stats,
                       ci_low=float(lo), ci_high=float(hi), level=level, missing=missing)


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
    xt, w, names = _items(data, missing, weights)
    return item_table(_moments(xt, w, missing, names), names)


# -- helpers shared by the reliability statistics ------------------------------------------------

def alpha_statistics(m: ScaleMoments) -> dict:
    """``alpha``, ``alpha_std`` and ``average_r`` of a scale from its moments (formulas in
    :func:`cronbach_alpha`); EstimationError when the total score has no positive variance."""
    c = m.covariance()
    k = c.shape[0]
    total = c.sum()
    if total <= 0:
        raise EstimationError(
            "the total score has no positive variance (items cancel out); check the reverse "
            "keying"
        )
    r = _cov2cor(c)
    return {"alpha": float(k / (k - 1) * (1 - np.trace(c) / total)),
            "alpha_std": float(k / (k - 1) * (1 - k / r.sum())),
            "average_r": float((r.sum() - k) / (k * (k - 1)))}


def item_table(m: ScaleMoments, names) -> pd.DataFrame:
    """The item statistics of :func:`item_statistics` from a scale's moments."""
    c = m.covariance()
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
    return pd.DataFrame({
        "item": list(names),
        "n": np.diag(m.count).astype(np.int64),
        "mean": m.means(),
        "sd": np.sqrt(var),
        "r_drop": r_drop,
        "r_cor": _r_cor(r),
        "alpha_if_dropped": alpha_drop,
        "alpha_std_if_dropped": alpha_std_drop,
    })


def _items(data, missing: str, weights, names=None):
    """Items as an items x respondents float array, the weights (None: unweighted), names."""
    if missing not in _MISSING:
        raise EstimationError(f"missing must be one of {_MISSING}; got {missing!r}")
    if isinstance(data, pd.DataFrame):
        names = list(data.columns)
        bad = [c for c in names if not pd.api.types.is_numeric_dtype(data[c])]
        if bad:
            raise EstimationError(f"item columns must be numeric; {bad} are not")
        x = data.to_numpy(dtype=float)
    else:
        if not isinstance(data, (np.ndarray, list, tuple)):  # Responses, a design, a path...
            raise EstimationError(
                f"items must be a respondents x items table (a DataFrame or a 2-D array), not "
                f"{type(data).__name__}; for Responses use si.reliability_table(responses) (every "
                "dimension by country and target)")
        try:
            x = np.asarray(data, dtype=float)
        except (TypeError, ValueError):
            raise EstimationError("items must be numbers (a respondents x items table)") from None
        if x.ndim != 2:
            raise EstimationError(
                f"items must be a 2-D array (respondents x items); got shape {x.shape}"
            )
        names = list(range(x.shape[1])) if names is None else list(names)
    if x.shape[1] < 2:
        raise EstimationError(f"alpha needs at least 2 items; got {x.shape[1]} ({names})")
    xt = items_by_row(x)  # infinite values are caught by scale_moments, in its one pass
    if weights is None:
        return xt, None, names
    w = np.asarray(weights, dtype=float)
    if w.shape != (xt.shape[1],):
        raise EstimationError(
            f"weights have shape {w.shape}; expected ({xt.shape[1]},), one per respondent"
        )
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise EstimationError("weights must be finite and non-negative")
    return xt, w, names


def _moments(xt, w, missing: str, names) -> ScaleMoments:
    m = scale_moments(xt, [range(len(xt))], w, missing, names)[0]
    if isinstance(m, EstimationError):
        raise m
    return m


def _prepare(data, missing: str, weights, names=None):
    """Items as a respondents x items float array, weights, and item names, with the rows that
    cannot contribute dropped (no answer, a zero weight; listwise: an incomplete answer)."""
    xt, w, names = _items(data, missing, weights, names)
    x = xt.T
    w = np.ones(len(x)) if w is None else w
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
    m = _moments(items_by_row(x), w, "pairwise", names)
    return m.covariance(), m.count


def _check_level(level: float) -> None:
    check_level(level)


def _feldt(alpha, n, k, level: float):
    """Feldt's interval; vectorised over arrays of alpha, n and k."""
    a = 1 - level
    df1 = np.asarray(n, float) - 1
    df2 = df1 * (np.asarray(k, float) - 1)
    return (1 - (1 - alpha) * f_dist.ppf(1 - a / 2, df1, df2),
            1 - (1 - alpha) * f_dist.ppf(a / 2, df1, df2))


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

