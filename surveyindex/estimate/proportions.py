"""Proportions by domain with R ``svyciprop``'s logit interval."""

from __future__ import annotations

import numpy as np

from ..errors import EstimationError
from .means import estimate_means
from .result import DomainEstimates


def estimate_proportions(design, values, by=None, where=None, method: str = "auto", *,
                         level: float = 0.95, df="design", deff: str = "auto"
                         ) -> DomainEstimates:
    """Weighted proportions per domain, with the logit confidence interval of R ``svyciprop``.

    Parameters
    ----------
    values : 0/1 or boolean indicators (names, DataFrame columns or an array; NaN is missing),
        or a categorical column, expanded to one indicator per category (``"var=category"``).
    level, df : the interval's level and degrees of freedom; ``df="design"`` (the default) is
        R's ``degf``: PSUs minus strata, as ``svyciprop`` uses.

    The standard error is that of the mean of the indicator; ``table()`` gives the interval
    ``expit(logit(p) +- t(df) SE / (p (1 - p)))``, as ``svyciprop(method="logit")``. This is
    :func:`estimate_means` with ``interval="logit"``.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"fav": ["yes", "no", "yes", "yes"]})
    >>> p = estimate_proportions(si.make_design(df), "fav")
    >>> p.variables, p.estimate.round(2).tolist()
    (['fav=no', 'fav=yes'], [[0.25, 0.75]])
    """
    return estimate_means(design, values, by=by, where=where, method=method, level=level,
                          df=df, interval="logit", deff=deff)


def check_proportions(est: DomainEstimates) -> None:
    """An error naming the first variable whose mean is outside [0, 1] (not an indicator)."""
    bad = (est.estimate < 0) | (est.estimate > 1)
    if bad.any():
        j = int(np.nonzero(bad)[1][0])
        raise EstimationError(f"variable {est.variables[j]!r} is not a 0/1 indicator "
                              f"(its mean is {est.estimate[np.nonzero(bad)][0]:.4g})")
