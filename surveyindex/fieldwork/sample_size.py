"""Sample design for a proportion: sample sizes from a margin of error, the margin of error of a
planned sample, and quota targets from population margins.

The margin of error of an estimated proportion ``p`` from ``n`` respondents, with design effect
``deff`` and, optionally, a population of ``N``, at confidence level ``1 - alpha``, is

    e = z * sqrt(deff * p * (1 - p) / n * (N - n) / (N - 1)),    z = Phi^-1(1 - alpha / 2),

and solving it for ``n`` gives the sample size

    n0 = z^2 * p * (1 - p) * deff / e^2,    n = n0 / (1 + (n0 - 1) / N)   (n = n0 without N),

rounded up (Cochran 1977, sections 4.4-4.6; Krejcie and Morgan 1970 tabulate the same formula).
``p = 0.5`` is the conservative choice: it maximises ``p * (1 - p)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..errors import SurveyIndexError


class SampleDesignError(SurveyIndexError, ValueError):
    """A sample-design request that cannot be met (bad margin, confidence, share or margins)."""


def z_value(confidence: float = 0.95) -> float:
    """The two-sided standard normal quantile for ``confidence``.

    >>> round(z_value(0.95), 6)
    1.959964
    """
    if not 0 < confidence < 1:
        raise SampleDesignError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence}")
    return float(norm.ppf(0.5 + confidence / 2))


def sample_size(moe: float, *, confidence: float = 0.95, p: float = 0.5, deff: float = 1.0,
                population: float | None = None) -> int:
    """Respondents needed for a margin of error ``moe`` on a proportion near ``p``.

    Parameters
    ----------
    moe : float
        Margin of error as a proportion (0.03 for plus or minus 3 points).
    confidence : float
        Confidence level of the interval.
    p : float
        Expected proportion; 0.5 gives the largest, safe, sample.
    deff : float
        Expected design effect (weighting and clustering); 1.5 is common for raked online panels.
    population : float, optional
        Population size, for the finite-population correction.

    Returns
    -------
    int
        The sample size, rounded up.

    Examples
    --------
    By hand: 1.959964^2 * 0.25 * 1 / 0.03^2 = 1067.07, rounded up.

    >>> sample_size(0.03)
    1068
    >>> sample_size(0.03, deff=1.5)
    1601
    """
    _check(moe=moe, p=p, deff=deff, population=population)
    n0 = z_value(confidence) ** 2 * p * (1 - p) * deff / moe**2
    n = n0 if population is None else n0 / (1 + (n0 - 1) / population)
    # 1e-9 keeps a float result such as 400.0000000001 from rounding up to 401.
    return max(1, math.ceil(n - 1e-9))


def margin_of_error(n: float, *, confidence: float = 0.95, p: float = 0.5, deff: float = 1.0,
                    population: float | None = None) -> float:
    """Margin of error of a proportion near ``p`` estimated from ``n`` respondents.

    Examples
    --------
    By hand: 1.959964 * sqrt(0.25 / 1000) = 0.030990 (Pew's "+/- 3.1 points" for n = 1,000
    before the design effect).

    >>> round(margin_of_error(1000), 6)
    0.03099
    >>> round(margin_of_error(1000, deff=1.5), 4)
    0.038
    """
    _check(p=p, deff=deff, population=population)
    if not n >= 1:
        raise SampleDesignError(f"the sample size n must be at least 1, got {n}")
    if population is not None and n > population:
        raise SampleDesignError(f"a sample of {n:g} is larger than the population {population:g}")
    fpc = 1.0 if population is None or population <= 1 else (population - n) / (population - 1)
    return z_value(confidence) * math.sqrt(deff * p * (1 - p) / n * fpc)


def sample_plan(moe: float, *, confidence: float = 0.95, p: float = 0.5, deff: float = 1.0,
                population: float | None = None, audiences: Mapping[str, float] | None = None,
                targets: int = 1, targets_per_respondent: int | None = None) -> pd.DataFrame:
    """Sample size per country for the margin of error to hold overall and in each audience.

    An audience that is a share ``s`` of the population needs ``n_audience`` respondents of its
    own, so the country sample is ``n_audience / s``. When each respondent rates only ``k`` of
    ``T`` targets, a target is rated by ``k / T`` of them on average, so every count is scaled by
    ``T / k`` for each target to get ``n_audience`` ratings.

    Returns one row per audience (``all`` first): audience, share, ratings (per target, in the
    audience), respondents (in the audience), country_n (the country sample), moe (achieved with
    that country_n).

    Examples
    --------
    Each respondent rates 5 of 20 targets, so 1,068 ratings need 1,068 * 20 / 5 = 4,272
    respondents; youth at 30% of adults need 4,272 / 0.3 = 14,240 per country.

    >>> sample_plan(0.03, audiences={"youth": 0.3}, targets=20, targets_per_respondent=5)
      audience  share  ratings  respondents  country_n   moe
    0      all    1.0     1068         4272       4272  0.03
    1    youth    0.3     1068         4272      14240  0.03
    """
    shares = {"all": 1.0, **dict(audiences or {})}
    bad = {a: s for a, s in shares.items() if not 0 < s <= 1}
    if bad:
        raise SampleDesignError(f"audience shares must be in (0, 1], got {bad}")
    k = targets_per_respondent or targets
    if not 1 <= k <= targets:
        raise SampleDesignError(f"targets_per_respondent must be 1..{targets}, got {k}")
    rows = []
    for name, share in shares.items():
        # The finite-population correction of an audience uses the audience's own population.
        pop = None if population is None else population * share
        ratings = sample_size(moe, confidence=confidence, p=p, deff=deff, population=pop)
        respondents = math.ceil(ratings * targets / k - 1e-9)
        n = math.ceil(respondents / share - 1e-9)
        achieved = margin_of_error(math.floor(n * share * k / targets + 1e-9), confidence=confidence,
                                   p=p, deff=deff, population=pop)
        rows.append({"audience": name, "share": share, "ratings": ratings,
                     "respondents": respondents, "country_n": n, "moe": round(achieved, 4)})
    return pd.DataFrame(rows)


def quota_targets(margins: pd.DataFrame, n: int | Mapping[str, int]) -> pd.DataFrame:
    """Quota targets per country from population margins (country, variable, category, proportion).

    Each country's ``n`` is split across the categories of each variable in proportion to the
    margins, rounded by largest remainder so that every variable's quotas add up to ``n``.

    Examples
    --------
    >>> m = pd.DataFrame({"country": "BRA", "variable": "gender", "category": ["1", "2"],
    ...                   "proportion": [0.487, 0.513]})
    >>> quota_targets(m, 1000)[["category", "expected", "quota"]].values.tolist()
    [['1', 487.0, 487], ['2', 513.0, 513]]
    """
    need = {"country", "variable", "category", "proportion"}
    missing = need - set(margins.columns)
    if missing:
        raise SampleDesignError(f"margins: missing column(s) {sorted(missing)}; expected "
                                "country, variable, category, proportion")
    m = margins[["country", "variable", "category", "proportion"]].copy()
    m["proportion"] = pd.to_numeric(m["proportion"], errors="coerce")
    if m["proportion"].isna().any() or (m["proportion"] < 0).any():
        row = int(np.flatnonzero(m["proportion"].isna() | (m["proportion"] < 0))[0])
        raise SampleDesignError(f"margins row {row + 1}: proportion must be a number >= 0, got "
                                f"{margins['proportion'].iloc[row]!r}")
    totals = m.groupby(["country", "variable"], sort=False)["proportion"].transform("sum")
    off = (totals - 1).abs() > 1e-6
    if off.any():
        r = m[off].iloc[0]
        raise SampleDesignError(f"margins: proportions of {r['variable']!r} in {r['country']!r} sum "
                                f"to {totals[off].iloc[0]:.6g}, expected 1")
    if isinstance(n, Mapping):
        absent = sorted(set(m["country"]) - set(n))
        if absent:
            raise SampleDesignError(f"no sample size given for countries {absent}")
        size = m["country"].map(n).astype(float)
    else:
        size = pd.Series(float(n), index=m.index)
    m["n"] = size.astype(int)
    m["expected"] = size * m["proportion"]
    floor = np.floor(m["expected"] + 1e-9)
    short = (m["n"] - floor.groupby([m["country"], m["variable"]]).transform("sum")).astype(int)
    # Largest remainder: the categories with the largest fractional parts get the leftover units.
    order = (m["expected"] - floor).groupby([m["country"], m["variable"]]).rank(
        method="first", ascending=False)
    m["quota"] = (floor + (order <= short)).astype(int)
    return m[["country", "variable", "category", "proportion", "n", "expected", "quota"]]


def _check(**kw) -> None:
    moe, p, deff, population = (kw.get(k) for k in ("moe", "p", "deff", "population"))
    if "moe" in kw and not 0 < moe < 1:
        raise SampleDesignError(f"the margin of error is a proportion such as 0.03, got {moe}")
    if not 0 < p < 1:
        raise SampleDesignError(f"the expected proportion p must be between 0 and 1, got {p}")
    if not deff > 0:
        raise SampleDesignError(f"the design effect must be positive (1 for simple random "
                                f"sampling), got {deff}")
    if population is not None and not population >= 1:
        raise SampleDesignError(f"the population size must be at least 1, got {population}")
