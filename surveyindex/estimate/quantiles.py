"""Quantiles by domain with Woodruff or replicate intervals (R ``svyquantile``, survey >= 4.0)."""

from __future__ import annotations

import numpy as np

from ..design import replicate_block
from ..errors import EstimationError
from .core import as_matrix, domain_layout, resolve_method
from .inputs import resolve_df, resolve_values
from .result import DomainEstimates, critical_value
from .variance import degrees_of_freedom, replicate_variance, taylor_variance

INTERVAL_TYPES = ("mean", "quantile")


def estimate_quantiles(design, values, probs=(0.25, 0.5, 0.75), by=None, where=None,
                       level: float = 0.95, method: str = "auto", interval_type: str = "mean",
                       df=None) -> DomainEstimates:
    """Weighted quantiles per domain with Woodruff or replicate confidence intervals.

    The quantile is R's ``qrule="math"``: the smallest value whose weighted cumulative share
    reaches ``p``.

    ``interval_type="mean"`` (R's default ``interval.type="mean"``, for Taylor and replicate
    designs alike) is Woodruff's interval: the design SE of the estimated share at or below
    the quantile (linearised, or from the replicate weights), ``share +- t(df) SE`` mapped back
    through the weighted distribution; ``se`` is the interval's width over ``2 t(df)``, as R
    reports it. ``interval_type="quantile"`` (replicate designs only, R
    ``interval.type="quantile"``) recomputes the quantile with every replicate's weights; the
    SE is the replicate standard deviation of those (the design's scale, rscales and
    ``replicate_mse``) and the interval ``estimate +- t(df) SE``. R warns that jackknife
    replicates may not give valid SEs for quantiles (a jackknife of a median is inconsistent),
    so prefer the bootstrap or BRR for it.

    ``values`` as :func:`~surveyindex.estimate_means` (column names, lists, frames). Returns the
    estimates object of every estimator, with one column per variable and probability
    (``.quantiles``); ``.table()`` has a ``quantile`` column, and ``est["api00"]`` selects a
    variable's quantiles.

    ``df`` (a number, ``"design"`` or ``"inf"``) defaults to R's ``degf``: PSUs minus strata for a Taylor design; for a replicate
    design the rank of the replicate weights minus one, computed on each domain's rows (as
    ``svyby`` does on the subset design), so JKn on 3 strata has 197, not 199. Rows with a
    missing value are left out, as ``na.rm=TRUE``.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4]})
    >>> t = estimate_quantiles(si.make_design(df, strata=None), df, probs=[0.5])
    >>> float(t.loc[0, "estimate"]), float(t["y"])
    (2.0, 2.0)
    >>> rep = si.make_design(df, strata=None).with_replicates("JK1")
    >>> r = estimate_quantiles(rep, df, probs=[0.5], interval_type="quantile")  # R: SE 0.8660254
    >>> float(r.loc[0, "estimate"]), round(float(r.loc[0, "se"]), 4), int(r.loc[0, "df"])
    (2.0, 0.866, 3)
    """
    names, Y = as_matrix(resolve_values(design, values, numeric_only="quantiles"), design.n)
    method = resolve_method(design, method)
    if df is not None and df != "design":
        df = resolve_df(design, df)
        df = np.inf if df is None else df
    given = probs
    try:
        probs = [float(p) for p in np.atleast_1d(probs)]
    except (TypeError, ValueError):
        probs = [np.nan]
    if not all(0 <= p <= 1 for p in probs):
        raise EstimationError(f"probs must be probabilities between 0 and 1, not {given!r}")
    if interval_type not in INTERVAL_TYPES:
        raise EstimationError(f"interval_type must be one of {list(INTERVAL_TYPES)}, "
                              f"not {interval_type!r}")
    if interval_type == "quantile" and method != "replicate":
        raise EstimationError("interval_type='quantile' recomputes the quantile on replicate "
                              "weights: add them with design.with_replicates(...) first, or "
                              "use interval_type='mean' (Woodruff)")
    dom = domain_layout(design, by, where)
    w = design.weights
    R = design.n_replicates
    rows_out = []
    for k in range(len(dom)):
        rows_k = dom.rows(k)
        W_k = (replicate_block(design.replicate_weights, 0, R, rows_k)
               if method == "replicate" else None)
        rank_cache: dict = {}
        for j in range(len(names)):
            y = Y[rows_k, j]
            ok = ~np.isnan(y) & (w[rows_k] > 0)
            rows, yk, wk = rows_k[ok], y[ok], w[rows_k][ok]
            Wk = None if W_k is None else W_k[ok]
            if df is not None and df != "design":
                dfk = df
            elif method == "taylor":
                dfk = degrees_of_freedom(design)
            else:
                key = ok.tobytes()
                if key not in rank_cache:
                    rank_cache[key] = replicate_df(Wk)
                dfk = rank_cache[key]
            crit = critical_value(level, dfk)
            cols = _SortedColumns(yk, Wk) if interval_type == "quantile" else None
            for p in probs:
                q = _qrule_math(yk, wk, p)
                if interval_type == "quantile":
                    reps = cols.quantile(p)
                    se = float(np.sqrt(replicate_variance(design, np.array(q), reps)))
                    lo, hi = q - crit * se, q + crit * se
                else:
                    ind = (yk <= q).astype(float)
                    share = float((wk * ind).sum() / wk.sum())
                    if method == "taylor":
                        z = wk * (ind - share) / wk.sum()
                        se_share = float(np.sqrt(taylor_variance(design, rows, z[:, None])[0]))
                    else:
                        reps = (ind @ Wk) / Wk.sum(axis=0)
                        se_share = float(np.sqrt(replicate_variance(design, np.array(share),
                                                                    reps)))
                    lo_p, hi_p = share - crit * se_share, share + crit * se_share
                    lo = np.nan if lo_p < 0 else _qrule_math(yk, wk, lo_p)
                    hi = np.nan if hi_p > 1 else _qrule_math(yk, wk, hi_p)
                    se = (hi - lo) / (2 * crit)
                rows_out.append((q, se, lo, hi, len(yk), _kish(wk), dfk))
    D, VP = len(dom), len(names) * len(probs)
    cells = np.array(rows_out, float).reshape(D, VP, 7) if rows_out else np.zeros((D, VP, 7))
    return DomainEstimates(dom.table, [v for v in names for _ in probs], cells[..., 0],
                           cells[..., 1], cells[..., 4].astype(np.int64), cells[..., 5], None,
                           method, kind="quantile", df=cells[..., 6], level=level,
                           quantiles=[p for _ in names for p in probs],
                           ci=(cells[..., 2], cells[..., 3]))


