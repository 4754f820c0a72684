"""Dimension weights: equal, user-given, PCA- or factor-analysis-derived, or driver weights.

Data-derived weights are re-derived on every replicate weight column, so their sampling error
carries into the composite and the result reports each weight with its SE.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..design import replicate_block
from ..errors import EstimationError

WEIGHTINGS = ("equal", "instrument", "user", "pca", "factor", "driver")
#: The Handbook's rule for the number of factors (OECD/JRC 2008, section 6.1, after Nicoletti
#: et al. 2000): eigenvalue above this, each factor explaining more than ``_MIN_SHARE`` of the
#: variance, all retained factors together more than ``_MIN_CUMULATIVE``.
_MIN_EIGENVALUE, _MIN_SHARE, _MIN_CUMULATIVE = 1.0, 0.10, 0.60
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
    if not isinstance(method, Mapping):
        raise EstimationError(f"weights must be one of {list(WEIGHTINGS)} or a mapping "
                              f"dimension -> weight such as {dict.fromkeys(dims, 1)}, not "
                              f"{type(method).__name__} {method!r}")
    given = dict(method)
    if set(given) != set(dims):
        raise EstimationError(f"weights must give a number for each dimension {dims}, got "
                              f"{sorted(given)}")
    try:
        w = np.array([float(given[d]) for d in dims])
    except (TypeError, ValueError):
        raise EstimationError(f"dimension weights must be numbers, got {given}") from None
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
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
    K = scores.shape[2]
    vals, vecs = np.linalg.eigh(_correlations(scores, "PCA"))  # ascending eigenvalues
    load = vecs[:, :, -1]
    w = load**2 / (load**2).sum(axis=1, keepdims=True)
    return w.T, vals[:, -1] / K


def factor_weights(scores: np.ndarray, n_factors: int | None = None, *, tol: float = 1e-13,
                   max_iter: int = 1000) -> tuple[np.ndarray, dict]:
    """Factor-analysis weights (OECD/JRC Handbook 2008, section 6.1; Nicoletti et al. 2000).

    ``scores`` (countries, targets, K, 1 + R) are the normalised dimension scores; the units are
    the country x target cells with all K scores. On the correlation matrix of the dimensions
    across units:

    1. **Factors retained**: the leading principal components with eigenvalue > 1 that each
       explain more than 10% of the variance; if together they explain no more than 60%, the
       next components are added until they do (the Handbook's three criteria; the third can
       only be met by adding components). ``n_factors`` overrides the rule.
    2. **Rotation**: the principal-component loadings (eigenvector x sqrt(eigenvalue)) are
       rotated with varimax with Kaiser normalisation, as R's ``varimax(normalize = TRUE)``,
       converged until no plane rotation exceeds ``tol`` radians (at most ``max_iter`` sweeps),
       where R's default ``eps = 1e-5`` stops up to 1e-3 away in the weights.
    3. **Weights**: squared rotated loadings are scaled to sum to one within each factor; each
       dimension belongs to the factor where its scaled squared loading is largest; the factors
       (intermediate composites) are weighted by their share of the rotated explained variance;
       a dimension's weight is its scaled squared loading times its factor's share, normalised to
       sum to one. With one factor this is :func:`pca_weights`.

    Everything is re-derived on every replicate column, with the number of factors held at the
    full-sample solution's. Replicate factors are matched to the full-sample factors by the
    largest absolute Tucker congruence (and signed alike), so per-factor figures compare across
    replicates; the weights themselves do not depend on the factors' order or sign.

    Returns the weights (K, 1 + R) and a dict: ``n_factors``; ``eigenvalues`` (K, 1 + R),
    descending; ``loadings`` (K, n, 1 + R), rotated; ``explained`` (n, 1 + R), each rotated
    factor's share of the total variance; ``factor_share`` (n, 1 + R), its weight as an
    intermediate composite; ``factor`` (K, 1 + R), the factor (0-based) each dimension belongs
    to; ``rule``, how the number of factors was chosen.

    Hand check: two blocks of perfectly correlated dimensions (3 and 2), uncorrelated with each
    other, have eigenvalues 3 and 2, so two factors explaining 60% and 40%; each dimension has
    scaled squared loading 1/3 or 1/2 on its block's factor, so every weight is 0.2.

    >>> a = np.array([1, -1, 1, -1, 1, -1, 1, -1.0])
    >>> c = np.array([1, 1, -1, -1, 1, 1, -1, -1.0])
    >>> x = np.stack([a, 2 * a + 1, c, c - 3, 3 * c], axis=1).reshape(8, 1, 5, 1)
    >>> w, info = factor_weights(x)
    >>> w[:, 0].round(12).tolist(), info["n_factors"], info["factor_share"][:, 0].round(12).tolist()
    ([0.2, 0.2, 0.2, 0.2, 0.2], 2, [0.6, 0.4])
    >>> info["factor"][:, 0].tolist()
    [1, 1, 0, 0, 0]
    """
    K = scores.shape[2]
    vals, vecs = np.linalg.eigh(_correlations(scores, "factor"))
    vals, vecs = vals[:, ::-1], vecs[:, :, ::-1]               # descending, (1 + R, K[, K])
    if n_factors is None:
        n, rule = _factors_retained(vals[0], K)
    else:
        if not 1 <= int(n_factors) <= K:
            raise EstimationError(f"n_factors must be between 1 and the number of dimensions "
                                  f"({K}), not {n_factors}")
        n, rule = int(n_factors), f"{int(n_factors)} factor(s), as given by n_factors"
    if vals[0, n - 1] <= 1e-10 * K:
        raise EstimationError(f"factor weights: component {n} has (nearly) zero variance across "
                              f"units (eigenvalue {vals[0, n - 1]:.2g}): the dimensions are "
                              f"collinear; ask for fewer factors (n_factors)")
    load = vecs[:, :, :n] * np.sqrt(np.clip(vals[:, None, :n], 0, None))
    load = _varimax(load, tol, max_iter)                       # (1 + R, K, n)
    load = _match_factors(load)
    sq = load**2
    explained = sq.sum(axis=1)                                 # (1 + R, n) rotated variances
    scaled = sq / explained[:, None, :]
    share = explained / explained.sum(axis=1, keepdims=True)
    factor = scaled.argmax(axis=2)                             # (1 + R, K)
    w = np.take_along_axis(scaled, factor[:, :, None], 2)[:, :, 0] * np.take_along_axis(share, factor, 1)
    w = w / w.sum(axis=1, keepdims=True)
    info = {"n_factors": n, "eigenvalues": vals.T, "loadings": load.transpose(1, 2, 0),
            "explained": (explained / K).T, "factor_share": share.T, "factor": factor.T,
            "rule": rule}
    return w.T, info


def _correlations(scores: np.ndarray, what: str) -> np.ndarray:
    """Correlation matrices (1 + R, K, K) of the dimensions across the complete units."""
    C, T, K, R1 = scores.shape
    units = scores.reshape(C * T, K, R1)
    units = units[~np.isnan(units).any(axis=(1, 2))]
    if len(units) <= K:
        raise EstimationError(f"{what} weights need more complete units (country x target cells) "
                              f"than dimensions: {len(units)} units, {K} dimensions")
    z = units - units.mean(axis=0)
    cov = np.einsum("ukr,ulr->rkl", z, z)
    sd = np.sqrt(np.einsum("rkk->rk", cov))
    if (sd == 0).any():
        raise EstimationError(f"{what} weights: a dimension does not vary across units")
    return cov / sd[:, :, None] / sd[:, None, :]


def _factors_retained(eigenvalues: np.ndarray, K: int) -> tuple[int, str]:
    """The Handbook's number of factors from descending eigenvalues of a K x K correlation."""
    share = eigenvalues / K
    ok = (eigenvalues > _MIN_EIGENVALUE) & (share > _MIN_SHARE)
    n = max(1, int(np.argmin(ok)) if not ok.all() else K)      # the leading run meeting both
    first = n
    while share[:n].sum() <= _MIN_CUMULATIVE and n < K:
        n += 1
    if ok[0]:
        rule = (f"{first} with eigenvalue > {_MIN_EIGENVALUE:g} and over {_MIN_SHARE:.0%} of the "
                "variance each")
    else:
        rule = (f"no component has eigenvalue > {_MIN_EIGENVALUE:g} and over {_MIN_SHARE:.0%} of "
                "the variance; the first is kept")
    if n > first:
        rule += f", plus {n - first} to explain over {_MIN_CUMULATIVE:.0%} together"
    rule = f"{n} factor(s): " + rule
    return n, rule


