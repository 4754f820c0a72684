"""Raking (iterative proportional fitting) to population margins, per group, with replicates.

Respondents are collapsed to the cells of group x margin categories; the cell table is raked (one
column per weight: the analysis weights and every replicate at once) and each respondent's weight is
multiplied by its cell's factor. This is the same fixed point as raking respondent by respondent, at a
fraction of the cost.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import sparse

from ..errors import WeightingError
from .design import SurveyDesign
from .linearization import RakeAdjustment
from .repweights import FactorReplicates, column_chunk, replicate_block

_VALUE_COLUMNS = ("proportion", "count", "Freq", "total")


def rake(design: SurveyDesign, margins, by: str | None = "country", *, tolerance: float = 1e-8,
         max_iterations: int = 100, bounds: tuple[float, float] | None = None) -> SurveyDesign:
    """Rake the design's weights (and replicate weights) to population margins within ``by``.

    Parameters
    ----------
    margins : a tidy DataFrame with columns ``[by,] variable, category`` and ``proportion`` or
        ``count``; or a dict ``{variable: {category: value}}`` used in every group; or a dict
        ``{group: {variable: {category: value}}}``. Proportions are scaled to each group's current
        weighted total (per replicate too); counts are population totals, as R ``rake()`` takes.
    by : the grouping column (each country raked separately), or None for one group.
    tolerance : stop when every margin is met to within this share of the group's total.
    max_iterations : full sweeps over the margins before giving up with a :class:`WeightingError`.
    bounds : ``(lower, upper)`` limits on the raking factor (raked weight over starting weight),
        e.g. ``(0.3, 3)``: after every sweep the factors are capped to them and raking goes on,
        so the result meets the margins with capped weights, or fails to converge if the caps
        make the margins unreachable. The step record keeps iterations and final deviation.

    Raking starts from the current weights (design weights, not 1), as R ``survey::rake`` does.

    >>> import pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"sex": ["m", "m", "f", "f"], "age": ["y", "o", "y", "o"]})
    >>> d = si.make_design(df, strata=None)
    >>> r = d.rake({"sex": {"m": 0.5, "f": 0.5}, "age": {"y": 0.3, "o": 0.7}}, by=None)
    >>> r.weights.round(3).tolist()
    [0.6, 1.4, 0.6, 1.4]
    """
    data = design.data
    groups, group_names = _group_codes(data, by)
    table = _normalise_margins(margins, by, group_names)
    variables = list(dict.fromkeys(table["variable"]))
    for v in variables:
        if v not in data.columns:
            raise WeightingError(f"margin variable {v!r} is not a column of the data; "
                                 f"columns: {list(data.columns)}")

    # Integer-code each margin variable against the categories of its margins.
    cat_codes, cat_lists = [], []
    for v in variables:
        cats = list(dict.fromkeys(table.loc[table.variable == v, "category"]))
        code = category_codes(data[v], cats)
        if (code < 0).any():
            i = int(np.flatnonzero(code < 0)[0])
            g = group_names[groups[i]] if by else "all"
            n_bad = int((code < 0).sum())
            raise WeightingError(
                f"{_where(by, g)}{v} = {data[v].iloc[i]!r} in the data ({n_bad} respondent(s) with "
                f"categories not in the margins); margin categories for {v}: {cats}"
            )
        cat_codes.append(code)
        cat_lists.append(cats)

    cells, cell_of, cell_keys = _cells(groups, cat_codes,
                                       [len(group_names)] + [len(c) for c in cat_lists])
    indicator = sparse.csr_matrix((np.ones(len(cell_of)), (cell_of, np.arange(len(cell_of)))),
                                  shape=(cells, len(cell_of)))
    T0 = _cell_totals(design, indicator)
    group_total = _sum_by(T0, cell_keys[0], len(group_names))

    plans = []
    for m, (v, cats) in enumerate(zip(variables, cat_lists)):
        target = _targets(table, v, cats, group_names, by, group_total)
        index = cell_keys[0] * len(cats) + cell_keys[m + 1]
        A = sparse.csr_matrix((np.ones(cells), (index, np.arange(cells))),
                              shape=(len(group_names) * len(cats), cells))
        current = np.asarray(A @ T0)
        _check_cells(current, target, v, cats, group_names, by)
        plans.append((v, cats, index, A, target))

    if bounds is not None and not 0 <= bounds[0] <= 1 <= bounds[1]:
        raise WeightingError(f"raking bounds must satisfy 0 <= lower <= 1 <= upper, got {bounds}")
    T, iterations, deviation, last_sweep = _ipf(T0, plans, group_total, tolerance, max_iterations,
                                                bounds)
    if deviation.max() > tolerance:
        _not_converged(T, plans, group_total, group_names, by, max_iterations, deviation)

    factor = np.divide(T, T0, out=np.zeros_like(T), where=T0 > 0)
    new = design.weights * factor[cell_of, 0]
    rep = design.replicate_weights
    if isinstance(rep, FactorReplicates):
        rep = rep.with_layer(cell_of, factor[:, 1:])
    elif rep is not None:
        rep = np.asarray(rep) * factor[cell_of, 1:]
    margin_factors = np.divide(last_sweep, T0[:, :1], out=np.zeros_like(last_sweep),
                               where=T0[:, :1] > 0)
    adjustment = RakeAdjustment(groups if by else None, cell_of, design.weights,
                                [p[2] for p in plans], margin_factors)
    step = {"step": "rake", "by": by, "margins": variables, "tolerance": tolerance,
            "max_iterations": max_iterations, "iterations": int(iterations), "bounds": bounds,
            "max_deviation": float(deviation.max()), "replicates_raked": design.n_replicates}
    return design.with_weights(new, rep, step, calibration=adjustment)


def _cell_totals(design: SurveyDesign, indicator) -> np.ndarray:
    """Weighted totals per cell: column 0 the weights, then every replicate (in column blocks)."""
    rep = design.replicate_weights
    R = 0 if rep is None else rep.shape[1]
    T0 = np.empty((indicator.shape[0], 1 + R))
    T0[:, 0] = indicator @ design.weights
    step = column_chunk(design.n, R) if R else 1
    for c0 in range(0, R, step):
        c1 = min(R, c0 + step)
        T0[:, 1 + c0:1 + c1] = indicator @ replicate_block(rep, c0, c1)
    return T0


# -- margins ------------------------------------------------------------------------------------

def category_codes(values: pd.Series, categories: list[str]) -> np.ndarray:
    """Position of each value's category key in ``categories`` (-1 if absent), one lookup per
    distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    where = {c: i for i, c in enumerate(categories)}
    lut = np.array([where.get(_category_key(u), -1) for u in uniques] + [-1], dtype=np.int64)
    return lut[codes]


