"""Aggregation: dimension scores to the composite, and surveyed countries to a pooled figure."""

from __future__ import annotations

import numpy as np

from ..errors import EstimationError

AGGREGATIONS = ("arithmetic", "geometric", "generalised")
POOLINGS = ("mean", "median")


def aggregate(x: np.ndarray, weights: np.ndarray, method: str = "arithmetic",
              power: float = 0.5) -> np.ndarray:
    """Composite of dimension scores ``x`` (..., K, 1 + R) with weights (K,) or (K, 1 + R).

    OECD/JRC Handbook (2008, section 6.2), weights summing to one:
    arithmetic ``sum_k w_k x_k`` (fully compensatory); geometric ``prod_k x_k ** w_k`` (partly
    compensatory; a zero score on any dimension makes the composite zero, as the Handbook
    warns of min-max minima); generalised mean ``(sum_k w_k x_k ** p) ** (1/p)`` with
    ``p = power`` (p = 1 is arithmetic, p -> 0 geometric, p = -1 harmonic; needs non-negative
    scores).

    Hand check, scores 25 and 100 with equal weights: arithmetic 62.5, geometric sqrt(2500) = 50,
    generalised with p = 0.5: ((5 + 10) / 2) ** 2 = 56.25.

    >>> x = np.array([25.0, 100.0]).reshape(2, 1)
    >>> w = np.array([0.5, 0.5])
    >>> [float(aggregate(x, w, m)[0]) for m in AGGREGATIONS]
    [62.5, 50.0, 56.25]
    """
    if method not in AGGREGATIONS:
        raise EstimationError(f"aggregation must be one of {list(AGGREGATIONS)}, not {method!r}")
    w = weights[:, None] if weights.ndim == 1 else weights
    if method == "arithmetic":
        return (x * w).sum(axis=-2)
    if (x < 0).any():
        raise EstimationError(f"{method} aggregation needs non-negative scores, but some "
                              "normalised scores are negative (z-scores or net scores): use "
                              "normalisation 'scale', 'minmax' or 'goalposts', or arithmetic "
                              "aggregation")
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "geometric":
            # A zero-weight dimension drops out even where its score is 0 (log 0 * 0 is NaN).
            return np.exp(np.where(w > 0, np.log(x) * w, 0.0).sum(axis=-2))
        if power == 0:
            raise EstimationError("generalised mean with power 0 is the geometric mean: use "
                                  "aggregation='geometric'")
        return ((x**power) * w).sum(axis=-2) ** (1.0 / power)


def pool(x: np.ndarray, country_weights: np.ndarray, method: str = "mean") -> np.ndarray:
    """Pool surveyed countries (axis 0 of ``x``) into one figure, ignoring NaN countries.

    ``mean``: the weighted mean ``sum_c v_c x_c / sum_c v_c``; ``median``: the weighted median, the
    smallest ``x`` whose cumulative weight reaches half the total (the mean of the two middle
    values when it reaches exactly half, so equal weights give the ordinary median).

    >>> x = np.array([1.0, 2.0, 10.0, 4.0])
    >>> float(pool(x, np.ones(4), "mean")), float(pool(x, np.ones(4), "median"))
    (4.25, 3.0)
    >>> float(pool(x, np.array([1.0, 1.0, 5.0, 1.0]), "median"))
    10.0
    """
    if method not in POOLINGS:
        raise EstimationError(f"pooling must be one of {list(POOLINGS)}, not {method!r}")
    v = np.asarray(country_weights, float).reshape((-1,) + (1,) * (x.ndim - 1))
    v = np.where(np.isnan(x), 0.0, np.broadcast_to(v, x.shape))
    filled = np.where(np.isnan(x), np.inf, x)
    total = v.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "mean":
            return np.where(total > 0, (np.where(v > 0, filled, 0.0) * v).sum(axis=0) / total,
                            np.nan)
        order = np.argsort(filled, axis=0, kind="stable")
        xs = np.take_along_axis(filled, order, axis=0)
        cum = np.cumsum(np.take_along_axis(v, order, axis=0), axis=0) / total
        tol = 1e-12
        first = (cum >= 0.5 - tol).argmax(axis=0)[None]
        at = np.take_along_axis(xs, first, axis=0)[0]
        nxt = np.take_along_axis(xs, np.minimum(first + 1, len(xs) - 1), axis=0)[0]
        exact = np.abs(np.take_along_axis(cum, first, axis=0)[0] - 0.5) < tol
        return np.where(total > 0, np.where(exact, (at + nxt) / 2, at), np.nan)


def pooled_bases(n: np.ndarray, n_eff: np.ndarray, country_weights: np.ndarray,
                 present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Respondents behind a pooled figure and their Kish effective number, over axis 0.

    ``n`` and ``n_eff`` are each country's unweighted and effective base (countries first);
    ``present`` marks the countries the pooled figure uses (a non-missing score). ``n`` is the
    sum of the countries' bases. ``n_eff`` is Kish's ``(sum u)^2 / sum u^2`` over the weights
    ``u`` the respondents carry in the pooled figure: respondent ``i`` of country ``c`` carries
    ``u_i = v_c w_i / W_c`` (its survey weight ``w_i`` over its country's total ``W_c``, times
    the country's pooling weight ``v_c``). Then ``sum u = sum_c v_c`` and ``sum u^2 = sum_c
    v_c^2 / n_eff_c`` with ``n_eff_c = W_c^2 / sum_{i in c} w_i^2`` the country's own Kish base,
    so ``n_eff = (sum_c v_c)^2 / sum_c (v_c^2 / n_eff_c)``. With equal country weights and equal
    ``n_eff_c`` this is the sum of the ``n_eff_c``; when the ``v_c`` are proportional to the
    ``W_c`` it is Kish's n of the survey weights themselves. A median pooling gets the bases of
    the mean with the same country weights.

    Hand check: two countries, equal weights, effective bases 100 and 25: ``4 / (1/100 + 1/25)
    = 80`` (not 125: the small country's respondents each count four times as much).

    >>> n, ne = pooled_bases(np.array([120, 30]), np.array([100.0, 25.0]), np.ones(2),
    ...                      np.array([True, True]))
    >>> int(n), float(ne)
    (150, 80.0)
    """
    v = np.asarray(country_weights, float).reshape((-1,) + (1,) * (np.ndim(n) - 1))
    v = np.where(present, np.broadcast_to(v, np.shape(present)), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = np.where(v > 0, v**2 / np.asarray(n_eff, float), 0.0)
        total = v.sum(axis=0)
        n_eff_pooled = np.where(total > 0, total**2 / inv.sum(axis=0), np.nan)
    return np.where(present, n, 0).sum(axis=0), n_eff_pooled
