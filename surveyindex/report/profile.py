"""Dimension profile of each target: its score on every dimension, across the surveyed countries.

The cross-country figure counts each country equally (as the British Council's pooled G20 figures
do), so a large sample does not outweigh a small one. Each country is an independent sample, so
the variance of the mean of ``C`` country scores is the sum of their variances over ``C**2``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..errors import ReportError


def dimension_profile(dimensions: pd.DataFrame, audience: str = "all",
                      level: float = 0.95) -> pd.DataFrame:
    """Mean of the country scores per target and dimension, with its SE and interval.

    Parameters
    ----------
    dimensions : DataFrame
        The index's dimension table (country, target, audience, dimension, score, se).
    audience : str
        The audience whose rows are averaged.
    level : float
        Confidence level of the normal interval.

    Returns
    -------
    DataFrame
        target, dimension, score (mean over countries with a score), se
        (``sqrt(sum se_c**2) / C``), ci_low, ci_high, n_countries; targets and dimensions in
        the order they first appear.

    Examples
    --------
    Two countries with scores 40 and 60 and SEs 3 and 4: mean 50, SE sqrt(9 + 16) / 2 = 2.5.

    >>> dims = pd.DataFrame({"country": ["BRA", "DEU"], "target": "USA", "audience": "all",
    ...     "dimension": "culture", "score": [40.0, 60.0], "se": [3.0, 4.0]})
    >>> dimension_profile(dims)[["target", "dimension", "score", "se", "n_countries"]]
      target dimension  score   se  n_countries
    0    USA   culture   50.0  2.5            2
    """
    need = {"country", "target", "audience", "dimension", "score", "se"}
    if dimensions.empty:
        return pd.DataFrame(columns=["target", "dimension", "score", "se", "ci_low", "ci_high",
                                     "n_countries"])
    if need - set(dimensions.columns):
        raise ReportError(f"dimension_profile: the dimensions table lacks columns "
                          f"{sorted(need - set(dimensions.columns))}")
    rows = dimensions[(dimensions["audience"].astype(str) == audience)
                      & dimensions["score"].notna()]
    z = norm.ppf(0.5 + level / 2)
    g = rows.assign(var=rows["se"].astype(float) ** 2).groupby(["target", "dimension"], sort=False)
    out = g.agg(score=("score", "mean"), var=("var", "sum"), n_countries=("country", "nunique"))
    out["se"] = np.sqrt(out.pop("var")) / out["n_countries"]
    out["ci_low"], out["ci_high"] = out["score"] - z * out["se"], out["score"] + z * out["se"]
    return out.reset_index()[["target", "dimension", "score", "se", "ci_low", "ci_high",
                              "n_countries"]]
