"""Raking (iterative proportional fitting) to population margins, per group, with replicates.

Respondents are collapsed to the cells of group x margin categories; the cell table is raked (one
column per weight: the analysis weights and every replicate at once) and each respondent's weight is
multiplied by its cell's factor. This is the same fixed point as raking respondent by respondent, at a
fraction of the cost.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from .._threads import run_parallel
from ..errors import WeightingError, require
from ..io import margin_codes
from .collapse import collapse_blocks, collapse_margins, collapse_options  # noqa: F401 (also here)
from .design import SurveyDesign
from .ipf import RULES, ipf, ipf_r, misfit, not_converged
from .linearization import RakeAdjustment
from .repweights import FactorReplicates, replicate_block

_VALUE_COLUMNS = ("proportion", "count", "Freq", "total")


CONVERGENCE = (*RULES, "r_rake")
#: With convergence="r_rake", margins further than this share of the group total from their
#: targets when R's rule stops are reported as not converged.
R_MARGINS_MET = 1e-3


def rake(design: SurveyDesign, margins, by: str | None = "country", *, tolerance: float = 1e-8,
         max_iterations: int | None = None, bounds: tuple[float, float] | None = None,
         convergence: str = "categories", epsilon: float = 1.0,
         collapse: Mapping | int | None = None, client=None) -> SurveyDesign:
    """Rake the design's weights (and replicate weights) to population margins within ``by``.

    Parameters
    ----------
    margins : a tidy DataFrame with columns ``[by,] variable, category`` and ``proportion`` or
        ``count``; or a dict ``{variable: {category: value}}`` used in every group; or a dict
        ``{group: {variable: {category: value}}}``. Proportions are scaled to each group's current
        weighted total (per replicate too); counts are population totals, as R ``rake()`` takes.
    by : the grouping column (each country raked separately), or None for one group.
    tolerance : stop when every margin category is met to within this share of its target
        (with ``convergence="margins"``: of the group's total).
    max_iterations : full sweeps over the margins before giving up with a :class:`WeightingError`
        (default 100; with ``convergence="r_rake"`` it is R's ``maxit``, default 10).
    bounds : ``(lower, upper)`` limits on the raking factor (raked weight over starting weight),
        e.g. ``(0.3, 3)``: after every sweep the factors are capped to them and raking goes on,
        so the result meets the margins with capped weights, or fails to converge if the caps
        make the margins unreachable. The step record keeps iterations and final deviation.
    convergence : ``"categories"`` (the default: stop when every category of every margin is
        within ``tolerance`` of its target, relative to the target, the rule of R
        ``calibrate()`` and svy, so a small category is met as closely as a large one);
        ``"margins"`` (the earlier rule: every category within ``tolerance`` times the group's
        total, looser for small categories); or
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
        ``converged=False`` and a warning gives the gap. When R's rule
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
    require(design, SurveyDesign, "design", "a SurveyDesign (si.make_design(...))", WeightingError)
    max_iterations = _check_options(convergence, max_iterations, bounds, tolerance)
    groups, group_names = _group_codes(design.data, by)
    if isinstance(margins, pd.DataFrame) and design.responses is not None:
        # Categories named by label (female, Post-secondary) become the codes the data hold.
        margins = margin_codes(margins, design.responses.instrument)
    table, variables, cat_codes, cat_lists = _coded_margins(design.data, margins, by, groups,
                                                            group_names)
    collapsed = []
    if collapse is not None:
        table, cat_codes, cat_lists, collapsed = collapse_margins(
            table, variables, cat_codes, cat_lists, groups, group_names, design.weights, by,
            collapse)
    cells = _cell_table(design, table, variables, cat_codes, cat_lists, groups, group_names, by,
                        client)
    where = lambda g: _where(by, g)  # noqa: E731
    if convergence == "r_rake":
        fit = _iterate_r(cells, epsilon, max_iterations, group_names, where)
    else:
        fit = _iterate(cells, convergence, tolerance, max_iterations, bounds, group_names, where)
    step = {"step": "rake", "by": by, "margins": variables, "tolerance": tolerance,
            "max_iterations": max_iterations, "iterations": int(fit.iterations),
            "bounds": bounds, "max_deviation": float(fit.deviation.max()),
            "replicates_raked": design.n_replicates, "convergence": convergence,
            "collapsed": collapsed}
    if convergence == "r_rake":
        step.update(epsilon=epsilon, converged=bool(fit.converged.all()))
    return _apply_factors(design, cells, fit, groups if by else None, step)


@dataclass(frozen=True)
class _Cells:
    """The raking cell table: weighted totals ``T0`` (cells x weight columns), each respondent's
    cell, each cell's group, the margins' plans (see :mod:`.ipf`) and the groups' totals."""

    T0: np.ndarray
    cell_of: np.ndarray
    cell_group: np.ndarray
    plans: list
    group_total: np.ndarray


@dataclass(frozen=True)
class _Fit:
    T: np.ndarray
    iterations: int
    deviation: np.ndarray
    last_sweep: np.ndarray
    converged: np.ndarray | None = None


def _check_options(convergence, max_iterations, bounds, tolerance=1e-8) -> int:
    """Validate the stopping options; return ``max_iterations`` with its default filled in."""
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float, np.number)) \
            or not tolerance > 0:
        raise WeightingError(f"tolerance must be a positive number (e.g. 1e-8), not {tolerance!r}")
    if max_iterations is not None and (isinstance(max_iterations, bool) or
                                       not isinstance(max_iterations, (int, np.integer))):
        raise WeightingError(f"max_iterations must be a whole number, not {max_iterations!r}")
    if bounds is not None and (isinstance(bounds, (str, bytes)) or not hasattr(bounds, "__len__")
                               or len(bounds) != 2):
        raise WeightingError(f"bounds must be a pair (lower, upper) of weight ratios such as "
                             f"(0.3, 3), not {bounds!r}")
    if convergence not in CONVERGENCE:
        raise WeightingError(f"convergence must be one of {list(CONVERGENCE)}, not {convergence!r}")
    if max_iterations is None:
        max_iterations = 10 if convergence == "r_rake" else 100
    if max_iterations < 1:
        raise WeightingError(f"max_iterations must be at least 1, not {max_iterations}")
    if convergence == "r_rake" and bounds is not None:
        raise WeightingError("bounds are not available with convergence='r_rake' (R rake() has "
                             "none); use the default convergence or calibrate()")
    if bounds is not None and not 0 <= bounds[0] <= 1 <= bounds[1]:
        raise WeightingError(f"raking bounds must satisfy 0 <= lower <= 1 <= upper, got {bounds}")
    return max_iterations


