"""Normalisation of dimension scores, as in the OECD/JRC Handbook (2008, section 5).

Every function works on arrays of shape (countries, targets, dimensions, 1 + replicates), so one
call normalises the full-sample estimate and every replicate alike. "The units compared" are the
surveyed countries (``across="countries"``, per target), the rated targets (``"targets"``, per
surveyed country) or every country x target cell (``"all"``).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from ..errors import EstimationError

NORMALISATIONS = ("scale", "minmax", "zscore", "rank", "distance", "goalposts")
ACROSS = {"countries": (0,), "targets": (1,), "all": (0, 1)}


def normalise(x: np.ndarray, method: str = "scale", *, bounds: tuple | None = None,
              scale: tuple[float, float] = (0.0, 100.0), across: str = "countries",
              reference: int | None = None, goalposts: tuple | None = None) -> np.ndarray:
    """Normalise scores ``x`` (countries, targets, dimensions, 1 + R) by ``method``.

    Parameters
    ----------
    method :
        ``"scale"``: ``lo + (hi - lo) * (x - bmin) / (bmax - bmin)``, the response scale's
        bounds ``bounds = (bmin, bmax)`` (per dimension) mapped linearly onto ``scale = (lo, hi)``;
        ``"minmax"``: ``lo + (hi - lo) * (x - min_u x) / (max_u x - min_u x)`` over the units u;
        ``"zscore"``: ``(x - mean_u x) / sd_u x`` (sd with n - 1, as COINr's ``n_zscore``);
        ``"rank"``: rank among the units, 1 = lowest score, ties averaged;
        ``"distance"``: ``100 * s / s_ref`` with ``s`` the ``"scale"`` score and ``s_ref`` that of
        the reference unit (position ``reference`` along the ``across`` axis);
        ``"goalposts"``: ``lo + (hi - lo) * (x - L) / (U - L)`` clipped to ``[lo, hi]``, with
        ``goalposts = (L, U)`` on the score's own scale (default: ``bounds``).
    across : ``"countries"``, ``"targets"`` or ``"all"``: which units are compared.

    Hand check (min-max of 2, 3, 5 to 0-100): (0, 33.3, 100).

    >>> x = np.array([2.0, 3.0, 5.0]).reshape(3, 1, 1, 1)
    >>> normalise(x, "minmax").ravel().round(1).tolist()
    [0.0, 33.3, 100.0]
    >>> normalise(x, "scale", bounds=(np.array([1.0]), np.array([5.0]))).ravel().tolist()
    [25.0, 50.0, 100.0]
    """
    if method not in NORMALISATIONS:
        raise EstimationError(f"normalisation must be one of {list(NORMALISATIONS)}, not {method!r}")
    if across not in ACROSS:
        raise EstimationError(f"across must be one of {list(ACROSS)}, not {across!r}")
    lo, hi = scale
    axes = ACROSS[across]
    if method in ("scale", "distance", "goalposts") and bounds is None:
        raise EstimationError(f"normalisation {method!r} needs the score bounds (bmin, bmax)")
    if method == "scale":
        return _linear(x, bounds[0], bounds[1], lo, hi)
    if method == "goalposts":
        g_lo, g_hi = bounds if goalposts is None else goalposts
        g_lo, g_hi = np.broadcast_to(np.asarray(g_lo, float), (x.shape[2],)), \
            np.broadcast_to(np.asarray(g_hi, float), (x.shape[2],))
        if (g_hi <= g_lo).any():
            raise EstimationError(f"goalposts need lower < upper, got {goalposts}")
        return np.clip(_linear(x, g_lo, g_hi, lo, hi), lo, hi)
    n_units = int(np.prod([x.shape[a] for a in axes]))
    if method == "distance":
        if across == "all" or reference is None:
            raise EstimationError("normalisation 'distance' needs a reference country (across="
                                  "'countries') or target (across='targets')")
        s = _linear(x, bounds[0], bounds[1], lo, hi)
        ref = np.take(s, [reference], axis=axes[0])
        with np.errstate(invalid="ignore", divide="ignore"):
            # the ratio first: s / s is exactly 1, (100 * s) / s need not be
            return 100.0 * (s / ref)
    if n_units < 2:
        raise EstimationError(f"normalisation {method!r} compares units, but there is only one "
                              f"along {across!r}: use 'scale' or 'goalposts', or compare across "
                              "other units")
    if method == "minmax":
        mn, mx = np.nanmin(x, axis=axes, keepdims=True), np.nanmax(x, axis=axes, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return _onto((x - mn) / (mx - mn), lo, hi)
    if method == "zscore":
        mean = np.nanmean(x, axis=axes, keepdims=True)
        sd = np.nanstd(x, axis=axes, keepdims=True, ddof=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (x - mean) / sd
    return _rank(x, axes)


def onto_index_scale(x, lo, hi, scale: tuple[float, float] = (0.0, 100.0), *,
                     difference: bool = False):
    """Values on a response scale ``[lo, hi]`` mapped linearly onto the index scale (0-100).

    The same map as the ``"scale"`` normalisation, used beside item-scale figures: an item's
    mean and CI limits (``difference=False``) and its SE (``difference=True``: only the slope
    ``(s_hi - s_lo) / (hi - lo)`` applies). ``lo`` and ``hi`` broadcast against ``x``.

    Hand check: 4 on a 1-5 scale is 75 on 0-100; an SE of 0.1 there is 2.5 points.

    >>> float(onto_index_scale(4.0, 1.0, 5.0)), float(onto_index_scale(0.1, 1.0, 5.0, difference=True))
    (75.0, 2.5)
    """
    s_lo, s_hi = scale
    f = (s_hi - s_lo) / (np.asarray(hi, float) - np.asarray(lo, float))
    if difference:
        return np.asarray(x, float) * f
    return s_lo + (np.asarray(x, float) - lo) * f


def _linear(x, bmin, bmax, lo, hi) -> np.ndarray:
    bmin = np.asarray(bmin, float)[:, None]
    bmax = np.asarray(bmax, float)[:, None]
    return _onto((x - bmin) / (bmax - bmin), lo, hi)


def _onto(t: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Map the unit interval onto ``[lo, hi]`` with both end points exact.

    ``lo + (hi - lo) * t`` can land one ulp inside ``hi`` at ``t = 1`` (and so can dividing
    after multiplying); the two-sided form gives ``lo`` at ``t = 0`` and ``hi`` at ``t = 1``
    bit for bit, since ``x - x`` and ``x / x`` are exact.
    """
    return lo * (1.0 - t) + hi * t


def _rank(x: np.ndarray, axes: tuple) -> np.ndarray:
    """Average ranks along the unit axes (1 = lowest); NaN stays NaN."""
    moved = np.moveaxis(x, axes, tuple(range(len(axes))))
    shape = moved.shape
    flat = moved.reshape(-1, *shape[len(axes):])
    r = rankdata(flat, axis=0, nan_policy="omit")
    return np.moveaxis(r.reshape(shape), tuple(range(len(axes))), axes)