def category_keys(values: pd.Series) -> pd.Series:
    """:func:`_category_key` of every value, computed once per distinct value (fast at 2M rows)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    keys = np.array([_category_key(u) for u in uniques] + [None], dtype=object)
    return pd.Series(keys[codes], index=values.index)


def _category_key(x) -> str:
    """Categories match as text; 2 and 2.0 and "2" are the same category."""
    if isinstance(x, (float, np.floating)) and float(x).is_integer():
        return str(int(x))
    return str(x).strip()


def _normalise_margins(margins, by: str | None, group_names: list) -> pd.DataFrame:
    if isinstance(margins, Mapping):
        rows = []
        nested = all(isinstance(v, Mapping) and all(isinstance(x, Mapping) for x in v.values())
                     for v in margins.values())
        per_group = margins if nested else {g: margins for g in group_names}
        for g, spec in per_group.items():
            for var, cats in spec.items():
                rows += [(g, var, c, val) for c, val in cats.items()]
        df = pd.DataFrame(rows, columns=["group", "variable", "category", "value"])
        # Shares sum to one per margin; anything clearly larger is a population count.
        sums = pd.to_numeric(df["value"], errors="coerce").groupby([df.group, df.variable]).sum()
        kind = "proportion" if (sums <= 1.5).all() else "count"
    elif isinstance(margins, pd.DataFrame):
        value_col = next((c for c in _VALUE_COLUMNS if c in margins.columns), None)
        if value_col is None or not {"variable", "category"} <= set(margins.columns):
            raise WeightingError(
                "margins table needs columns 'variable', 'category' and one of "
                f"{list(_VALUE_COLUMNS)}; got {list(margins.columns)}"
            )
        if by is not None and by not in margins.columns:
            df = pd.concat([margins.assign(group=g) for g in group_names], ignore_index=True)
        else:
            df = margins.assign(group=margins[by] if by else "all")
        df = df.rename(columns={value_col: "value"})[["group", "variable", "category", "value"]]
        kind = "proportion" if value_col == "proportion" else "count"
    else:
        raise WeightingError(f"margins must be a DataFrame or a dict, not {type(margins).__name__}")
    df = df.assign(category=df["category"].map(_category_key), group=df["group"].astype(str))
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    if df["value"].isna().any() or (df["value"] < 0).any():
        bad = df[df["value"].isna() | (df["value"] < 0)].iloc[0]
        raise WeightingError(f"margin {bad.group}/{bad.variable}/{bad.category} has value "
                             f"{bad.value}; expected a non-negative number")
    dup = df.duplicated(["group", "variable", "category"])
    if dup.any():
        bad = df[dup].iloc[0]
        raise WeightingError(f"margin category listed twice: {bad.group}/{bad.variable}/{bad.category}")
    missing = [g for g in group_names if g not in set(df["group"])]
    if missing:
        raise WeightingError(f"no margins given for {by} {missing}; margins cover "
                             f"{sorted(set(df['group']))}")
    sums = df.groupby(["group", "variable"])["value"].sum()
    if kind == "proportion":
        off = sums[(sums - 1).abs() > 1e-6]
        if len(off):
            (g, v), s = off.index[0], off.iloc[0]
            raise WeightingError(f"{_where(by, g)}proportions of margin {v!r} sum to {s:.6g}, not 1")
    else:
        spread = sums.groupby(level=0).agg(lambda s: s.max() - s.min())
        off = spread[spread > 1e-6 * sums.groupby(level=0).max()]
        if len(off):
            g = off.index[0]
            raise WeightingError(f"{_where(by, g)}population totals differ between margins: "
                                 f"{sums.loc[g].to_dict()}")
    return df.assign(kind=kind)


def _targets(table, variable, cats, group_names, by, group_total) -> np.ndarray:
    """Target totals, shape (groups x categories, columns)."""
    sub = table[table.variable == variable].set_index(["group", "category"])["value"]
    idx = pd.MultiIndex.from_product([group_names, cats])
    # A category a group's margins leave out has no population there: respondents in it are an
    # error (raised by _check_cells), an empty cell is fine (regions differ between countries).
    vals = sub.reindex(idx).fillna(0.0).to_numpy(float).reshape(len(group_names), len(cats))
    if table["kind"].iloc[0] == "proportion":
        return (vals[:, :, None] * group_total[:, None, :]).reshape(-1, group_total.shape[1])
    return np.repeat(vals.reshape(-1, 1), group_total.shape[1], axis=1)


def _check_cells(current, target, variable, cats, group_names, by) -> None:
    empty = (current <= 0) & (target > 0)
    if empty.any():
        row, col = (int(x[0]) for x in np.nonzero(empty))
        g, c = group_names[row // len(cats)], cats[row % len(cats)]
        which = "" if col == 0 else f" in replicate {col}"
        raise WeightingError(
            f"{_where(by, g)}margin {variable!r} category {c!r} has a population target but no "
            f"respondents{which}; collapse it with a neighbouring category or drop the margin"
        )
    stray = (current > 0) & (target <= 0)
    if stray.any():
        row = int(np.nonzero(stray)[0][0])
        g, c = group_names[row // len(cats)], cats[row % len(cats)]
        raise WeightingError(f"{_where(by, g)}{variable} = {c!r} in the data but not in the "
                             "margins (or with a population target of 0); add the category to "
                             "the margins or recode it")


# -- the fit ------------------------------------------------------------------------------------

def _ipf(T0, plans, group_total, tolerance, max_iterations, bounds=None):
    """Rake the cell table; also return the analysis-weight column after each margin of the
    last sweep (what R's linearisation of a raked design uses)."""
    T = T0.copy()
    deviation = np.full(group_total.shape[0], np.inf)
    last = np.empty((T.shape[0], len(plans)))
    for it in range(1, max_iterations + 1):
        for m, (_v, _cats, index, A, target) in enumerate(plans):
            current = A @ T
            T *= np.divide(target, current, out=np.ones_like(target), where=current > 0)[index]
            last[:, m] = T[:, 0]
        if bounds is not None:
            np.clip(T, T0 * bounds[0], T0 * bounds[1], out=T)
        deviation = _deviation(T, plans, group_total)
        if deviation.max() <= tolerance:
            return T, it, deviation, last
    return T, max_iterations, deviation, last


def _deviation(T, plans, group_total) -> np.ndarray:
    """Per group: the largest gap between a weighted margin and its target, as a share of total."""
    dev = np.zeros(group_total.shape[0])
    for _v, cats, _index, A, target in plans:
        gap = np.abs(A @ T - target).reshape(len(group_total), len(cats), -1)
        dev = np.maximum(dev, (gap.max(axis=1) / group_total).max(axis=1))
    return dev


def _not_converged(T, plans, group_total, group_names, by, max_iterations, deviation):
    g = int(np.argmax(deviation))
    worst = None
    for v, cats, _index, A, target in plans:
        cur = (A @ T).reshape(len(group_names), len(cats), -1)[g, :, 0]
        tgt = target.reshape(len(group_names), len(cats), -1)[g, :, 0]
        gap = np.abs(cur - tgt) / group_total[g, 0]
        if worst is None or gap.max() > worst[0]:
            k = int(np.argmax(gap))
            worst = (gap.max(), v, cats[k], cur[k] / group_total[g, 0], tgt[k] / group_total[g, 0])
    _, v, c, got, want = worst
    raise WeightingError(
        f"{_where(by, group_names[g])}raking did not converge in {max_iterations} iterations: "
        f"margin {v!r} category {c!r} reaches {got:.4f} of the total against a target of "
        f"{want:.4f}; the margins may conflict (check for empty combinations) or need more "
        "iterations (max_iterations)"
    )


# -- small helpers ------------------------------------------------------------------------------

def _group_codes(data: pd.DataFrame, by: str | None):
    if by is None:
        return np.zeros(len(data), dtype=np.int64), ["all"]
    if by not in data.columns:
        raise WeightingError(f"cannot rake by {by!r}: no such column; columns: {list(data.columns)}")
    codes, names = pd.factorize(data[by].astype(str), sort=True)
    return codes.astype(np.int64), list(names)


def _cells(groups, cat_codes, sizes):
    """Number the occupied cells of group x categories; return (count, cell of each respondent,
    each cell's group and category codes). Mixed-radix keys make it one O(n) pass."""
    total = int(np.prod(np.array(sizes, dtype=float)))
    if total > 1 << 40:
        keys = np.column_stack([groups, *cat_codes])
        uniq, cell_of = np.unique(keys, axis=0, return_inverse=True)
        return len(uniq), cell_of.ravel(), [uniq[:, k] for k in range(uniq.shape[1])]
    key = groups.astype(np.int64)
    for code, k in zip(cat_codes, sizes[1:]):
        key = key * k + code
    if total <= 8 * len(key) + (1 << 20):
        present = np.bincount(key, minlength=total) > 0
        uniq = np.flatnonzero(present)
        cell_of = (np.cumsum(present) - 1)[key]
    else:
        uniq, cell_of = np.unique(key, return_inverse=True)
    columns = []
    rest = uniq
    for k in reversed(sizes[1:]):
        rest, code = np.divmod(rest, k)
        columns.append(code)
    return len(uniq), cell_of.ravel(), [rest, *reversed(columns)]


def _sum_by(T, codes, size) -> np.ndarray:
    A = sparse.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))),
                          shape=(size, len(codes)))
    return np.asarray(A @ T)


def _where(by, group) -> str:
    return f"{by} {group}: " if by else ""
