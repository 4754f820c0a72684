"""Sample bases: how many respondents stand behind each cell, and the small-base rule.

A cell is one country x target x audience. Its base is the smallest over the dimensions (a
respondent with too few valid items has no dimension score), both unweighted (``n``) and effective
(``n_eff``, Kish: what the weighted sample is worth as a simple random sample). A rule flags small
bases and may suppress their estimates, as published survey tables do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ReportError

_CELL = ["country", "target", "audience"]
#: Estimate columns blanked in a suppressed cell, per table.
_ESTIMATES = ["score", "se", "ci_low", "ci_high", "mean", "mean_se", "mean_ci_low",
              "mean_ci_high", "pct_favourable", "pct_se", "pct_ci_low", "pct_ci_high",
              "estimate", "rank", "rank_low", "rank_high", "difference", "p_value", "p_holm",
              "significant"]


@dataclass(frozen=True)
class BaseRule:
    """When a base is small enough to flag, and when to suppress its estimates.

    Parameters
    ----------
    flag_below : float
        Bases below this are flagged (shown, highlighted, "small base" in the Bases sheet).
    suppress_below : float or None
        Bases below this have their estimates blanked in every table; None suppresses nothing.
    base : {"n_eff", "n"}
        Which base the thresholds apply to: effective (default) or unweighted respondents.

    Examples
    --------
    >>> BaseRule(flag_below=100, suppress_below=50).describe()
    'effective n below 100 flagged; below 50 suppressed'
    """

    flag_below: float = 100
    suppress_below: float | None = None
    base: str = "n_eff"

    def __post_init__(self) -> None:
        if self.base not in ("n", "n_eff"):
            raise ReportError(f"BaseRule.base: expected 'n' or 'n_eff', got {self.base!r}")
        if self.suppress_below is not None and self.suppress_below > self.flag_below:
            raise ReportError(f"BaseRule: suppress_below ({self.suppress_below}) must not exceed "
                              f"flag_below ({self.flag_below})")

    def describe(self) -> str:
        """The rule in words, for the methodology sheet."""
        name = "effective n" if self.base == "n_eff" else "unweighted n"
        text = f"{name} below {self.flag_below:g} flagged"
        if self.suppress_below is not None:
            text += f"; below {self.suppress_below:g} suppressed"
        return text


def sample_bases(dimensions: pd.DataFrame, rule: BaseRule = BaseRule()) -> pd.DataFrame:
    """Unweighted and effective base per country x target x audience, with the rule's verdict.

    Parameters
    ----------
    dimensions : DataFrame
        The index's dimension table (country, target, audience, dimension, n, n_eff).
    rule : BaseRule
        The small-base rule.

    Returns
    -------
    DataFrame
        country, target, audience, n, n_eff (each the minimum over dimensions), ``small``
        (below ``rule.flag_below``), ``suppressed`` (below ``rule.suppress_below``), ``note``.

    Examples
    --------
    >>> dims = pd.DataFrame({"country": ["BRA"] * 2 + ["DEU"] * 2, "target": "USA",
    ...     "audience": "all", "dimension": ["a", "b"] * 2, "n": [120, 118, 60, 61],
    ...     "n_eff": [80.5, 79.0, 41.0, 40.2]})
    >>> sample_bases(dims, BaseRule(flag_below=100, suppress_below=50))[["country", "n", "n_eff", "note"]]
      country    n  n_eff                       note
    0     BRA  118   79.0             small base (79)
    1     DEU   60   40.2  suppressed: base 40 below 50
    """
    if dimensions.empty:
        return pd.DataFrame(columns=[*_CELL, "n", "n_eff", "small", "suppressed", "note"])
    missing = {*_CELL, "n", "n_eff"} - set(dimensions.columns)
    if missing:
        raise ReportError(f"sample_bases: the dimensions table lacks columns {sorted(missing)}")
    out = dimensions.groupby(_CELL, sort=False, as_index=False)[["n", "n_eff"]].min()
    base = out[rule.base].to_numpy(float)
    out["small"] = base < rule.flag_below
    out["suppressed"] = (base < rule.suppress_below) if rule.suppress_below is not None else False
    # pandas string concatenation: numpy < 2 has no ufunc for adding str arrays
    shown = pd.Series(np.round(base).astype(int), index=out.index).astype(str)
    out["note"] = np.where(out["suppressed"],
                           "suppressed: base " + shown + f" below {rule.suppress_below or 0:g}",
                           np.where(out["small"], "small base (" + shown + ")", ""))
    return out


def suppress(table: pd.DataFrame, bases: pd.DataFrame) -> pd.DataFrame:
    """Blank the estimates of the cells ``bases`` marks suppressed; other rows unchanged.

    Rows are matched on the cell columns ``table`` has: country, target, audience (a comparison
    row has no target, and is suppressed when either target's cell is).

    >>> bases = pd.DataFrame({"country": ["BRA", "DEU"], "target": "USA", "audience": "all",
    ...                       "suppressed": [False, True]})
    >>> t = pd.DataFrame({"country": ["BRA", "DEU"], "target": "USA", "audience": "all",
    ...                   "score": [50.0, 40.0], "n": [118, 60]})
    >>> suppress(t, bases)
      country target audience  score    n
    0     BRA    USA      all   50.0  118
    1     DEU    USA      all    NaN   60
    """
    if table.empty or bases.empty or not bases["suppressed"].any():
        return table
    keys = [k for k in _CELL if k in table.columns]
    hit = bases.loc[bases["suppressed"].astype(bool), keys].drop_duplicates()
    marked = table[keys].merge(hit.assign(_hit=True), on=keys, how="left")["_hit"]
    mask = marked.fillna(False).astype(bool).to_numpy()
    out = table.copy()
    # A comparison's scores are named by its targets (score_USA, score_CHN).
    named = [f"score_{t}" for k in ("target_a", "target_b") if k in out.columns
             for t in out[k].dropna().astype(str).unique()]
    for c in (c for c in dict.fromkeys([*_ESTIMATES, *named]) if c in out.columns):
        # A blank needs a dtype that holds one: flags become objects, counts floats.
        if out[c].dtype == bool:
            out[c] = out[c].astype(object)
        elif pd.api.types.is_integer_dtype(out[c]):
            out[c] = out[c].astype(float)
        out.loc[mask, c] = np.nan
    return out