def _coded_margins(data, margins, by, groups, group_names):
    """Check the margins against the data; integer-code each margin variable against the
    categories of its margins. Returns the tidy margins table, the variables, the codes and
    the category lists."""
    table = _normalise_margins(margins, by, group_names)
    variables = list(dict.fromkeys(table["variable"]))
    for v in variables:
        if v not in data.columns:
            raise WeightingError(f"margin variable {v!r} is not a column of the data; "
                                 f"columns: {list(data.columns)}")
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
    return table, variables, cat_codes, cat_lists


def _cell_table(design, table, variables, cat_codes, cat_lists, groups, group_names, by,
                client=None) -> _Cells:
    """Collapse the respondents to the group x categories cells and plan each margin."""
    n_cells, cell_of, cell_keys = _cells(groups, cat_codes,
                                         [len(group_names)] + [len(c) for c in cat_lists])
    if client is not None:
        from .distributed import cell_totals, get_client

        T0 = cell_totals(design, _indicator(cell_of, n_cells), groups, get_client(client))
        # the weights' column added as the local path adds it, so both agree bit for bit
        T0[:, 0] = _weight_totals(design, cell_of, n_cells)
    else:
        T0 = _cell_totals(design, cell_of, n_cells)
    group_total = _sum_by(T0, cell_keys[0], len(group_names))
    plans = []
    for m, (v, cats) in enumerate(zip(variables, cat_lists)):
        target = _targets(table, v, cats, group_names, by, group_total)
        index = cell_keys[0] * len(cats) + cell_keys[m + 1]
        A = sparse.csr_matrix((np.ones(n_cells), (index, np.arange(n_cells))),
                              shape=(len(group_names) * len(cats), n_cells))
        _check_cells(np.asarray(A @ T0), target, v, cats, group_names, by)
        plans.append((v, cats, index, A, target))
    return _Cells(T0, cell_of, cell_keys[0], plans, group_total)


