"""Alpha of many scales at once: the reliability table of a questionnaire and of the report.

Both :func:`scale_alphas` (scales of any data set) and :func:`reliability` (every dimension of
an instrument in every group) centre the items once and take each scale's covariance matrix
from the same pass (:mod:`surveyindex.reliability.moments`); alpha, the Feldt interval, the
item statistics and omega are all read from that matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import EstimationError, require
from ..io import Responses
from .alpha import (
    ALPHA_ACCEPTABLE,
    ALPHA_REDUNDANT,
    _check_level,
    _feldt,
    _items,
    _respondent_weights,
    alpha_statistics,
    item_table,
)
from .moments import items_by_row, scale_moments

if TYPE_CHECKING:
    from ..design import SurveyDesign

_MISSING = ("pairwise", "listwise")
_STATS = ["n_items", "n", "n_eff", "alpha", "alpha_std", "ci_low", "ci_high", "average_r"]


@dataclass(frozen=True)
class ScaleAlphas:
    """Alpha of several scales and the statistics of their items (:func:`scale_alphas`).

    Attributes
    ----------
    scales : DataFrame, one row per scale: ``scale``, ``n_items``, ``n``, ``n_eff``, ``alpha``,
        ``alpha_std``, ``ci_low``, ``ci_high``, ``average_r``, ``flag`` (as :func:`reliability`).
    items : DataFrame, one row per scale x item: ``scale`` and the columns of
        :func:`~surveyindex.reliability.item_statistics`; a scale that is not estimable has no
        rows here.
    """

    scales: pd.DataFrame
    items: pd.DataFrame


def scale_alphas(data, scales: dict, missing: str = "pairwise", weights=None,
                 level: float = 0.95) -> ScaleAlphas:
    """Cronbach's alpha and item statistics of several scales, from one pass over the data.

    Parameters
    ----------
    data : DataFrame or 2-D array, shape (n_respondents, n_items)
        Item scores, reverse-keyed items already recoded; NaN marks a missing answer.
    scales : dict
        Scale name -> its items (column names of ``data``, or column positions of an array).
    missing, weights, level
        As in :func:`~surveyindex.reliability.cronbach_alpha`.

    Returns
    -------
    ScaleAlphas
        ``.scales``: one row per scale, the numbers of
        :func:`~surveyindex.reliability.cronbach_alpha` with a ``flag``; ``.items``: the numbers
        of :func:`~surveyindex.reliability.item_statistics`, one row per scale x item.

    Notes
    -----
    Each scale gives exactly what ``cronbach_alpha(data[items])`` and
    ``item_statistics(data[items])`` give (to rounding): the covariances of a pair of items
    only involve the respondents answering both. A scale that cannot be estimated (a constant
    item, a pair never answered together) is flagged ``"not estimable: <reason>"`` instead of
    stopping the others.

    Examples
    --------
    >>> import pandas as pd
    >>> from surveyindex.reliability import scale_alphas
    >>> items = pd.DataFrame({"q1": [4, 5, 3, 2, 4, 5, 3, 4], "q2": [4, 4, 3, 2, 5, 5, 2, 4],
    ...                       "q3": [3, 5, 4, 1, 4, 4, 3, 5], "q4": [2, 1, 3, 4, 2, 1, 3, 2],
    ...                       "q5": [1, 2, 3, 5, 2, 1, 4, 2]})
    >>> res = scale_alphas(items, {"trust": ["q1", "q2", "q3"], "fear": ["q4", "q5"]})
    >>> res.scales[["scale", "n_items", "alpha"]].round(4)  # In R: psych::alpha(items[4:5])
       scale  n_items   alpha
    0  trust        3  0.8906
    1   fear        2  0.9114
    >>> res.items[["scale", "item", "r_drop"]].round(3).head(3)
       scale item  r_drop
    0  trust   q1   0.889
    1  trust   q2   0.772
    2  trust   q3   0.726
    """
    _check_level(level)
    if not isinstance(scales, dict) or not scales:
        raise EstimationError("scales must be a non-empty dict: scale name -> list of items")
    if isinstance(data, pd.DataFrame):
        used = list(dict.fromkeys(i for items in scales.values() for i in items))
        unknown = [i for i in used if i not in data.columns]
        if unknown:
            raise EstimationError(f"scales name items that are not columns of data: {unknown}")
        xt, w, names = _items(data[used], missing, weights)
    else:
        xt, w, names = _items(data, missing, weights)
    pos = {name: j for j, name in enumerate(names)}
    try:
        groups = [(s, [pos[i] for i in items]) for s, items in scales.items()]
    except KeyError as exc:
        raise EstimationError(f"scales name item {exc.args[0]!r}, which is not in data") from None
    rows, items = scale_rows(xt, groups, w, missing, names, want_items=True)
    table = pd.DataFrame([{"scale": s, **r} for (s, _), r in zip(groups, rows, strict=True)],
                         columns=["scale", *_STATS, "flag"])
    feldt_interval(table, level)
    item_rows = [t.assign(scale=s) for (s, _), t in zip(groups, items, strict=True)
                 if t is not None]
    item_cols = ["scale", "item", "n", "mean", "sd", "r_drop", "r_cor", "alpha_if_dropped",
                 "alpha_std_if_dropped"]
    items_df = (pd.concat(item_rows, ignore_index=True)[item_cols] if item_rows
                else pd.DataFrame(columns=item_cols))
    return ScaleAlphas(scales=table, items=items_df)


def reliability(responses: Responses, by=("country", "target"), missing: str = "pairwise",
                weights: str | np.ndarray | SurveyDesign | None = None,
                level: float = 0.95, omega: bool = False) -> pd.DataFrame:
    """Cronbach's alpha of every dimension in every group: the reliability table of the report.

    Parameters
    ----------
    responses : Responses
        Validated responses (:func:`surveyindex.read_responses`); reverse-keyed items are already
        recoded there.
    by : sequence of str
        Respondent columns (e.g. ``"country"``, ``"gender"``) and/or ``"target"`` (the rated
        country). Without ``"target"``, each respondent's ratings of the different targets are
        stacked as separate rows, giving one alpha over all targets. ``()`` for one group.
    missing : {"pairwise", "listwise"}
        As in :func:`~surveyindex.reliability.cronbach_alpha`.
    weights : None, str, array-like or SurveyDesign
        None for unweighted alpha (as psych reports it), the name of a respondent column, one
        weight per respondent, or a design whose ``.weights`` to use (e.g. after raking).
    level : float
        Confidence level of the Feldt interval.
    omega : bool
        Also report McDonald's omega total (:func:`~surveyindex.reliability.omega`, fitted to the
        same covariance matrix as alpha) in an ``omega`` column after ``average_r``; NaN where
        the one-factor model cannot be fitted.

    Returns
    -------
    DataFrame
        One row per group x dimension: the ``by`` columns, ``dimension``, ``n_items``, ``n``,
        ``n_eff``, ``alpha``, ``alpha_std``, ``ci_low``, ``ci_high``, ``average_r``, [``omega``],
        ``flag``.
        ``flag`` is ``"alpha below .70"``, ``"alpha above .95: items may be redundant"``,
        ``"not estimable: <reason>"`` (alpha and the rest NaN) or ``""``.

    Notes
    -----
    Each row is :func:`~surveyindex.reliability.cronbach_alpha` of the dimension's items among
    the group's respondents; see there for the formulas. The thresholds are the conventional
    ones: alpha >= .70 acceptable, > .95 suggests redundant items (``ALPHA_ACCEPTABLE``,
    ``ALPHA_REDUNDANT``). A group where alpha cannot be computed (too few respondents, a
    constant item, a one-item dimension) gets a flag rather than stopping the table. All the
    dimensions of a group come from one pass over its answers.

    Examples
    --------
    >>> import surveyindex as si
    >>> from surveyindex.reliability import reliability_table
    >>> inst = si.load_instrument("softpower")
    >>> r = si.read_responses(si.sample_paths()["responses"], inst)
    >>> tab = reliability_table(r)
    >>> tab.shape
    (130, 12)
    >>> list(tab.columns[:4])
    ['country', 'target', 'dimension', 'n_items']
    >>> bool(tab["alpha"].between(0, 1).all())
    True
    """
    require(responses, Responses, "responses", "Responses (si.read_responses(...)); for a design pass "
            "design.responses", EstimationError)
    if missing not in _MISSING:
        raise EstimationError(f"missing must be one of {_MISSING}; got {missing!r}")
    _check_level(level)
    by = [by] if isinstance(by, str) else list(by or ())
    inst, resp = responses.instrument, responses.respondents
    unknown = [b for b in by if b != "target" and b not in resp.columns]
    if unknown:
        raise EstimationError(
            f"by names {unknown}, which are not respondent columns; use 'target' or one of "
            f"{list(resp.columns)}"
        )
    w = None if weights is None else _respondent_weights(weights, resp)
    resp_by = [b for b in by if b != "target"]
    groups = resp.groupby(resp_by, sort=True).indices if resp_by else {(): np.arange(len(resp))}
    targets = list(enumerate(inst.target_codes)) if "target" in by else [(None, None)]
    names = [it.id for _, it in inst.items()]
    item_pos = {name: j for j, name in enumerate(names)}
    dims = [(d.id, [item_pos[it.id] for it in d.items]) for d in inst.dimensions]
    values = responses.values
    rows = []
    for key, idx in groups.items():
        key = key if isinstance(key, tuple) else (key,)
        labels = dict(zip(resp_by, key, strict=True))
        for t, code in targets:
            if t is None:  # stack the targets: one row per respondent x target
                xt = items_by_row(values[idx].reshape(-1, values.shape[2]))
                wt = None if w is None else np.repeat(w[idx], values.shape[1])
            else:
                xt = np.ascontiguousarray(values[:, t, :].T[:, idx])
                wt = None if w is None else w[idx]
            if t is not None:
                labels["target"] = code
            stats, _ = scale_rows(xt, dims, wt, missing, names, omega=omega)
            rows += [{**{b: labels[b] for b in by}, "dimension": dim, **r}
                     for (dim, _), r in zip(dims, stats, strict=True)]
    out = pd.DataFrame(rows, columns=[*by, "dimension", *_STATS,
                                      *(["omega"] if omega else []), "flag"])
    feldt_interval(out, level)
    if "target" in by and by.index("target") < len(by) - 1:
        # rows were built target-inside-groups; honour the order the caller gave in ``by``
        order = {c: i for i, c in enumerate(inst.target_codes)}
        out = out.sort_values([*by], key=lambda s: s.map(order) if s.name == "target" else s,
                              kind="stable").reset_index(drop=True)
    return out


def scale_rows(xt: np.ndarray, scales, w, missing: str, names, omega: bool = False,
               want_items: bool = False):
    """One row of statistics per scale (Feldt interval left to :func:`feldt_interval`), and
    each scale's item table when ``want_items`` (None where the scale is not estimable)."""
    moments = scale_moments(xt, [cols for _, cols in scales], w, missing, names)
    rows, items = [], []
    for (_, cols), m in zip(scales, moments, strict=True):
        item_names = [names[j] for j in cols]
        try:
            if isinstance(m, EstimationError):
                raise m
            stats = alpha_statistics(m)
        except EstimationError as exc:
            answered = int((~np.isnan(xt[cols])).any(axis=0).sum())
            rows.append({"n_items": len(cols), "n": answered, "n_eff": np.nan, "alpha": np.nan,
                         "alpha_std": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "average_r": np.nan, "omega": np.nan, "flag": f"not estimable: {exc}"})
            items.append(None)
            continue
        extra = {"omega": _omega_or_nan(m, item_names)} if omega else {}
        rows.append({"n_items": len(cols), "n": m.n, "n_eff": m.n_eff, **stats,
                     "ci_low": np.nan, "ci_high": np.nan, **extra, "flag": _flag(stats["alpha"])})
        items.append(item_table(m, item_names) if want_items else None)
    return rows, items


def feldt_interval(table: pd.DataFrame, level: float) -> None:
    """Fill ``ci_low`` / ``ci_high`` of the estimable rows, in place, in one vectorised call."""
    ok = table["alpha"].notna().to_numpy()
    if ok.any():
        lo, hi = _feldt(table["alpha"].to_numpy(float)[ok], table["n_eff"].to_numpy(float)[ok],
                        table["n_items"].to_numpy(float)[ok], level)
        table.loc[ok, "ci_low"] = lo
        table.loc[ok, "ci_high"] = hi


def _flag(alpha: float) -> str:
    if alpha < ALPHA_ACCEPTABLE:
        return "alpha below .70"
    if alpha > ALPHA_REDUNDANT:
        return "alpha above .95: items may be redundant"
    return ""


def _omega_or_nan(m, names) -> float:
    from .omega import _omega_from_cov  # omega fits a CFA, which imports from alpha

    if m.count.shape[0] < 3:  # a one-factor model of two items is not identified
        return np.nan
    try:
        return _omega_from_cov(m.covariance() * (m.count - 1) / m.count, m.n, names, True).omega
    except EstimationError:
        return np.nan
