"""Weighting diagnostics: Kish design effect, effective sample size, weight range."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import WeightingError, require
from .design import SurveyDesign


def weight_diagnostics(design: SurveyDesign, by: str | None = "country") -> pd.DataFrame:
    """One row per group: n, sum of weights, Kish deff, effective n, efficiency, weight range.

    Kish's design effect due to unequal weighting is ``n * sum(w**2) / sum(w)**2`` (equal to
    ``1 + cv(w)**2``); the effective sample size is ``n / deff``. Weights are shown relative to
    the group's mean weight, so the range reads the same whatever the weights sum to.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> d = si.make_design(pd.DataFrame({"country": ["A"] * 4}), weights=np.array([1., 1, 2, 4]))
    >>> weight_diagnostics(d).loc[0, ["deff_kish", "n_eff"]].tolist()
    [1.375, 2.909090909090909]
    """
    require(design, SurveyDesign, "design", "a SurveyDesign (si.make_design(...))", WeightingError)
    w = design.weights
    if by is None:
        groups, names = np.zeros(design.n, dtype=np.int64), np.array(["all"])
    else:
        groups, names = pd.factorize(design.data[by].astype(str), sort=True)
    k = len(names)
    n = np.bincount(groups, minlength=k)
    s1 = np.bincount(groups, weights=w, minlength=k)
    s2 = np.bincount(groups, weights=w * w, minlength=k)
    deff = n * s2 / s1**2
    mean = s1 / n
    wmin = np.full(k, np.inf)
    wmax = np.zeros(k)
    np.minimum.at(wmin, groups, w)
    np.maximum.at(wmax, groups, w)
    return pd.DataFrame({
        by or "group": names, "n": n, "sum_weights": s1, "deff_kish": deff, "n_eff": n / deff,
        "efficiency_pct": 100 / deff, "weight_min": wmin / mean, "weight_max": wmax / mean,
        "weight_ratio": wmax / wmin,
    })