def _iterate(cells: _Cells, rule, tolerance, max_iterations, bounds, group_names, where) -> _Fit:
    """Fit the cell table; the analysis weights must converge (else a WeightingError naming the
    worst category), replicates short of the tolerance only warn."""
    T, iterations, deviation, last = ipf(cells.T0, cells.plans, cells.group_total, tolerance,
                                         max_iterations, bounds, rule)
    if deviation.max() > tolerance:
        by_column = misfit(T, cells.plans, cells.group_total, rule, per_column=True)
        if by_column[:, 0].max() > tolerance:
            not_converged(T, cells.plans, cells.group_total, group_names, where, max_iterations,
                          by_column[:, 0], rule)
        # Only replicates are short of the tolerance: a bootstrap replicate can make a cell
        # so sparse that IPF creeps. R rakes replicates without checking them at all; here
        # the analysis weights converged, so warn, say where, and keep the weights reached.
        g, r = np.unravel_index(int(np.argmax(by_column[:, 1:])), by_column[:, 1:].shape)
        late = int((by_column[:, 1:] > tolerance).any(axis=0).sum())
        share = "of the target" if rule == "categories" else "of the total"
        warnings.warn(
            f"raking: {late} of {T.shape[1] - 1} replicate weight columns did not meet the "
            f"margins to {tolerance:g} in {max_iterations} iterations (largest gap "
            f"{by_column[g, 1 + r]:.2g} {share}, {where(group_names[g])}replicate "
            f"{r + 1}); the analysis weights converged. Their replicates keep the weights "
            "reached; raise max_iterations, or collapse sparse categories (collapse=)",
            RuntimeWarning, stacklevel=3)
    return _Fit(T, iterations, deviation, last)


def _iterate_r(cells: _Cells, epsilon, max_iterations, group_names, where) -> _Fit:
    """R ``rake()``'s stopping rule; not converging warns and keeps the last sweep, as R does."""
    total = cells.group_total[:, 0]
    eps = epsilon * total if epsilon < 1 else np.full(len(group_names), epsilon)
    T, iterations, converged, last = ipf_r(cells.T0, cells.plans, cells.cell_group, eps,
                                           max_iterations)
    deviation = misfit(T, cells.plans, cells.group_total, "margins")
    if not converged.all():
        g = group_names[int(np.flatnonzero(~converged)[0])]
        warnings.warn(f"{where(g)}raking did not converge after {max_iterations} "
                      "iterations (R rake() rule: joint-table change not below epsilon); "
                      "the weights of the last sweep are kept, as R does", RuntimeWarning,
                      stacklevel=3)
    # R's rule looks at changes in counts, not at the margins: with weights that sum to 1
    # (or an epsilon too large for the totals) it stops after one sweep with margins far off.
    # Stopping is R's, but converged is not claimed unless the margins are met.
    off = converged & (deviation > R_MARGINS_MET)
    if off.any():
        g = int(np.flatnonzero(off)[0])
        warnings.warn(f"{where(group_names[g])}R rake() rule stopped after {iterations} "
                      f"iterations with the margins off by {deviation[g]:.2g} of the total "
                      f"(more than {R_MARGINS_MET:g}): not converged; the weights of the last "
                      "sweep are kept, as R does. Lower epsilon, or use the default "
                      "convergence='categories'", RuntimeWarning, stacklevel=3)
        converged = converged & ~off
    return _Fit(T, iterations, deviation, last, converged)


def _apply_factors(design: SurveyDesign, cells: _Cells, fit: _Fit, groups, step) -> SurveyDesign:
    """Each respondent's weight (and replicate weights) times its cell's raking factor; the
    design records the step and the linearisation adjustment of the raking."""
    T0, cell_of = cells.T0, cells.cell_of
    factor = np.divide(fit.T, T0, out=np.zeros_like(fit.T), where=T0 > 0)
    new = design.weights * factor[:, 0][cell_of]
    rep = design.replicate_weights
    if isinstance(rep, FactorReplicates):
        rep = rep.with_layer(cell_of, factor[:, 1:])
    elif rep is not None:
        rep = np.asarray(rep) * factor[cell_of, 1:]
    margin_factors = np.divide(fit.last_sweep, T0[:, :1], out=np.zeros_like(fit.last_sweep),
                               where=T0[:, :1] > 0)
    adjustment = RakeAdjustment(groups, cell_of, design.weights,
                                [p[2] for p in cells.plans], margin_factors)
    return design.with_weights(new, rep, step, calibration=adjustment)


