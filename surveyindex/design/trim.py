"""Weight trimming with redistribution (R ``trimWeights``)."""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import WeightingError, require
from .design import SurveyDesign
from .rake import _group_codes


def trim(design: SurveyDesign, upper: float = np.inf, lower: float = -np.inf,
         strict: bool = False, by: str | None = None) -> SurveyDesign:
    """Trim weights to ``[lower, upper]`` and share what was cut equally among the others.

    As R ``trimWeights``: weights outside the bounds are set to them, and the total trimmed is
    added in equal shares (additively) to the weights that were inside, so the sum of weights is
    kept; done once, some weights may end up just outside the bounds, unless ``strict`` repeats
    the step until none is. With ``by``, each group keeps its own total. Replicate weights are
    trimmed the same way, column by column; the linearisation of earlier weighting steps is kept,
    as in R.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> d = si.make_design(pd.DataFrame({"x": range(4)}), weights=np.array([1.0, 1, 1, 5]),
    ...                    strata=None)
    >>> trim(d, upper=3).weights.round(4).tolist()
    [1.6667, 1.6667, 1.6667, 3.0]
    """
    require(design, SurveyDesign, "design", "a SurveyDesign (si.make_design(...))", WeightingError)
    for name, bound in (("upper", upper), ("lower", lower)):
        if isinstance(bound, bool) or not isinstance(bound, (int, float, np.number)):
            raise WeightingError(f"{name} must be a number (a weight bound), not {bound!r}")
    if not lower < upper:
        raise WeightingError(f"trim needs lower < upper, got lower={lower}, upper={upper}")
    groups, names = _group_codes(design.data, by, "trim")
    _warn_impossible(design.weights, groups, names, lower, upper, by)
    new = _trim(design.weights[:, None], groups, lower, upper, strict)[:, 0]
    rep = design.replicate_weights
    if rep is not None:
        rep = _trim(np.asarray(rep), groups, lower, upper, strict)
    step = {"step": "trim", "lower": lower, "upper": upper, "strict": strict, "by": by,
            "trimmed": int(((design.weights < lower) | (design.weights > upper)).sum())}
    return design.with_weights(new, rep, step)


def _warn_impossible(w, groups, names, lower, upper, by) -> None:
    """Bounds that cannot hold with the total kept (an upper bound below a group's mean weight,
    a lower one above it) are a mistake to say, not to carry out quietly: the weights would come
    out near equal, or outside the bounds. The trimming itself is R's, unchanged."""
    mean = np.bincount(groups, weights=w) / np.maximum(np.bincount(groups), 1)
    for g in np.flatnonzero((mean > upper) | (mean < lower)):
        where = f" in {by} {names[g]}" if by else ""
        side, bound, rel = (("upper", upper, "below") if mean[g] > upper else
                            ("lower", lower, "above"))
        warnings.warn(f"trim: the {side} bound {bound:g} is {rel} the mean weight "
                      f"{mean[g]:.3g}{where}, so the weights cannot all lie within the bounds and "
                      "keep their total; bounds are weights, not ratios to the mean (R "
                      "trimWeights): e.g. upper=5 for weights that average 1", stacklevel=3)
        return


def _trim(W, groups, lower, upper, strict) -> np.ndarray:
    W = W.copy()
    G = int(groups.max()) + 1
    for _ in range(1000 if strict else 1):
        outside = (W < lower) | (W > upper)
        if not outside.any():
            break
        clipped = np.clip(W, lower, upper)
        cut = W - clipped
        inside = ~outside
        share = np.zeros((G, W.shape[1]))
        count = np.zeros((G, W.shape[1]))
        np.add.at(share, groups, cut)
        np.add.at(count, groups, inside)
        if (count[share != 0] == 0).any():
            raise WeightingError("every weight of a group lies outside the trimming bounds; "
                                 "widen them")
        with np.errstate(invalid="ignore", divide="ignore"):
            add = np.nan_to_num(share / count)
        W = np.where(inside, W + add[groups], clipped)
    return W
