"""Post-stratification: weights scaled so each cell's weighted total meets its population count."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import WeightingError
from .design import SurveyDesign
from .linearization import PostStratAdjustment
from .rake import _group_codes, _where, category_keys
from .repweights import FactorReplicates, column_chunk, replicate_block

_VALUES = ("Freq", "count", "proportion", "total")


def poststratify(design: SurveyDesign, population, variables: list[str] | str | None = None,
                 by: str | None = None, partial: bool = False) -> SurveyDesign:
    """Post-stratify to population cell counts (or shares), within ``by`` groups.

    Parameters
    ----------
    population : a DataFrame with the cell variables (and ``by``) and a ``Freq``, ``count``,
        ``total`` or ``proportion`` column, as R ``postStratify(population=)``; or a dict
        ``{category: value}`` for a single variable named in ``variables``. Proportions are
        shares of each group's current weighted total.
    variables : the cell variables; by default the population table's other columns.
    partial : drop population cells with no respondents instead of raising (R ``partial=TRUE``).

    Replicate weights are post-stratified too; the Taylor variance subtracts post-stratum
    means from the influence values as R ``svyrecvar`` does.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"sex": ["m", "m", "f"]})
    >>> d = si.make_design(df, strata=None)
    >>> poststratify(d, {"m": 60, "f": 40}, "sex").weights.tolist()
    [30.0, 30.0, 40.0]
    """
    data = design.data
    groups, group_names = _group_codes(data, by)
    table, variables = _population_table(population, variables, by)
    for v in variables:
        if v not in data.columns:
            raise WeightingError(f"post-stratification variable {v!r} is not a column of the "
                                 f"data; columns: {list(data.columns)}")
    label = _labels(data, variables)
    table["cell"] = _labels(table, variables)
    table["group"] = table[by].astype(str) if by and by in table.columns else None
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
                                 "respondents: collapse them with a neighbouring cell, or pass "
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
            "cells": n_cells}
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
