"""Raking (iterative proportional fitting) to population margins, per group, with replicates.

Respondents are collapsed to the cells of group x margin categories; the cell table is raked (one
column per weight: the analysis weights and every replicate at once) and each respondent's weight is
multiplied by its cell's factor. This is the same fixed point as raking respondent by respondent, at a
fraction of the cost.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import sparse

from ..errors import WeightingError
from ..io import margin_codes
from .design import SurveyDesign
from .linearization import RakeAdjustment
from .repweights import FactorReplicates, column_chunk, replicate_block

_VALUE_COLUMNS = ("proportion", "count", "Freq", "total")


CONVERGENCE = ("margins", "r_rake")
#: With convergence="r_rake", margins further than this share of the group total from their
#: targets when R's rule stops are reported as not converged.
R_MARGINS_MET = 1e-3


def rake(design: SurveyDesign, margins, by: str | None = "country", *, tolerance: float = 1e-8,
         max_iterations: int | None = None, bounds: tuple[float, float] | None = None,
         convergence: str = "margins", epsilon: float = 1.0,
         collapse: Mapping | int | None = None, client=None) -> SurveyDesign:
    """Rake the design's weights (and replicate weights) to population margins within ``by``.

    Parameters
    ----------
    margins : a tidy DataFrame with columns ``[by,] variable, category`` and ``proportion`` or
        ``count``; or a dict ``{variable: {category: value}}`` used in every group; or a dict
        ``{group: {variable: {category: value}}}``. Proportions are scaled to each group's current
        weighted total (per replicate too); counts are population totals, as R ``rake()`` takes.
    by : the grouping column (each country raked separately), or None for one group.
    tolerance : stop when every margin is met to within this share of the group's total.
    max_iterations : full sweeps over the margins before giving up with a :class:`WeightingError`
        (default 100; with ``convergence="r_rake"`` it is R's ``maxit``, default 10).
    bounds : ``(lower, upper)`` limits on the raking factor (raked weight over starting weight),
        e.g. ``(0.3, 3)``: after every sweep the factors are capped to them and raking goes on,
        so the result meets the margins with capped weights, or fails to converge if the caps
        make the margins unreachable. The step record keeps iterations and final deviation.
    convergence : ``"margins"`` (the default: stop when every margin is met to ``tolerance``) or
        ``"r_rake"``, R ``survey::rake()``'s own rule, for reproducing R's numbers: after each
        sweep, stop when the largest absolute change of any cell of the joint table of all
        margin variables (weighted counts) is below ``epsilon``, where ``epsilon < 1`` means
        ``epsilon`` times the group's starting weight total; after ``max_iterations`` sweeps
        (R's ``maxit``, default 10) a :class:`RuntimeWarning` says raking did not converge and
        the weights of the last sweep are kept, as R does. Under R's default control
        (``epsilon=1, maxit=10``) this stops far short of the fixed point. The rule is applied
        per ``by`` group (as R ``rake()`` run on each country's subset) and looks at the analysis
        weights only; replicates get the same sweeps. Not available with ``bounds``. When R's rule
        stops with a margin further than 0.1% of the group total from its target (R's epsilon
        is in counts, so weights summing to 1 stop it at once), the step says
        ``converged=False`` and a warning gives the gap.
    epsilon : R's ``control$epsilon``, used only with ``convergence="r_rake"``.
    collapse : opt-in collapsing of sparse or empty categories, e.g. ``{"min_n": 20}`` (an int
        is the same as ``{"min_n": n}``); ``{"min_n": 20, "variables": ["age"]}`` collapses
        only the listed margins. Without it (the default) a category with a population target
        but no respondents is an error naming the group, margin and category. The rule, per
        ``by`` group and margin: the categories with a positive target, in the margin's order
        (the order they are listed in ``margins``, so list ordered variables such as age
        groups in order), are merged step by step: the category with the fewest respondents
        (unweighted, positive weight; ties: the first) of those below ``min_n`` is merged
        with its adjacent category that has fewer respondents (ties: the one before it),
        their population values summed, until no category is below ``min_n`` or one is left.
        A merged category is named by joining its categories with ``+`` (``"60-69+70+"``).
        Every merge is recorded in the step record's ``"collapsed"`` list (one dict per merged
        category: the ``by`` group, ``margin``, ``categories``, their sample ``n``, the merged
        ``population`` value). Replicates are raked to the same collapsed margins.
    client : a ``dask.distributed`` client (or scheduler address): the weighted cell totals of
        every replicate, the step that grows with respondents x replicates, run on the cluster
        by group x block of replicates (:mod:`surveyindex.design.distributed`); same numbers.

    Raking starts from the current weights (design weights, not 1), as R ``survey::rake`` does.

    >>> import pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"sex": ["m", "m", "f", "f"], "age": ["y", "o", "y", "o"]})
    >>> d = si.make_design(df, strata=None)
    >>> r = d.rake({"sex": {"m": 0.5, "f": 0.5}, "age": {"y": 0.3, "o": 0.7}}, by=None)
    >>> r.weights.round(3).tolist()
    [0.6, 1.4, 0.6, 1.4]

    An empty age group, merged with its neighbour on request:

    >>> df = pd.DataFrame({"age": ["18-34", "18-34", "35-54", "35-54"]})
    >>> m = {"age": {"18-34": 0.3, "35-54": 0.5, "55+": 0.2}}
    >>> c = si.make_design(df, strata=None).rake(m, by=None, collapse={"min_n": 1})
    >>> c.weights.round(3).tolist(), c.steps[-1]["collapsed"][0]["categories"]
    ([0.6, 0.6, 1.4, 1.4], ['35-54', '55+'])
    """
    if convergence not in CONVERGENCE:
        raise WeightingError(f"convergence must be one of {list(CONVERGENCE)}, not {convergence!r}")
    if max_iterations is None:
        max_iterations = 10 if convergence == "r_rake" else 100
    if max_iterations < 1:
        raise WeightingError(f"max_iterations must be at least 1, not {max_iterations}")
    if convergence == "r_rake" and bounds is not None:
        raise WeightingError("bounds are not available with convergence='r_rake' (R rake() has "
                             "none); use the default convergence or calibrate()")
    data = design.data
    groups, group_names = _group_codes(data, by)
    if isinstance(margins, pd.DataFrame) and design.responses is not None:
        # Categories named by label (female, Post-secondary) become the codes the data hold.
        margins = margin_codes(margins, design.responses.instrument)
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
            # Count the respondents of the group the message names, not of the whole file.
            n_here = int(((code < 0) & (groups == groups[i])).sum()) if by else n_bad
            rest = f"; {n_bad} in the whole file" if n_bad != n_here else ""
            raise WeightingError(
                f"{_where(by, g)}{v} = {data[v].iloc[i]!r} in the data ({n_here} respondent(s) "
                f"{'there ' if by else ''}with categories not in the margins{rest}); margin "
                f"categories for {v}: {cats}"
            )
        cat_codes.append(code)
        cat_lists.append(cats)
    collapsed = []
    if collapse is not None:
        table, cat_codes, cat_lists, collapsed = _collapse_margins(
            table, variables, cat_codes, cat_lists, groups, group_names, design.weights, by,
            collapse)

    cells, cell_of, cell_keys = _cells(groups, cat_codes,
                                       [len(group_names)] + [len(c) for c in cat_lists])
    indicator = sparse.csr_matrix((np.ones(len(cell_of)), (cell_of, np.arange(len(cell_of)))),
                                  shape=(cells, len(cell_of)))
    if client is not None:
        from .distributed import cell_totals, get_client

        T0 = cell_totals(design, indicator, groups, get_client(client))
    else:
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
    if convergence == "r_rake":
        eps = epsilon * group_total[:, 0] if epsilon < 1 else np.full(len(group_names), epsilon)
        T, iterations, converged, last_sweep = _ipf_r(T0, plans, cell_keys[0], eps,
                                                      max_iterations)
        deviation = _deviation(T, plans, group_total)
        if not converged.all():
            g = group_names[int(np.flatnonzero(~converged)[0])]
            warnings.warn(f"{_where(by, g)}raking did not converge after {max_iterations} "
                          "iterations (R rake() rule: joint-table change not below epsilon); "
                          "the weights of the last sweep are kept, as R does", RuntimeWarning,
                          stacklevel=2)
        # R's rule looks at changes in counts, not at the margins: with weights that sum to 1
        # (or an epsilon too large for the totals) it stops after one sweep with margins far off.
        # Stopping is R's, but converged is not claimed unless the margins are met.
        off = converged & (deviation > R_MARGINS_MET)
        if off.any():
            g = int(np.flatnonzero(off)[0])
            warnings.warn(f"{_where(by, group_names[g])}R rake() rule stopped after {iterations} "
                          f"iterations with the margins off by {deviation[g]:.2g} of the total "
                          f"(more than {R_MARGINS_MET:g}): not converged; the weights of the last "
                          "sweep are kept, as R does. Lower epsilon, or use the default "
                          "convergence='margins'", RuntimeWarning, stacklevel=2)
            converged = converged & ~off
    else:
        T, iterations, deviation, last_sweep = _ipf(T0, plans, group_total, tolerance,
                                                    max_iterations, bounds)
        if deviation.max() > tolerance:
            by_column = _deviation(T, plans, group_total, per_column=True)
            if by_column[:, 0].max() > tolerance:
                _not_converged(T, plans, group_total, group_names, by, max_iterations,
                               by_column[:, 0])
            # Only replicates are short of the tolerance: a bootstrap replicate can make a cell
            # so sparse that IPF creeps. R rakes replicates without checking them at all; here
            # the analysis weights converged, so warn, say where, and keep the weights reached.
            g, r = np.unravel_index(int(np.argmax(by_column[:, 1:])), by_column[:, 1:].shape)
            late = int((by_column[:, 1:] > tolerance).any(axis=0).sum())
            warnings.warn(
                f"raking: {late} of {T.shape[1] - 1} replicate weight columns did not meet the "
                f"margins to {tolerance:g} in {max_iterations} iterations (largest gap "
                f"{by_column[g, 1 + r]:.2g} of the total, {_where(by, group_names[g])}replicate "
                f"{r + 1}); the analysis weights converged. Their replicates keep the weights "
                "reached; raise max_iterations, or collapse sparse categories (collapse=)",
                RuntimeWarning, stacklevel=2)

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
            "max_deviation": float(deviation.max()), "replicates_raked": design.n_replicates,
            "convergence": convergence, "collapsed": collapsed}
    if convergence == "r_rake":
        step.update(epsilon=epsilon, converged=bool(converged.all()))
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
    given = set(df["group"])
    missing = [g for g in group_names if g not in given]
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
    sub = table[table.variable == variable]
    # The margin table is small (groups x categories): plain dict lookups beat pandas' reindex.
    gpos = {g: i for i, g in enumerate(group_names)}
    cpos = {c: j for j, c in enumerate(cats)}
    gi = np.array([gpos.get(g, -1) for g in sub["group"].tolist()], dtype=np.int64)
    ci = np.array([cpos.get(c, -1) for c in sub["category"].tolist()], dtype=np.int64)
    ok = (gi >= 0) & (ci >= 0)
    # A category a group's margins leave out has no population there: respondents in it are an
    # error (raised by _check_cells), an empty cell is fine (regions differ between countries).
    vals = np.zeros((len(group_names), len(cats)))
    vals[gi[ok], ci[ok]] = sub["value"].to_numpy(float)[ok]
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
            f"respondents{which}; collapse it with a neighbouring category (rake(..., "
            "collapse={'min_n': 1}) merges empty categories with a neighbour) or drop the margin"
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


def _ipf_r(T0, plans, cell_group, eps, maxit):
    """R ``rake()``'s loop: sweeps until the joint table (the cell table's analysis-weight column)
    changes by less than ``eps`` in every cell, per group; a group that stops is frozen."""
    T = T0.copy()
    n_groups = len(eps)
    active = np.ones(n_groups, dtype=bool)
    converged = np.zeros(n_groups, dtype=bool)
    last = np.empty((T.shape[0], len(plans)))
    old = T[:, 0].copy()
    sweeps = 0
    for _ in range(maxit):
        live = active[cell_group]
        for m, (_v, _cats, index, A, target) in enumerate(plans):
            current = A @ T
            f = np.divide(target, current, out=np.ones_like(target), where=current > 0)[index]
            f[~live] = 1.0
            T *= f
            last[live, m] = T[live, 0]
        sweeps += 1
        delta = np.zeros(n_groups)
        np.maximum.at(delta, cell_group, np.abs(T[:, 0] - old))
        done = active & (delta < eps)
        converged |= done
        active &= ~done
        old = T[:, 0].copy()
        if not active.any():
            break
    return T, sweeps, converged, last


def _deviation(T, plans, group_total, per_column: bool = False) -> np.ndarray:
    """Per group (and, with ``per_column``, per weight column): the largest gap between a weighted
    margin and its target, as a share of the total."""
    dev = np.zeros(group_total.shape)
    for _v, cats, _index, A, target in plans:
        gap = np.abs(A @ T - target).reshape(len(group_total), len(cats), -1)
        dev = np.maximum(dev, gap.max(axis=1) / group_total)
    return dev if per_column else dev.max(axis=1)


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
        f"margin {v!r} category {c!r} reaches {got:.6g} of the total against a target of "
        f"{want:.6g}; the margins may conflict (check for empty combinations) or need more "
        "iterations (max_iterations)"
    )


# -- collapsing sparse categories ----------------------------------------------------------------

def collapse_blocks(n, values, min_n, segments=None) -> list[list[int]]:
    """Merge positions ``0..len(n)-1`` (in order) into blocks of adjacent positions until no block
    has fewer than ``min_n`` respondents (or one block is left); positions whose ``values`` are
    not positive take no part. The sparsest block (ties: the first) merges with its adjacent
    block that has fewer respondents (ties: the one before it). With ``segments``, only blocks
    in the same segment are adjacent.

    >>> collapse_blocks([30, 12, 1, 25], [1, 1, 1, 1], 10)
    [[0], [1, 2], [3]]
    >>> collapse_blocks([0, 40, 3, 9], [1, 1, 1, 1], 5)    # 3 joins the smaller neighbour, 9
    [[0, 1], [2, 3]]
    """
    blocks = [[i] for i in range(len(n)) if values[i] > 0]
    seg = [None if segments is None else segments[b[0]] for b in blocks]
    done = set()
    while True:
        sizes = [sum(n[i] for i in b) for b in blocks]
        sparse = [k for k in range(len(blocks)) if sizes[k] < min_n and k not in done]
        if not sparse:
            return blocks
        k = min(sparse, key=lambda k: (sizes[k], k))
        near = [j for j in (k - 1, k + 1) if 0 <= j < len(blocks) and seg[j] == seg[k]]
        if not near:
            done.add(k)           # alone in its segment: nothing to merge with
            continue
        j = min(near, key=lambda j: (sizes[j], j))
        lo, hi = min(j, k), max(j, k)
        blocks[lo:hi + 1] = [blocks[lo] + blocks[hi]]
        seg[lo:hi + 1] = [seg[lo]]
        done = {d if d < lo else d - 1 for d in done if d != hi and d != lo}


def collapse_options(collapse, variables) -> tuple[int, list]:
    """``(min_n, variables to collapse)`` from a ``collapse=`` argument."""
    if isinstance(collapse, (int, np.integer)) and not isinstance(collapse, bool):
        collapse = {"min_n": int(collapse)}
    if not isinstance(collapse, Mapping) or "min_n" not in collapse:
        raise WeightingError(f"collapse must be a dict such as {{'min_n': 20}} or an int, not "
                             f"{collapse!r}")
    unknown = set(collapse) - {"min_n", "variables"}
    if unknown:
        raise WeightingError(f"collapse has unknown key(s) {sorted(unknown)}; use 'min_n' and "
                             "optionally 'variables'")
    min_n = collapse["min_n"]
    if not isinstance(min_n, (int, np.integer)) or isinstance(min_n, bool) or min_n < 1:
        raise WeightingError(f"collapse min_n must be a positive integer, not {min_n!r}")
    chosen = collapse.get("variables")
    chosen = list(variables) if chosen is None else ([chosen] if isinstance(chosen, str)
                                                     else list(chosen))
    bad = [v for v in chosen if v not in variables]
    if bad:
        raise WeightingError(f"collapse variables {bad} are not among the margins {variables}")
    return int(min_n), chosen


def _collapse_margins(table, variables, cat_codes, cat_lists, groups, group_names, weights, by,
                      collapse):
    """Merge sparse categories per group and margin; return the new margins table, category
    codes and lists, and the record of merges."""
    min_n, chosen = collapse_options(collapse, variables)
    G = len(group_names)
    key = by or "group"
    record = []
    positive = weights > 0
    for m, v in enumerate(variables):
        if v not in chosen:
            continue
        cats, code = cat_lists[m], cat_codes[m]
        K = len(cats)
        n = np.bincount(groups[positive] * K + code[positive], minlength=G * K).reshape(G, K)
        sub = table[table.variable == v]
        vals = (sub.set_index(["group", "category"])["value"]
                .reindex(pd.MultiIndex.from_product([group_names, cats])).fillna(0.0)
                .to_numpy(float).reshape(G, K))
        new_cats: dict[str, None] = {}
        lut = np.empty((G, K), dtype=object)
        rows = []
        kind = table["kind"].iloc[0]
        for g in range(G):
            blocks = collapse_blocks(n[g], vals[g], min_n)
            for b in blocks:
                label = "+".join(cats[i] for i in b)
                for i in b:
                    lut[g, i] = label
                rows.append((group_names[g], v, label, float(vals[g, b].sum()), kind))
                if len(b) > 1:
                    record.append({key: group_names[g], "margin": v,
                                   "categories": [cats[i] for i in b],
                                   "n": [int(n[g, i]) for i in b],
                                   "population": float(vals[g, b].sum())})
            for i in range(K):
                if lut[g, i] is None:     # no population here: kept, so errors still name it
                    lut[g, i] = cats[i]
                    if vals[g, i] > 0 or n[g, i] > 0:
                        rows.append((group_names[g], v, cats[i], float(vals[g, i]), kind))
        for i in range(K):            # keep the margin's order in the merged list
            for g in range(G):
                new_cats.setdefault(lut[g, i], None)
        new_list = list(new_cats)
        where = {c: j for j, c in enumerate(new_list)}
        lut_codes = np.array([[where[lut[g, i]] for i in range(K)] for g in range(G)],
                             dtype=np.int64)
        cat_codes[m] = lut_codes[groups, code]
        cat_lists[m] = new_list
        table = pd.concat([table[table.variable != v],
                           pd.DataFrame(rows, columns=["group", "variable", "category", "value",
                                                       "kind"])], ignore_index=True)
    return table, cat_codes, cat_lists, record


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