def _varimax(load: np.ndarray, tol: float, max_iter: int) -> np.ndarray:
    """Varimax rotation with Kaiser normalisation of loadings (1 + R, K, n), all at once.

    The rotation maximises the varimax criterion, the sum over factors of the variance of the
    squared normalised loadings. It is found by Kaiser's (1958, 1959) cyclic plane rotations:
    for each pair of factors (i, j), with ``u = x_i^2 - x_j^2`` and ``v = 2 x_i x_j`` over the
    K rows, the criterion as a function of the angle is maximised by ``4 phi = atan2(D - 2AB/K,
    C - (A^2 - B^2)/K)``, where ``A = sum u``, ``B = sum v``, ``C = sum(u^2 - v^2)`` and
    ``D = 2 sum(u v)``; pairs are swept until no angle exceeds ``tol`` (one sweep suffices for two
    factors). Rows are divided by the square root of their communality before rotating and
    multiplied back after (Kaiser normalisation, R's ``varimax(normalize = TRUE)``).

    It reaches the same optimum as R's ``stats::varimax`` (its SVD iteration, run to a fixed
    point) and statsmodels' ``rotate_factors(A, "varimax")`` (gradient projection); tests check
    both. statsmodels is not used here: its line search stalls near a gradient norm of 1e-8,
    short of the 1e-8 relative agreement with R pinned in the tests, and it takes about 1.5 ms
    per matrix, where this runs on every replicate at once.
    """
    R1, K, n = load.shape
    if n < 2:
        return load
    h = np.sqrt((load**2).sum(axis=2, keepdims=True))
    h = np.where(h > 0, h, 1.0)
    x = load / h
    pairs = [(i, j) for i in range(n - 1) for j in range(i + 1, n)]
    for _ in range(max_iter):
        largest = 0.0
        for i, j in pairs:
            a, b = x[:, :, i], x[:, :, j]
            u, v = a * a - b * b, 2 * a * b
            A, B = u.sum(axis=1), v.sum(axis=1)
            C, D = (u * u - v * v).sum(axis=1), 2 * (u * v).sum(axis=1)
            phi = np.arctan2(D - 2 * A * B / K, C - (A * A - B * B) / K) / 4
            largest = max(largest, float(np.abs(phi).max()))
            c, s = np.cos(phi)[:, None], np.sin(phi)[:, None]
            x[:, :, i], x[:, :, j] = a * c + b * s, b * c - a * s
        if largest < tol:
            break
    return x * h


