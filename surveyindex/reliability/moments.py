"""Pairwise-complete (weighted) item covariances of several scales from one pass over the data.

Alpha, the item statistics, omega and the reliability table all start from the covariance
matrix of a scale's items. This module builds it: the items are centred and zero-filled once
(items in rows, respondents contiguous), and each scale's matrix comes from one matrix product
of its centred items stacked over its answer masks, which yields the cross-products, the sums
needed for pairwise means and the pair counts together. Without weights (or when every weight
is 1) no weighted temporary is made; without missing answers one shared mask row replaces the
per-item masks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import EstimationError

#: Respondents sampled to choose each item's centre (any centre gives the same covariances;
#: one near the mean keeps the one-pass sums accurate).
_CENTRE_SAMPLE = 4096
#: Respondents per block of the one-pass sums: a block of centred answers stays in cache.
_BLOCK = 32768


@dataclass(frozen=True)
class ScaleMoments:
    """Pairwise-complete sums of one scale's items, the input of every reliability statistic.

    Attributes
    ----------
    count : (k, k) respondents who answered both items (with a positive weight).
    sw : (k, k) sum of weights over those respondents (``count`` when unweighted).
    s : (k, k) ``s[j, l]``: weighted sum of centred item j where item l is answered.
    cross : (k, k) weighted cross-products of the centred items.
    centre : (k,) value subtracted from each item before the sums.
    n : respondents used (at least one item answered; listwise: all of them).
    n_eff : Kish effective sample size of those respondents, ``(sum w)^2 / sum w^2``.
    """

    count: np.ndarray
    sw: np.ndarray
    s: np.ndarray
    cross: np.ndarray
    centre: np.ndarray
    n: int
    n_eff: float

    def covariance(self) -> np.ndarray:
        """Covariance matrix, each entry from the respondents answering both items, centred at
        their own means, with the m/(m-1) factor of R ``cov(use="pairwise")`` / ``svyvar``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            cov = ((self.cross - self.s * self.s.T / self.sw) / self.sw
                   * self.count / (self.count - 1))
        return (cov + cov.T) / 2

    def means(self) -> np.ndarray:
        """(Weighted) mean of each item over the respondents answering it."""
        return self.centre + np.diag(self.s) / np.diag(self.sw)


def items_by_row(x: np.ndarray) -> np.ndarray:
    """A respondents x items array as a C-contiguous items x respondents float array (a view
    when it already is one, e.g. the values of a DataFrame of float columns)."""
    return np.ascontiguousarray(np.asarray(x, dtype=float).T)


def scale_moments(xt: np.ndarray, scales, weights=None, missing: str = "pairwise",
                  names=None) -> list[ScaleMoments | EstimationError]:
    """Moments of each scale (a list of row positions of ``xt``), or the error that stops it.

    ``xt`` holds the items in rows (:func:`items_by_row`), NaN for a missing answer; ``weights``
    is None or one non-negative weight per respondent (a zero weight drops the respondent).
    A scale whose covariances cannot be formed (a pair answered together by fewer than two
    respondents, a constant item, too few complete cases) gets an EstimationError in its place,
    so that a table can flag it and go on.
    """
    names = list(range(len(xt))) if names is None else list(names)
    w = None if weights is None else np.asarray(weights, dtype=float)
    if w is not None and np.all(w == 1):  # every weight 1: the unweighted sums are the same
        w = None
    positive = None if w is None or (w > 0).all() else w > 0
    centre = _centres(xt)
    out = []
    for cols in scales:
        cols = list(cols)
        try:
            out.append(_one_scale(xt, positive, centre, cols, w, missing,
                                  [names[j] for j in cols]))
        except EstimationError as exc:
            out.append(exc)
    return out


