"""Calibration to population totals: R ``calibrate(calfun = "linear" | "raking" | "logit", bounds=)``."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import WeightingError, require
from .calfun import CALFUNS, solve_g
from .design import SurveyDesign
from .linearization import GregAdjustment
from .rake import _category_key, _group_codes, _where, category_keys

REPLICATE_FAILURES = ("error", "warn")


def calibrate(design: SurveyDesign, formula_or_columns=None, population=None,
              by: str | None = None, *, calfun: str = "linear",
              bounds: tuple[float, float] = (-np.inf, np.inf), max_iterations: int = 50,
              epsilon: float = 1e-7, replicate_failures: str = "error") -> SurveyDesign:
    """Calibrate the weights so weighted totals equal population totals: weights ``w_i g_i``
    with ``g_i = F(x_i' lambda)`` for the chosen distance (Deville and Särndal 1992).

    Parameters
    ----------
    formula_or_columns : the auxiliaries, as an R-style formula ``"~stype + api99"`` (main
        effects only: calibrate within groups with ``by``) or a list of column names; omit it to
        take the variables from ``population``.
    population : ``{variable: total}`` for a numeric variable, ``{variable: {category: count}}``
        for a categorical one (every category, with its population count); the population size
        is the sum of a categorical margin's counts, or give it as ``{"(Intercept)": N}``. With
        auxiliaries given, R's named vector also works: ``{"(Intercept)": N, "stypeH": 755,
        "stypeM": 1018, "api99": 3914069}`` (a text column's categories are sorted and the first
        is the baseline, as R's ``model.matrix``). With ``by``, a dict ``{group: {...}}`` of
        such dicts, one per group.
    by : calibrate each group (country) separately.
    calfun : ``"linear"`` (GREG; unbounded, it is R's closed-form regression estimator),
        ``"raking"`` (exponential distance) or ``"logit"`` (needs finite bounds); see
        :mod:`surveyindex.design.calfun`.
    bounds : ``(L, U)`` limits on the adjustment factors ``g`` (with ``L < 1 < U``).
    max_iterations, epsilon : R's ``maxit`` and ``epsilon``: Newton steps, and the largest
        ``|achieved - target| / (1 + |target|)`` accepted.
    replicate_failures : a replicate that cannot meet the totals within the bounds is an error
        naming its number (``"error"``, the default), or (``"warn"``) a warning naming each
        such replicate, which keeps the factors reached, as R does without a word; the step
        record lists them either way (``failed_replicates``).

    The model matrix is R's ``model.matrix``: an intercept, the dummies of each categorical
    variable but its first category, and the numeric variables. Replicate weights are each
    calibrated to the same totals (stored densely). Taylor standard errors use the residuals
    of the weighted regression on the calibration variables, as R does for every distance.
    Analysis weights that cannot meet the totals (bounds too tight) raise a
    :class:`WeightingError` naming the group and the gap achieved.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    >>> d = si.make_design(df, strata=None)
    >>> c = calibrate(d, {"(Intercept)": 8, "x": 24})
    >>> round(float(c.weights.sum()), 9), round(float((c.weights * df.x).sum()), 9)
    (8.0, 24.0)
    >>> r = calibrate(d, ["x"], {"(Intercept)": 8, "x": 23}, calfun="raking", bounds=(0.5, 3))
    >>> round(float((r.weights * df.x).sum()), 6), bool(r.weights.max() <= 3)
    (23.0, True)
    """
    require(design, SurveyDesign, "design", "a SurveyDesign (si.make_design(...))", WeightingError)
    if population is None and isinstance(formula_or_columns, (Mapping, pd.Series)):
        formula_or_columns, population = None, formula_or_columns
    if population is None:
        raise WeightingError("calibrate needs population totals (population=)")
    columns = _columns(formula_or_columns)
    lo, hi = _check_options(calfun, bounds, replicate_failures)
    data = design.data
    groups, group_names = _group_codes(data, by, "calibrate")
    specs = _specs(population, by, group_names)
    X, T, cols = _model_matrix(data, columns, specs, groups, group_names, by)
    W = design.all_weights()
    closed_form = calfun == "linear" and np.isinf(lo) and np.isinf(hi)
    G = np.ones_like(W)
    failed = {}
    for gi, g in enumerate(group_names):
        sel = np.flatnonzero(groups == gi)
        _check_empty(X[sel], T[gi], cols, by, g)
        if closed_form:
            G[sel] = _greg_factors(X[sel], W[sel], T[gi], by, g)
            continue
        G[sel], gap, iterations, rescale = solve_g(X[sel], W[sel], T[gi], calfun, (lo, hi),
                                                   max_iterations, epsilon)
        if gap[0] >= epsilon:
            raise WeightingError(
                f"{_where(by, g)}{calfun} calibration with bounds ({lo:g}, {hi:g}) did not meet "
                f"the totals in {max_iterations} iterations: the largest gap |achieved - target| "
                f"/ (1 + |target|) is {gap[0]:.3g} (variable {cols[_worst(X[sel], W[sel], G[sel], T[gi])]!r}); "
                "widen the bounds, or check that the totals can be met")
        if rescale[0] != 1 and np.isfinite([lo, hi]).any():
            warnings.warn(f"{_where(by, g)}every population total is over {20}x its sample total: "
                          f"the weights were rescaled by {rescale[0]:.3g} before calibrating, and "
                          "the bounds apply to the rescaled weights (as R's grake)", RuntimeWarning,
                          stacklevel=2)
        bad = np.flatnonzero(gap[1:] >= epsilon)
        if bad.size:
            failed[g] = {"replicates": (bad + 1).tolist(), "gaps": gap[1 + bad].tolist()}
    if failed:
        _report_replicates(failed, by, calfun, (lo, hi), replicate_failures)
    rep = None if design.replicate_weights is None else W[:, 1:] * G[:, 1:]
    adj = GregAdjustment(groups if by else None, X, design.weights, G[:, 0])
    step = {"step": "calibrate", "by": by, "calfun": calfun, "variables": cols,
            "bounds": None if closed_form else (lo, hi), "epsilon": epsilon,
            "g_range": (float(G[:, 0].min()), float(G[:, 0].max())),
            "replicates_calibrated": design.n_replicates, "failed_replicates": failed}
    return design.with_weights(design.weights * G[:, 0], rep, step, calibration=adj)


def _columns(formula_or_columns):
    if formula_or_columns is None:
        return None
    if isinstance(formula_or_columns, str):
        f = formula_or_columns.strip()
        if not f.startswith("~"):
            return [f]
        terms = [t.strip() for t in f[1:].split("+") if t.strip()]
        odd = [t for t in terms if not re.fullmatch(r"[A-Za-z_.][\w.]*|1", t)]
        if odd:
            raise WeightingError(f"calibration formula {formula_or_columns!r}: only main effects "
                                 f"'~a + b' are supported, not {odd}; calibrate within groups "
                                 "with by=")
        return [t for t in terms if t != "1"]
    return list(formula_or_columns)


def _check_options(calfun, bounds, replicate_failures):
    if calfun not in CALFUNS:
        raise WeightingError(f"calfun must be one of {list(CALFUNS)}, not {calfun!r}")
    if replicate_failures not in REPLICATE_FAILURES:
        raise WeightingError(f"replicate_failures must be one of {list(REPLICATE_FAILURES)}, "
                             f"not {replicate_failures!r}")
    lo, hi = (float(b) for b in bounds)
    if not lo < 1 < hi:
        raise WeightingError(f"calibration bounds must satisfy lower < 1 < upper, got {bounds}")
    if calfun == "logit" and not np.isfinite([lo, hi]).all():
        raise WeightingError("logit calibration needs finite bounds, e.g. bounds=(0.5, 2)")
    return lo, hi


def _specs(population, by, group_names):
    if not isinstance(population, Mapping):
        got = "None" if population is None else f"a {type(population).__name__}"
        raise WeightingError("population must be a dict of totals ({column: total} or "
                             f"{{column: {{category: total}}}}; per group with by=), not {got}")
    if not by:
        return {"all": dict(population)}
    specs = {str(k): dict(v) for k, v in population.items()}
    missing = [g for g in group_names if g not in specs]
    if missing:
        raise WeightingError(f"no calibration totals given for {by} {missing}")
    return specs


def _model_matrix(data, columns, specs, groups, group_names, by):
    """The model matrix (n, p) with rows of each group, its totals (G, p) and column names."""
    X, cols, totals = None, None, []
    for gi, g in enumerate(group_names):
        Xg, tg, names = _model(data, columns, specs[g], by, g)
        if X is None:
            X, cols = np.zeros((len(data), len(names))), names
        elif names != cols:
            raise WeightingError(f"{_where(by, g)}calibration variables {names} differ from "
                                 f"those of the first group {cols}")
        sel = groups == gi
        X[sel] = Xg[sel]
        totals.append(tg)
    return X, np.array(totals), cols


def _model(data, columns, spec, by, g):
    where = _where(by, g)
    intercept = spec.get("(Intercept)")
    variables = columns if columns is not None else [v for v in spec if v != "(Intercept)"]
    names, columns_x, totals, used = [], [], [], {"(Intercept)"}
    for var in variables:
        if var not in data.columns:
            raise WeightingError(f"{where}calibration variable {var!r} is not a column of the "
                                 f"data; columns: {list(data.columns)}")
        value = spec.get(var)
        if isinstance(value, (Mapping, pd.Series)):
            cats, counts = [_category_key(c) for c in value], [float(v) for v in value.values()]
            if intercept is None:
                intercept = sum(counts)
            _check_categories(data, var, cats, where)
            pairs = list(zip(cats, counts))[1:]
            used.add(var)
        elif value is None and not _is_numeric(data[var]):
            cats = sorted(set(category_keys(data[var])))
            pairs = [(c, spec.get(f"{var}{c}")) for c in cats[1:]]
            missing = [f"{var}{c}" for c, t in pairs if t is None]
            if missing:
                raise WeightingError(f"{where}no population total for {missing} (categories of "
                                     f"{var}: {cats}, the first is the baseline)")
            used.update(f"{var}{c}" for c, _ in pairs)
        else:
            if value is None:
                raise WeightingError(f"{where}no population total for {var!r}")
            x = pd.to_numeric(data[var], errors="coerce").to_numpy(float)
            if np.isnan(x).any():
                i = int(np.flatnonzero(np.isnan(x))[0])
                who = (f"respondent {data['resp_id'].iloc[i]}" if "resp_id" in data.columns
                       else f"respondent number {i + 1}")
                raise WeightingError(f"{where}calibration variable {var!r} has missing values "
                                     f"({who})")
            columns_x.append(x)
            names.append(var)
            totals.append(float(value))
            used.add(var)
            continue
        keys = category_keys(data[var])
        for c, t in pairs:
            columns_x.append((keys == c).to_numpy(float))
            names.append(f"{var}{c}")
            totals.append(float(t))
    stray = [k for k in spec if k not in used]
    if stray:
        raise WeightingError(f"{where}population totals {stray} match no calibration column "
                             f"{names}")
    if intercept is None:
        raise WeightingError(f"{where}give the population size as "
                             "{'(Intercept)': N} or a categorical margin")
    X = np.column_stack([np.ones(len(data)), *columns_x])
    return X, np.array([float(intercept), *totals]), ["(Intercept)", *names]


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _check_categories(data, var, cats, where):
    stray = sorted(set(category_keys(data[var])) - set(cats))
    if stray:
        raise WeightingError(f"{where}{var} has categories {stray} in the data but not in the "
                             f"population totals {cats}")


def _check_empty(Xg, tg, cols, by, g):
    empty = (Xg == 0).all(axis=0) & (tg != 0)
    if empty.any():
        raise WeightingError(f"{_where(by, g)}calibration column {cols[int(np.argmax(empty))]!r} "
                             "has a population total but no respondents; merge or drop it")


def _greg_factors(X, W, t, by, g) -> np.ndarray:
    """g = 1 + X lambda per column of W, solving X' W X lambda = t - X' W 1 (R regcalibrate)."""
    M = np.einsum("ip,ic,iq->cpq", X, W, X)
    gap = t[None, :] - W.T @ X
    try:
        lam = np.linalg.solve(M, gap[..., None])[..., 0]
    except np.linalg.LinAlgError:
        raise WeightingError(f"{_where(by, g)}the calibration variables are collinear or a "
                             "category has no respondents; drop or merge it") from None
    return 1 + X @ lam.T


def _worst(X, W, G, t) -> int:
    return int(np.argmax(np.abs(t - (W[:, 0] * G[:, 0]) @ X) / (1 + np.abs(t))))


def _report_replicates(failed, by, calfun, bounds, how):
    where = "; ".join(f"{_where(by, g)}replicate(s) {f['replicates']} (largest gap "
                      f"{max(f['gaps']):.3g})" for g, f in failed.items())
    msg = (f"{calfun} calibration with bounds {bounds}: some replicate weight columns cannot meet "
           f"the totals: {where}")
    if how == "error":
        raise WeightingError(msg + "; widen the bounds, or pass replicate_failures='warn' to "
                             "keep the factors they reached (as R does)")
    warnings.warn(msg + "; they keep the factors reached (replicate_failures='warn')",
                  RuntimeWarning, stacklevel=3)
