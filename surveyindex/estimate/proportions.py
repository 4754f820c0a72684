"""Proportions by domain with R ``svyciprop``'s logit interval."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import EstimationError
from .means import DomainEstimates, estimate_means
from .variance import degrees_of_freedom


def estimate_proportions(design, values, by=None, where=None, method: str = "auto"
                         ) -> DomainEstimates:
    """Weighted proportions per domain, with the logit confidence interval of R ``svyciprop``.

    Parameters
    ----------
    values : 0/1 or boolean indicators (DataFrame columns or an array; NaN is missing), or a
        categorical Series / object column, which is expanded to one indicator per category
        (``"var=category"``).

    The standard error is that of the mean of the indicator; ``table(level)`` gives the interval
    ``expit(logit(p) +- t(df) SE / (p (1 - p)))`` with ``df`` the design degrees of freedom
    (PSUs minus strata), as ``svyciprop(method="logit")``.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"fav": ["yes", "no", "yes", "yes"]})
    >>> p = estimate_proportions(si.make_design(df, strata=None), df["fav"])
    >>> p.variables, p.estimate.round(2).tolist()
    (['fav=no', 'fav=yes'], [[0.25, 0.75]])
    """
    frame = _indicators(values)
    est = estimate_means(design, frame, by=by, where=where, method=method)
    bad = (est.estimate < 0) | (est.estimate > 1)
    if bad.any():
        j = int(np.nonzero(bad)[1][0])
        raise EstimationError(f"variable {est.variables[j]!r} is not a 0/1 indicator "
                              f"(its mean is {est.estimate[np.nonzero(bad)][0]:.4g})")
    return DomainEstimates(est.domains, est.variables, est.estimate, est.se, est.n, est.n_eff,
                           est.replicates, est.method, deff=est.deff, kind="proportion",
                           interval="logit", df=degrees_of_freedom(design))


def _indicators(values) -> pd.DataFrame:
    if isinstance(values, pd.Series):
        values = values.to_frame()
    if not isinstance(values, pd.DataFrame):
        arr = np.asarray(values)
        arr = arr[:, None] if arr.ndim == 1 else arr
        values = pd.DataFrame(arr, columns=[f"V{j + 1}" for j in range(arr.shape[1])])
    parts = []
    for col in values.columns:
        s = values[col]
        if s.dtype == bool or pd.api.types.is_numeric_dtype(s):
            parts.append(s.astype(float).rename(str(col)))
            continue
        cats = sorted(s.dropna().unique(), key=str)
        for c in cats:
            parts.append((s == c).astype(float).where(s.notna()).rename(f"{col}={c}"))
    return pd.concat(parts, axis=1)
