"""Linear (GREG) calibration to population totals (R ``calibrate(calfun="linear")``)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import WeightingError
from .design import SurveyDesign
from .linearization import GregAdjustment
from .rake import _category_key, _group_codes, _where, category_keys


def calibrate(design: SurveyDesign, population: Mapping, by: str | None = None) -> SurveyDesign:
    """Calibrate the weights so weighted totals equal population totals: ``w_i g_i`` with
    ``g_i = 1 + x_i' lambda`` (the linear distance; Deville and Särndal 1992).

    Parameters
    ----------
    population : ``{variable: total}`` for a numeric variable, ``{variable: {category: count}}``
        for a categorical one (every category, with its population count); the population size
        is the sum of a categorical margin's counts, or give it as ``{"(Intercept)": N}``. With
        ``by``, a dict ``{group: {...}}`` of such dicts, one per group.
    by : calibrate each group (country) separately.

    The model matrix is R's ``model.matrix``: an intercept, the dummies of each categorical
    variable but its first category, and the numeric variables. Replicate weights are calibrated
    to the same totals (stored densely). Taylor standard errors use the residuals of the
    calibration regression, as R does.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    >>> d = si.make_design(df, strata=None)
    >>> c = calibrate(d, {"(Intercept)": 8, "x": 24})
    >>> round(float(c.weights.sum()), 9), round(float((c.weights * df.x).sum()), 9)
    (8.0, 24.0)
    """
    data = design.data
    groups, group_names = _group_codes(data, by)
    specs = population if by else {"all": population}
    if by:
        missing = [g for g in group_names if g not in {str(k) for k in specs}]
        if missing:
            raise WeightingError(f"no calibration totals given for {by} {missing}")
        specs = {str(k): v for k, v in specs.items()}
    X = None
    totals = []
    for gi, g in enumerate(group_names):
        Xg, tg, names = _model(data, specs[g], by, g)
        if X is None:
            X, cols = np.zeros((design.n, len(names))), names
        elif names != cols:
            raise WeightingError(f"{_where(by, g)}calibration variables {names} differ from "
                                 f"those of the first group {cols}")
        sel = groups == gi
        X[sel] = Xg[sel]
        totals.append(tg)
    T = np.array(totals)                                   # (G, p)
    g_full = _gfactors(X, design.weights[:, None], groups, T, group_names, by)[:, 0]
    rep = design.replicate_weights
    if rep is not None:
        rep = np.asarray(rep)
        rep = rep * _gfactors(X, rep, groups, T, group_names, by)
    adj = GregAdjustment(groups if by else None, X, design.weights, g_full)
    step = {"step": "calibrate", "by": by, "calfun": "linear", "variables": cols}
    return design.with_weights(design.weights * g_full, rep, step, calibration=adj)


def _model(data, spec, by, g):
    cols, columns, totals = [], [], []
    intercept = spec.get("(Intercept)")
    n = len(data)
    for var, value in spec.items():
        if var == "(Intercept)":
            continue
        if var not in data.columns:
            raise WeightingError(f"{_where(by, g)}calibration variable {var!r} is not a column "
                                 f"of the data; columns: {list(data.columns)}")
        if isinstance(value, Mapping):
            cats = [_category_key(c) for c in value]
            keys = category_keys(data[var])
            stray = sorted(set(keys) - set(cats))
            if stray:
                raise WeightingError(f"{_where(by, g)}{var} has categories {stray} in the data "
                                     f"but not in the population totals {cats}")
            counts = [float(v) for v in value.values()]
            if intercept is None:
                intercept = sum(counts)
            for c, t in list(zip(cats, counts))[1:]:
                columns.append((keys == c).to_numpy(float))
                cols.append(f"{var}{c}")
                totals.append(t)
        else:
            x = pd.to_numeric(data[var], errors="coerce").to_numpy(float)
            if np.isnan(x).any():
                i = int(np.flatnonzero(np.isnan(x))[0])
                who = (f"respondent {data['resp_id'].iloc[i]}" if "resp_id" in data.columns
                       else f"respondent number {i + 1}")
                raise WeightingError(f"{_where(by, g)}calibration variable {var!r} has missing "
                                     f"values ({who})")
            columns.append(x)
            cols.append(var)
            totals.append(float(value))
    if intercept is None:
        raise WeightingError(f"{_where(by, g)}give the population size as "
                             "{'(Intercept)': N} or a categorical margin")
    X = np.column_stack([np.ones(n), *columns])
    return X, np.array([float(intercept), *totals]), ["(Intercept)", *cols]


def _gfactors(X, W, groups, T, group_names, by) -> np.ndarray:
    """g = 1 + X lambda per column of W, solving X' W X lambda = T - X' W 1 within each group."""
    G = np.ones_like(W)
    for gi, g in enumerate(group_names):
        sel = np.flatnonzero(groups == gi)
        Xg, Wg = X[sel], W[sel]
        M = np.einsum("ip,ic,iq->cpq", Xg, Wg, Xg)
        gap = T[gi][None, :] - Wg.T @ Xg
        try:
            lam = np.linalg.solve(M, gap[..., None])[..., 0]
        except np.linalg.LinAlgError:
            raise WeightingError(f"{_where(by, g)}the calibration variables are collinear or a "
                                 "category has no respondents; drop or merge it") from None
        G[sel] = 1 + Xg @ lam.T
    return G