def _cell_totals(design: SurveyDesign, cell_of: np.ndarray, n_cells: int) -> np.ndarray:
    """Weighted totals per cell: column 0 the weights, then every replicate.

    Every total adds its respondents in respondent order, from zero (a bincount for the
    weights; for the replicates, a sparse product over the rows gathered cell by cell), so the
    totals are the same whatever the blocking, the threads or the cluster's partition."""
    rep = design.replicate_weights
    R = 0 if rep is None else rep.shape[1]
    T0 = np.zeros((n_cells, 1 + R))  # cells no respondent falls in stay 0
    T0[:, 0] = _weight_totals(design, cell_of, n_cells)
    if not R:
        return T0
    order = np.argsort(cell_of, kind="stable")
    bounds = np.searchsorted(cell_of[order], np.arange(n_cells + 1))
    # blocks of whole cells, about _BLOCK_CELLS replicate cells each
    rows_per_block = max(1, _BLOCK_CELLS // R)
    cuts = np.unique(np.r_[0, np.searchsorted(bounds, np.arange(0, design.n, rows_per_block),
                                              side="right") - 1])
    cuts = np.append(cuts[cuts < n_cells], n_cells)

    def block(b):
        c_lo, c_hi = int(cuts[b]), int(cuts[b + 1])
        rows = order[bounds[c_lo]:bounds[c_hi]]
        # the cells' indicator over their own rows (sparse products add in row order)
        ind = sparse.csr_matrix((np.ones(len(rows)), np.arange(len(rows)),
                                 bounds[c_lo:c_hi + 1] - bounds[c_lo]),
                                shape=(c_hi - c_lo, len(rows)))
        T0[c_lo:c_hi, 1:] = ind @ replicate_block(rep, 0, R, rows)

    run_parallel(block, len(cuts) - 1)
    return T0


#: Replicate cells (rows x replicates) gathered at once for the cell totals (128 MB of float64).
_BLOCK_CELLS = 1 << 24


def _weight_totals(design: SurveyDesign, cell_of: np.ndarray, n_cells: int) -> np.ndarray:
    return np.bincount(cell_of, weights=design.weights, minlength=n_cells)


# -- margins ------------------------------------------------------------------------------------

def category_codes(values: pd.Series, categories: list[str]) -> np.ndarray:
    """Position of each value's category key in ``categories`` (-1 if absent), one lookup per
    distinct value."""
    where = {c: i for i, c in enumerate(categories)}
    if values.dtype.kind in "iu" and len(values):  # small integer codes: a table, no hashing
        x = values.to_numpy()
        lo, hi = int(x.min()), int(x.max())
        if hi - lo <= 1 << 16:
            lut = np.array([where.get(str(v), -1) for v in range(lo, hi + 1)], dtype=np.int64)
            return lut[x - lo]
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
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
            raise WeightingError(f"{_where(by, g)}proportions of margin {v!r} sum to {s:.6g}, not 1 "
                                 "(a category left out? if they are rounded shares, divide each by "
                                 "their sum; population counts go in a 'count' column)")
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


# -- small helpers ------------------------------------------------------------------------------

def _group_codes(data: pd.DataFrame, by: str | None, step: str = "rake"):
    if by is None:
        return np.zeros(len(data), dtype=np.int64), ["all"]
    if by not in data.columns:
        raise WeightingError(f"cannot {step} by {by!r}: no such column; columns: {list(data.columns)}")
    col = data[by]
    codes, names = pd.factorize(col if pd.api.types.is_string_dtype(col.dtype)
                                and col.dtype != object else col.astype(str), sort=True)
    return codes.astype(np.int64), list(names)


def _cells(groups, cat_codes, sizes):
    """Number the cells of group x categories; return (count, cell of each respondent, each
    cell's group and category codes). Mixed-radix keys make it one O(n) pass; a grid no larger
    than the data is used whole (its empty cells stay 0 and change no sum), a larger one is
    numbered by its occupied cells."""
    total = int(np.prod(np.array(sizes, dtype=float)))
    if total > 1 << 40:
        keys = np.column_stack([groups, *cat_codes])
        uniq, cell_of = np.unique(keys, axis=0, return_inverse=True)
        return len(uniq), cell_of.ravel(), [uniq[:, k] for k in range(uniq.shape[1])]
    key = groups.astype(np.int64)
    for code, k in zip(cat_codes, sizes[1:]):
        key *= k
        key += code
    if total <= len(key) + (1 << 16):
        uniq, cell_of = np.arange(total), key
    elif total <= 8 * len(key) + (1 << 20):
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


def _indicator(cell_of: np.ndarray, n_cells: int):
    """The sparse cells x respondents indicator."""
    return sparse.csr_matrix((np.ones(len(cell_of)), (cell_of, np.arange(len(cell_of)))),
                             shape=(n_cells, len(cell_of)))


def _sum_by(T, codes, size) -> np.ndarray:
    A = sparse.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))),
                          shape=(size, len(codes)))
    return np.asarray(A @ T)


def _where(by, group) -> str:
    return f"{by} {group}: " if by else ""
