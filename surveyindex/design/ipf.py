"""Iterative proportional fitting of a raking cell table, and its stopping rules.

The cell table has one row per occupied group x margin-category cell and one column per weight
(the analysis weights, then every replicate). A *plan* is one margin: ``(variable, categories,
index, A, target)`` with ``index`` the row of the group x category of every cell, ``A`` the
sparse (group x category) x cell indicator and ``target`` the totals to reach.

Stopping rules (``rule``), applied per weight column:
  ``"categories"``  every margin category within ``tolerance`` of its target, relative to the
                    target (R ``calibrate()``'s and svy's rule);
  ``"margins"``     every margin category within ``tolerance`` times the group's total.
"""

from __future__ import annotations

import numpy as np

from ..errors import WeightingError

RULES = ("categories", "margins")


def ipf(T0, plans, group_total, tolerance, max_iterations, bounds=None, rule="categories"):
    """Rake the cell table until ``rule`` holds; also return the analysis-weight column after
    each margin of the last sweep (what R's linearisation of a raked design uses).

    Returns ``(T, iterations, deviation per group, last sweep)``.
    """
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
        deviation = misfit(T, plans, group_total, rule)
        if deviation.max() <= tolerance:
            return T, it, deviation, last
    return T, max_iterations, deviation, last


def ipf_r(T0, plans, cell_group, eps, maxit):
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


def misfit(T, plans, group_total, rule="categories", per_column: bool = False) -> np.ndarray:
    """Per group (and, with ``per_column``, per weight column): the largest gap between a
    weighted margin category and its target, relative to the target (``"categories"``) or to
    the group's total (``"margins"``)."""
    dev = np.zeros(group_total.shape)
    for _v, cats, _index, A, target in plans:
        gap = _gaps(A @ T, target, group_total, len(cats), rule)
        dev = np.maximum(dev, gap.max(axis=1))
    return dev if per_column else dev.max(axis=1)


def _gaps(current, target, group_total, n_cats, rule):
    """Gaps of one margin, shape (groups, categories, columns), in the rule's terms."""
    gap = np.abs(current - target)
    if rule == "categories":
        # a category without population and without respondents has nothing to miss
        gap = np.divide(gap, target, out=np.zeros_like(gap), where=target > 0)
        return gap.reshape(len(group_total), n_cats, -1)
    return gap.reshape(len(group_total), n_cats, -1) / group_total[:, None, :]


def not_converged(T, plans, group_total, group_names, where, max_iterations, deviation, rule):
    """The WeightingError for analysis weights that did not reach the margins: it names the
    group, the margin and category furthest from its target, and both shares of the total."""
    g = int(np.argmax(deviation))
    worst = None
    for v, cats, _index, A, target in plans:
        cur = A @ T
        gap = _gaps(cur, target, group_total, len(cats), rule)[g, :, 0]
        if worst is None or gap.max() > worst[0]:
            k = int(np.argmax(gap))
            shares = (cur.reshape(len(group_names), len(cats), -1)[g, k, 0] / group_total[g, 0],
                      target.reshape(len(group_names), len(cats), -1)[g, k, 0] / group_total[g, 0])
            worst = (gap.max(), v, cats[k], *shares)
    _, v, c, got, want = worst
    raise WeightingError(
        f"{where(group_names[g])}raking did not converge in {max_iterations} iterations: "
        f"margin {v!r} category {c!r} reaches {got:.6g} of the total against a target of "
        f"{want:.6g}; the margins may conflict (check for empty combinations) or need more "
        "iterations (max_iterations)"
    )
