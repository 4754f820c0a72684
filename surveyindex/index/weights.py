"""Dimension weights: equal, user-given, PCA-derived, or driver weights from a regression.

Data-derived weights are re-derived on every replicate weight column, so their sampling error
carries into the composite and the result reports each weight with its SE.
"""

from __future__ import annotations

import numpy as np

from ..errors import EstimationError

WEIGHTINGS = ("equal", "instrument", "user", "pca", "driver")
_CHUNK = 250_000


def fixed_weights(method, dims: list[str], instrument_weights: dict | None = None) -> np.ndarray:
    """Equal, instrument or user weights as a vector summing to one.

    ``method`` is ``"equal"``, ``"instrument"`` (the instrument's ``index.dimension_weights``) or
    a mapping dimension -> weight (any positive numbers; they are scaled to sum to one).

    >>> fixed_weights({"a": 1, "b": 3}, ["a", "b"]).tolist()
    [0.25, 0.75]
    """
    if isinstance(method, str):
        if method == "equal":
            return np.full(len(dims), 1.0 / len(dims))
        if method == "instrument":
            return np.array([instrument_weights[d] for d in dims], float)
        raise EstimationError(f"weights must be one of {list(WEIGHTINGS)} or a mapping "
                              f"dimension -> weight, not {method!r}")
    given = dict(method)
    if set(given) != set(dims):
        raise EstimationError(f"weights must give a number for each dimension {dims}, got "
                              f"{sorted(given)}")
    w = np.array([float(given[d]) for d in dims])
    if (w < 0).any() or w.sum() <= 0:
        raise EstimationError(f"dimension weights must be non-negative with a positive sum, got {given}")
    return w / w.sum()


def pca_weights(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights from the first principal component of the dimensions across units.

    ``scores`` (countries, targets, K, 1 + R) are the normalised dimension scores; the units are
    the country x target cells with all K scores. Following the OECD/JRC Handbook (2008, section
    6.1), the weight of a dimension is its squared loading on the component, scaled to sum to one
    (the Handbook's rotated multi-factor version reduces to this when one factor is retained).
    Returns the weights (K, 1 + R) and the share of variance the component explains (1 + R,).

    Hand check: two perfectly correlated dimensions and an independent one give loadings
    (1, 1, 0) / sqrt(2), so weights (0.5, 0.5, 0).

    >>> rng = np.random.default_rng(0)
    >>> a, c = rng.normal(size=40), rng.normal(size=40)
    >>> x = np.stack([a, 2 * a + 1, c], axis=1).reshape(40, 1, 3, 1)
    >>> w, share = pca_weights(x)
    >>> w[:, 0].round(3).tolist()
    [0.5, 0.5, 0.0]
    """
    C, T, K, R1 = scores.shape
    units = scores.reshape(C * T, K, R1)
    units = units[~np.isnan(units).any(axis=(1, 2))]
    if len(units) <= K:
        raise EstimationError(f"PCA weights need more complete units (country x target cells) than "
                              f"dimensions: {len(units)} units, {K} dimensions")
    z = units - units.mean(axis=0)
    cov = np.einsum("ukr,ulr->rkl", z, z)
    sd = np.sqrt(np.einsum("rkk->rk", cov))
    if (sd == 0).any():
        raise EstimationError("PCA weights: a dimension does not vary across units")
    corr = cov / sd[:, :, None] / sd[:, None, :]
    vals, vecs = np.linalg.eigh(corr)                          # ascending eigenvalues
    load = vecs[:, :, -1]
    w = load**2 / (load**2).sum(axis=1, keepdims=True)
    return w.T, vals[:, -1] / K


def driver_weights(scores: np.ndarray, outcome: np.ndarray, weights: np.ndarray,
                   replicate_weights: np.ndarray | None = None,
                   mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Driver weights: a weighted regression of the outcome on the dimension scores.

    ``scores`` (n, T, K) are respondents' dimension scores, ``outcome`` (n, T) the overall
    favourability rating; respondents' ratings of all targets are pooled, complete cases only.
    The regression ``outcome ~ 1 + scores`` is fitted by weighted least squares with the analysis
    weights and again with each replicate column (``replicate_weights`` (n, R)). A dimension's
    weight is its coefficient, negative ones set to zero, scaled to sum to one (the relative
    importance of each driver on the common score scale). Returns the weights (K, 1 + R) and the
    coefficients (K + 1, 1 + R), intercept first.

    >>> rng = np.random.default_rng(1)
    >>> s = rng.normal(size=(500, 1, 2))
    >>> y = 1 + 3 * s[:, :, 0] + 1 * s[:, :, 1]
    >>> w, b = driver_weights(s, y, np.ones(500))
    >>> w[:, 0].round(6).tolist(), b[:, 0].round(6).tolist()
    ([0.75, 0.25], [1.0, 3.0, 1.0])
    """
    n, T, K = scores.shape
    if outcome.shape != (n, T):
        raise EstimationError(f"driver weights: the outcome has shape {outcome.shape}; expected "
                              f"({n}, {T}), one rating per respondent and target")
    iu = np.triu_indices(K + 2)
    m = len(iu[0])
    R1 = 1 + (0 if replicate_weights is None else replicate_weights.shape[1])
    acc = np.zeros((m, R1))
    keep = np.ones(n, bool) if mask is None else np.asarray(mask, bool)
    for start in range(0, n, _CHUNK):
        sl = slice(start, start + _CHUNK)
        for t in range(T):
            X = np.column_stack([np.ones(len(scores[sl])), scores[sl, t], outcome[sl, t]])
            ok = ~np.isnan(X).any(axis=1) & keep[sl]
            X = np.where(ok[:, None], X, 0.0)
            Z = X[:, iu[0]] * X[:, iu[1]]                      # products of every pair of columns
            acc[:, 0] += Z.T @ weights[sl]
            if replicate_weights is not None:
                acc[:, 1:] += Z.T @ replicate_weights[sl]
    full = np.zeros((R1, K + 2, K + 2))
    full[:, iu[0], iu[1]] = acc.T
    full[:, iu[1], iu[0]] = acc.T
    xtx, xty = full[:, : K + 1, : K + 1], full[:, : K + 1, K + 1]
    try:
        b = np.linalg.solve(xtx, xty[:, :, None])[:, :, 0].T          # (K + 1, R1)
    except np.linalg.LinAlgError:
        raise EstimationError("driver weights: the dimension scores are collinear or there are "
                              "too few complete respondents to fit the regression") from None
    pos = np.clip(b[1:], 0, None)
    total = pos.sum(axis=0, keepdims=True)
    if (total[:, 0] <= 0).any():
        raise EstimationError("driver weights: no dimension has a positive coefficient on the "
                              "outcome, so no weights can be derived")
    with np.errstate(invalid="ignore", divide="ignore"):
        return pos / total, b