def _kish(w: np.ndarray) -> float:
    return float(w.sum() ** 2 / (w * w).sum()) if len(w) else np.nan


def replicate_df(W: np.ndarray) -> int:
    """R ``degf`` of a replicate design: the rank of its replicate weights (rows x replicates)
    minus one. The rank is taken from the singular values of the R x R cross-product, so it
    costs one matrix product however many rows there are.

    >>> replicate_df(np.array([[0.0, 2.0, 2.0], [2.0, 0.0, 2.0], [2.0, 2.0, 0.0]]))
    2
    >>> replicate_df(np.ones((4, 3)))
    0
    """
    W = np.asarray(W, float)
    if W.size == 0:
        return 0
    s = np.linalg.eigvalsh(W.T @ W)
    # Singular values of W are sqrt(s): a relative 1e-5 on them (R's qr tolerance) is 1e-10 here.
    return int((s > s.max() * 1e-10).sum()) - 1


class _SortedColumns:
    """:func:`_qrule_math` for every column of a weight matrix at once: the values are sorted
    once and the cumulative weights taken once per variable, then each ``p`` is a lookup."""

    def __init__(self, x: np.ndarray, W: np.ndarray):
        order = np.argsort(x, kind="stable")
        self.xs = x[order]
        Ws = W[order]
        self.cw = np.cumsum(Ws, axis=0)
        self.total = self.cw[-1]
        self.pos_w = Ws > 0
        n = len(x)
        idx = np.where(self.pos_w, np.arange(n)[:, None], n)
        # next_pos[i, r]: the first row at or after i with a positive weight in column r.
        self.next_pos = np.minimum.accumulate(idx[::-1], axis=0)[::-1]
        self.first = self.next_pos[0]

    def quantile(self, p: float) -> np.ndarray:
        n, R = self.cw.shape
        cols = np.arange(R)
        # Rows with zero weight take no part (R drops them); among the others, the last whose
        # cumulative share is at most p.
        ok = (self.cw <= p * self.total) & self.pos_w
        any_ok = ok.any(axis=0)
        pos = np.where(any_ok, n - 1 - np.argmax(ok[::-1], axis=0), self.first)
        after = np.where(pos + 1 < n, self.next_pos[np.minimum(pos + 1, n - 1), cols], n)
        exact = (p - self.cw[pos, cols] / self.total) == 0
        take = np.where(~any_ok | exact | (after >= n), pos, np.minimum(after, n - 1))
        return self.xs[take]


def _qrule_math(x: np.ndarray, w: np.ndarray, p: float) -> float:
    """R ``qrule_math``: the lower value where the weighted ECDF reaches ``p`` exactly, else the
    next one up. Zero weights are left out, as R does."""
    if (w == 0).any():
        x, w = x[w != 0], w[w != 0]
    order = np.argsort(x, kind="stable")
    xs, cw = x[order], np.cumsum(w[order])
    total = cw[-1]
    below = np.flatnonzero(cw <= p * total)
    if not len(below):
        return float(xs[0])
    pos = below[-1]
    if p - cw[pos] / total == 0 or pos == len(xs) - 1:
        return float(xs[pos])
    return float(xs[pos + 1])
