"""Post-stratification: weights scaled so each cell's weighted total meets its population count."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import WeightingError, require
from .collapse import collapse_blocks, collapse_options
from .design import SurveyDesign
from .linearization import PostStratAdjustment
from .rake import _group_codes, _where, category_keys
from .repweights import FactorReplicates, column_chunk, replicate_block

_VALUES = ("Freq", "count", "proportion", "total")


def poststratify(design: SurveyDesign, population, variables: list[str] | str | None = None,
                 by: str | None = None, partial: bool = False,
                 collapse: Mapping | int | None = None) -> SurveyDesign:
    """Post-stratify to population cell counts (or shares), within ``by`` groups.

    Parameters
    ----------
    population : a DataFrame with the cell variables (and ``by``) and a ``Freq``, ``count``,
        ``total`` or ``proportion`` column, as R ``postStratify(population=)``; or a dict
        ``{category: value}`` for a single variable named in ``variables``. Proportions are
        shares of each group's current weighted total.
    variables : the cell variables; by default the population table's other columns.
    partial : drop population cells with no respondents instead of raising (R ``partial=TRUE``).
    collapse : opt-in merging of sparse or empty cells, e.g. ``{"min_n": 20}`` (an int is the
        same as ``{"min_n": n}``). Per ``by`` group, the population cells with a positive value,
        in the order of the population table's rows, are merged step by step: the cell with the
        fewest respondents (ties: the first) of those below ``min_n`` merges with its adjacent
        cell that has fewer respondents (ties: the one before it); with several cell variables
        only cells that agree on all but the last variable are adjacent (list an ordered
        variable such as age group last, in order). Population values are summed; a merged
        cell is named by joining its labels with ``+``; every merge is recorded in the step
        record's ``"collapsed"`` list (group, ``cells``, their sample ``n``, the merged
        ``population``). Replicates are post-stratified to the same merged cells. Without it,
        an empty cell is an error (or, with ``partial``, dropped).

    Replicate weights are post-stratified too; the Taylor variance subtracts post-stratum
    means from the influence values as R ``svyrecvar`` does.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"sex": ["m", "m", "f"]})
    >>> d = si.make_design(df, strata=None)
    >>> poststratify(d, {"m": 60, "f": 40}, "sex").weights.tolist()
    [30.0, 30.0, 40.0]
    >>> p = poststratify(d, {"m": 60, "f": 30, "x": 10}, "sex", collapse={"min_n": 1})
    >>> p.weights.tolist(), p.steps[-1]["collapsed"][0]["cells"]
    ([30.0, 30.0, 40.0], ['f', 'x'])
    """
    require(design, SurveyDesign, "design", "a SurveyDesign (si.make_design(...))", WeightingError)
    data = design.data
    groups, group_names = _group_codes(data, by, "post-stratify")
    table, variables = _population_table(population, variables, by)
    for v in variables:
        if v not in data.columns:
            raise WeightingError(f"post-stratification variable {v!r} is not a column of the "
                                 f"data; columns: {list(data.columns)}")
    label = _labels(data, variables)
    table["cell"] = _labels(table, variables)
    table["group"] = table[by].astype(str) if by and by in table.columns else None
    collapsed = []
    if collapse is not None:
        table, label, collapsed = _collapse_cells(table, label, variables, groups, group_names,
                                                  design.weights, by, collapse)
    cell_of, cells = pd.factorize(pd.Series(group_names, dtype=object)[groups].to_numpy()
                                  + "\x1f" + label.to_numpy())
    group_of_cell = groups[np.unique(cell_of, return_index=True)[1]]
    cell_label = label.to_numpy()[np.unique(cell_of, return_index=True)[1]]
    n_cells = len(cells)

    T0 = _cell_totals(design, cell_of, n_cells)
    group_total = np.zeros((len(group_names), T0.shape[1]))
    np.add.at(group_total, group_of_cell, T0)
    target = np.zeros_like(T0)
    for gi, g in enumerate(group_names):
        sub = table if table["group"].isna().all() else table[table["group"] == g]
        if not len(sub):
            raise WeightingError(f"no population cells given for {by} {g!r}")
        if sub["kind"].iloc[0] == "proportion" and abs(sub["value"].sum() - 1) > 1e-6:
            raise WeightingError(f"{_where(by, g)}population proportions sum to "
                                 f"{sub['value'].sum():.6g}, not 1")
        pop = dict(zip(sub["cell"], sub["value"]))
        in_group = np.flatnonzero(group_of_cell == gi)
        for c in in_group:
            if cell_label[c] not in pop or pop[cell_label[c]] <= 0:
                raise WeightingError(
                    f"{_where(by, g)}cell {cell_label[c]!r} ({', '.join(variables)}) has "
                    "respondents but no population count; add it to the population table")
            value = pop[cell_label[c]]
            target[c] = value * group_total[gi] if sub["kind"].iloc[0] == "proportion" else value
        absent = sorted(set(k for k, v in pop.items() if v > 0) - set(cell_label[in_group]))
        if absent and not partial:
            raise WeightingError(f"{_where(by, g)}population cell(s) {absent} have no "
                                 "respondents: collapse them with a neighbouring cell "
                                 "(collapse={'min_n': 1} merges empty cells), or pass "
                                 "partial=True to ignore them (R postStratify(partial=TRUE))")
    if (T0 <= 0).any():
        c, r = (int(x[0]) for x in np.nonzero(T0 <= 0))
        raise WeightingError(f"cell {cell_label[c]!r} has zero weight"
                             + (f" in replicate {r}" if r else ""))
    factor = target / T0
    rep = design.replicate_weights
    if isinstance(rep, FactorReplicates):
        rep = rep.with_layer(cell_of, factor[:, 1:])
    elif rep is not None:
        rep = np.asarray(rep) * factor[cell_of, 1:]
    adj = PostStratAdjustment(groups if by else None, cell_of, design.weights)
    step = {"step": "poststratify", "by": by, "variables": variables, "partial": partial,
            "cells": n_cells, "collapsed": collapsed}
    return design.with_weights(design.weights * factor[cell_of, 0], rep, step, calibration=adj)


def _population_table(population, variables, by) -> tuple[pd.DataFrame, list[str]]:
    if isinstance(variables, str):
        variables = [variables]
    if isinstance(population, Mapping):
        if not variables or len(variables) != 1:
            raise WeightingError("a dict population needs exactly one variable: "
                                 "poststratify(design, {'m': 60, 'f': 40}, 'sex')")
        population = pd.DataFrame({variables[0]: list(population.keys()),
                                   "Freq": list(population.values())})
    if not isinstance(population, pd.DataFrame):
        raise WeightingError("population must be a DataFrame or a dict, not "
                             f"{type(population).__name__}")
    value = next((c for c in _VALUES if c in population.columns), None)
    if value is None:
        raise WeightingError(f"population table needs one of the columns {list(_VALUES)}; "
                             f"got {list(population.columns)}")
    if variables is None:
        variables = [c for c in population.columns if c not in (value, by)]
    vals = pd.to_numeric(population[value], errors="coerce")
    if vals.isna().any() or (vals < 0).any():
        raise WeightingError(f"population {value} must be non-negative numbers; row "
                             f"{int(np.flatnonzero(vals.isna() | (vals < 0))[0])} is not")
    table = population.assign(value=vals, kind="proportion" if value == "proportion" else "count")
    return table.reset_index(drop=True), list(variables)


def _collapse_cells(table, label, variables, groups, group_names, weights, by, collapse):
    """Merge sparse population cells per group (see :func:`poststratify`); returns the new
    population table, the respondents' new cell labels and the record of merges."""
    min_n, _ = collapse_options(collapse, ["cells"])
    key = by or "group"
    label = label.copy()
    group_label = pd.Series(group_names, dtype=object)[groups].to_numpy()
    positive = weights > 0
    counts = pd.Series(1, index=pd.MultiIndex.from_arrays(
        [group_label[positive], label.to_numpy()[positive]])).groupby(level=[0, 1]).sum()
    whole = table["group"].isna().all()
    parts, record = [], []
    for g in group_names:
        sub = table if whole else table[table["group"] == g]
        if not len(sub):
            continue
        cells = sub["cell"].tolist()
        n = [int(counts.get((g, c), 0)) for c in cells]
        segments = (list(zip(*(category_keys(sub[v]).tolist() for v in variables[:-1])))
                    if len(variables) > 1 else None)
        blocks = collapse_blocks(n, sub["value"].to_numpy(float), min_n, segments)
        new_rows, mapping = [], {}
        for b in (b for b in blocks if len(b) > 1):
            name = "+".join(cells[i] for i in b)
            total = float(sub["value"].iloc[b].sum())
            for i in b:
                mapping[cells[i]] = name
            row = sub.iloc[b[0]].copy()
            row["cell"], row["value"] = name, total
            new_rows.append(row)
            record.append({key: g, "cells": [cells[i] for i in b], "n": [n[i] for i in b],
                           "population": total})
        keep = sub[~sub["cell"].isin(mapping)]
        part = pd.concat([keep, pd.DataFrame(new_rows)], ignore_index=True) if new_rows else keep
        # One population table for every group: each group merges on its own counts, so the
        # result is a table per group.
        parts.append(part.assign(group=g))
        if mapping:
            in_g = group_label == g
            label[in_g] = label[in_g].replace(mapping)
    return pd.concat(parts, ignore_index=True), label, record


def _labels(frame: pd.DataFrame, variables: list[str]) -> pd.Series:
    parts = [category_keys(frame[v]) for v in variables]
    out = parts[0]
    for p in parts[1:]:
        out = out + " x " + p
    return out.reset_index(drop=True)


def _cell_totals(design, cell_of, n_cells) -> np.ndarray:
    rep = design.replicate_weights
    R = 0 if rep is None else rep.shape[1]
    T0 = np.empty((n_cells, 1 + R))
    T0[:, 0] = np.bincount(cell_of, weights=design.weights, minlength=n_cells)
    step = column_chunk(design.n, R) if R else 1
    for c0 in range(0, R, step):
        c1 = min(R, c0 + step)
        block = replicate_block(rep, c0, c1)
        for j in range(c1 - c0):
            T0[:, 1 + c0 + j] = np.bincount(cell_of, weights=block[:, j], minlength=n_cells)
    return T0