def _centres(xt: np.ndarray) -> np.ndarray:
    step = max(1, xt.shape[1] // _CENTRE_SAMPLE)
    sub = xt[:, ::step]
    ok = ~np.isnan(sub)
    cnt = ok.sum(axis=1)
    centre = np.where(ok, sub, 0.0).sum(axis=1) / np.maximum(cnt, 1)
    for j in np.flatnonzero(cnt == 0):  # no answer in the sample: look at every row
        row = xt[j][~np.isnan(xt[j])]
        centre[j] = row[0] if len(row) else 0.0
    return centre


def _one_scale(xt, positive, centre, cols, w, missing, names) -> ScaleMoments:
    k, n_all = len(cols), xt.shape[1]
    if k < 2:
        raise EstimationError(f"alpha needs at least 2 items; got {k} ({names})")
    obs = np.empty((k, n_all), dtype=bool)  # answered (with a positive weight)
    for r, j in enumerate(cols):
        np.isnan(xt[j], out=obs[r])
    np.logical_not(obs, out=obs)
    if positive is not None:
        obs &= positive
    complete = obs.all(axis=0)
    kept = complete if missing == "listwise" else obs.any(axis=0)
    n = int(kept.sum())
    if missing == "listwise" and n < 2:
        raise EstimationError(
            f"only {n} complete case(s) (respondents answering all {k} items); alpha needs at "
            "least 2. missing='pairwise' also uses partial answers"
        )
    unused = ~obs if missing == "pairwise" else np.broadcast_to(~complete, obs.shape)
    with np.errstate(invalid="ignore"):  # an infinite answer: reported just below
        g, d, both_w, both = _sums(xt, cols, centre, unused, complete, w)
    one_w, one = both_w.diagonal(), both.diagonal()
    sw = g[k, k] - one_w[:, None] - one_w[None, :] + both_w
    count = sw if w is None else n_all - one[:, None] - one[None, :] + both
    if not np.isfinite(g).all() and np.isinf(xt[cols]).any():
        raise EstimationError("items contain infinite values; use NaN for missing answers")
    _check_counts(count, names)
    wk = None if w is None else w[kept]
    n_eff = float(n) if w is None else float(wk.sum() ** 2 / (wk ** 2).sum())
    m = ScaleMoments(count=count, sw=sw, s=g[:k, k][:, None] - d, cross=g[:k, :k],
                     centre=centre[cols], n=n, n_eff=n_eff)
    _check_constant(m, xt, obs if missing == "pairwise" else kept[None, :], cols, names)
    return m


def _sums(xt, cols, centre, unused, complete, w):
    """The products behind a scale's moments, accumulated over blocks of respondents that stay
    in cache. Rows 0..k-1 of a block: centred answers, zero where unused; row k: ones (root
    weights). Its product with itself gives the cross-products, the item totals and the total
    weight together. The sums over the rows where a partner item is answered are those totals
    less the rows with an unused answer, so only those rows (few, usually) enter the corrections
    ``d[j, l]`` (sum of z_j where l is unused) and the (weighted) counts of both unused."""
    k, n_all = len(cols), xt.shape[1]
    root = None if w is None else np.sqrt(w)
    g, d = np.zeros((k + 1, k + 1)), np.zeros((k, k))
    both_w, both = np.zeros((k, k)), np.zeros((k, k))
    buf = np.empty((k + 1, min(n_all, _BLOCK)))
    for start in range(0, n_all, _BLOCK):
        sl = slice(start, min(start + _BLOCK, n_all))
        z = buf[:, :sl.stop - start]
        for r, j in enumerate(cols):
            np.subtract(xt[j, sl], centre[j], out=z[r])
        np.copyto(z[:k], 0.0, where=unused[:, sl])
        if root is None:
            z[k] = 1.0
        else:
            z[:k] *= root[sl]
            z[k] = root[sl]
        g += _gram(z)
        u = np.flatnonzero(~complete[sl])
        if len(u):
            miss = unused[:, sl][:, u].astype(float)
            miss_w = miss if root is None else miss * root[sl][u]
            d += z[:k, u] @ miss_w.T
            both_w += miss_w @ miss_w.T
            if root is not None:
                both += miss @ miss.T
    return g, d, both_w, (both_w if root is None else both)


def _gram(z: np.ndarray) -> np.ndarray:
    """z @ z.T; for a few rows, dot products of row pairs (BLAS gemm is slow on tiny outputs
    with a long inner dimension)."""
    k = len(z)
    if k > 8:
        return z @ z.T
    g = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            g[i, j] = g[j, i] = z[i] @ z[j]
    return g


def _check_counts(count: np.ndarray, names) -> None:
    if (count < 2).any():
        j, k = np.argwhere(count < 2)[0]
        who = f"item {names[j]!r}" if j == k else f"items {names[j]!r} and {names[k]!r}"
        raise EstimationError(
            f"{who}: answered (together) by {int(count[j, k])} respondent(s); a covariance "
            "needs at least 2"
        )


def _check_constant(m: ScaleMoments, xt, used, cols, names) -> None:
    # A constant item centred at an inexact mean leaves a variance of rounding size, not 0:
    # items whose spread is that small are checked exactly on their answers.
    d_sw = np.diag(m.sw)
    spread = (np.diag(m.cross) - np.diag(m.s) ** 2 / d_sw) / d_sw
    size = np.abs(m.centre) + np.sqrt(np.diag(m.cross) / d_sw)
    for r in np.flatnonzero(spread <= (1e-12 * size) ** 2):
        answers = xt[cols[r]][used[r if len(used) > 1 else 0]]
        if answers.min() == answers.max():
            raise EstimationError(
                f"item {names[r]!r} has zero variance (every answer is {answers[0]:g}); alpha "
                "and the correlations are undefined with a constant item: drop it"
            )