def _match_factors(load: np.ndarray) -> np.ndarray:
    """Order and sign factors: the full sample (index 0) by explained variance, largest first,
    each with a positive sum of loadings; every replicate matched to those factors by the largest
    total absolute Tucker congruence, signed to congruence >= 0."""
    n = load.shape[2]
    main = load[0][:, np.argsort(-(load[0] ** 2).sum(axis=0), kind="stable")]
    main = main * np.where(main.sum(axis=0) < 0, -1.0, 1.0)
    out = np.empty_like(load)
    out[0] = main
    norm = np.sqrt((load**2).sum(axis=1))                      # (1 + R, n)
    ref = np.sqrt((main**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        cong = np.nan_to_num(np.einsum("rki,kj->rij", load, main) / norm[:, :, None] / ref)
    for r in range(1, len(load)):
        if n == 1:
            perm = np.zeros(1, int)
        else:
            _, perm = linear_sum_assignment(-np.abs(cong[r]).T)   # main factor j <- rep perm[j]
        sign = np.where(cong[r, perm, np.arange(n)] < 0, -1.0, 1.0)
        out[r] = load[r][:, perm] * sign
    return out


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
    # Row blocks sized so one block of replicate weights (all R columns) is ~128 MB; the block is
    # materialised once and serves every target.
    step = _CHUNK if R1 == 1 else max(1, min(_CHUNK, (1 << 24) // (R1 - 1)))
    for start in range(0, n, step):
        sl = slice(start, start + step)
        W = (None if replicate_weights is None
             else replicate_block(replicate_weights, 0, R1 - 1, np.arange(n)[sl]))
        for t in range(T):
            X = np.column_stack([np.ones(len(scores[sl])), scores[sl, t], outcome[sl, t]])
            ok = ~np.isnan(X).any(axis=1) & keep[sl]
            X = np.where(ok[:, None], X, 0.0)
            Z = X[:, iu[0]] * X[:, iu[1]]                      # products of every pair of columns
            acc[:, 0] += Z.T @ weights[sl]
            if W is not None:
                acc[:, 1:] += Z.T @ W
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
