"""Replicate weights: the Rao-Wu rescaled bootstrap."""

from __future__ import annotations

import numpy as np

from ..errors import WeightingError
from .design import SurveyDesign


def bootstrap_replicates(design: SurveyDesign, n: int = 200, seed: int | None = None
                         ) -> SurveyDesign:
    """Add ``n`` Rao-Wu rescaled bootstrap replicate weights (Rao, Wu and Yue 1992).

    Within each stratum of ``n_h`` PSUs, ``n_h - 1`` PSUs are drawn with replacement; a PSU drawn
    ``m`` times gets its weights multiplied by ``m * n_h / (n_h - 1)``. Without PSUs each respondent
    is a PSU. The variance of an estimate is ``sum((theta_r - mean(theta_r))**2) / (n - 1)``, as for
    R ``survey``'s ``as.svrepdesign(type="bootstrap")``. Weighting applied after this step (raking)
    is applied to every replicate too. The same seed always gives the same replicates.

    >>> import pandas as pd, surveyindex as si
    >>> d = si.make_design(pd.DataFrame({"country": ["A"] * 3 + ["B"] * 2}))
    >>> b = d.with_replicates("bootstrap", n=4, seed=1)
    >>> b.replicate_weights.shape
    (5, 4)
    >>> (b.replicate_weights[:3].sum(axis=0) == 3).all()  # stratum totals are kept
    np.True_
    """
    if n < 2:
        raise WeightingError(f"bootstrap needs at least 2 replicates, got n={n}")
    if seed is None:
        raise WeightingError("bootstrap replicates need an explicit seed (e.g. seed=1) so that "
                             "results can be reproduced")
    rng = np.random.default_rng(seed)
    strata = design.strata if design.strata is not None else np.zeros(design.n, dtype=np.int64)
    psu = design.psu if design.psu is not None else np.arange(design.n)
    factors = np.empty((design.n, n))
    order = np.argsort(strata, kind="stable")
    bounds = np.flatnonzero(np.diff(strata[order])) + 1
    for members in np.split(order, bounds):   # one pass per stratum, vectorised within it
        psu_codes, psu_of = np.unique(psu[members], return_inverse=True)
        n_h = len(psu_codes)
        if n_h < 2:
            raise WeightingError(
                f"stratum {int(strata[members[0]])} has only one PSU: the bootstrap cannot "
                "estimate its variance; merge it with another stratum"
            )
        draws = rng.multinomial(n_h - 1, np.full(n_h, 1.0 / n_h), size=n).T
        factors[members] = draws[psu_of] * (n_h / (n_h - 1))
    rep = design.weights[:, None] * factors
    d = design.with_weights(design.weights, rep, {"step": "replicates", "type": "bootstrap",
                                                  "replicates": n, "seed": seed})
    return d.__class__(**{**d.__dict__, "replicate_type": "bootstrap",
                          "replicate_scale": 1.0 / (n - 1)})
