"""Sensitivity analysis with sampling: method choices and the sample as uncertain inputs together.

The method-only Monte Carlo (:mod:`.sensitivity`) re-runs the index on the full sample. Here
every method configuration drawn is evaluated on every replicate weight column too, so a unit's
rank distribution reflects the choice of method and the sample drawn at once.

The output. For configuration ``m`` let ``theta(m)`` be the full-sample score and ``f(m, r)``
its value with replicate weights ``r``; the replicate ``r`` of the score is taken as

    Y(m, r) = theta(m) + c_r (f(m, r) - fbar(m)),  c_r = sqrt(scale * rscale_r * R),

(``fbar``: the replicates' mean, or ``theta`` for ``mse`` designs), so that over replicates drawn
uniformly ``Y`` has mean ``theta(m)`` and variance the design's replicate variance of
``theta(m)``: a bootstrap replicate is kept almost as it is, a jackknife one is spread out to
the sampling distribution. Ranks are ranks of ``Y`` among countries, per configuration and
replicate. With ``m`` uniform over the factor levels and ``r`` uniform over the replicates, any
output ``Z(m, r)`` (score, rank, mean rank shift) splits orthogonally (two-way ANOVA):

- ``method = Var_m E_r[Z | m]``: for scores, the variance of the full-sample score over methods;
- ``sampling = Var_r E_m[Z | r]``: for scores, the replicate variance of the method-averaged
  score;
- ``interaction = Var Z - method - sampling``: for scores, ``E_m[SE^2(m)] - sampling``, how much
  the sampling variance depends on the method.

Sensitivity indices treat ``"sampling"`` as one more factor: its first-order index is
``sampling / Var Z`` and its total index ``(sampling + interaction) / Var Z``; a method
factor's are ``Var E[Z | x_i] / Var Z`` and ``E Var(Z | everything else) / Var Z``. When the
grid of factor levels is small it is enumerated and all of these are exact expectations over
it (uniform, independent levels; every replicate); otherwise the parts are estimated from the
``2n`` base draws with the crossed-design (ANOVA) corrections for a finite number of draws, and
a method factor's indices by the Saltelli (2010) first-order and Jansen total estimators on the
A, B and A_B^(i) samples, each draw averaged over (first-order) or paired within (total) the
replicates.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from itertools import product

import numpy as np
import pandas as pd

from .uncertainty import ranks


def sampling_sensitivity(design, method, masks: dict, country_w, factors: dict, *,
                         n: int = 256, seed: int = 1, level: float = 0.95,
                         exhaustive: bool | None = None):
    """Per-unit rank distributions and variance split, and sensitivity indices with sampling.

    Usually called through ``compute_index(..., sensitivity=n, sensitivity_sampling=True)``.
    Returns ``(units, indices)``: per unit (country, target, audience) its rank and score under
    ``method``, the median and central ``level`` interval of its rank over methods and
    replicates, and the variance of its score and of its rank with their ``method``,
    ``sampling`` and ``interaction`` parts; per audience, output (``score``, ``rank``,
    ``mean_rank_shift``) and factor (the method factors and ``"sampling"``), first-order and
    total indices. ``exhaustive``: evaluate the whole grid of factor levels and give exact
    parts and indices (default: when the grid has at most ``4 n`` points), or use the Monte
    Carlo draws only (``False``).
    """
    from .compute import index_arrays

    names = list(factors)
    levels = [len(factors[f]) for f in names]
    rng = np.random.default_rng(seed)
    k = len(names)
    A = rng.integers(0, levels, size=(n, k))
    B = rng.integers(0, levels, size=(n, k))
    AB = [np.where(np.arange(k) == i, B, A) for i in range(k)]
    exact = int(np.prod(levels)) <= 4 * n if exhaustive is None else exhaustive
    grid = (np.array(list(product(*[range(v) for v in levels])))
            if exact else np.unique(np.concatenate([A, B, *AB]), axis=0))
    lookup = {tuple(row): g for g, row in enumerate(grid)}
    memo: dict = {}
    base = index_arrays(design, method, masks, country_w, replicates=True, memo=memo)
    units = _units(base["per_audience"], base["targets"])
    base_score = np.concatenate([a["composite"][..., 0].ravel() for a in base["per_audience"]])
    base_rank = np.concatenate([ranks(a["composite"][..., 0], axis=0).ravel()
                                for a in base["per_audience"]])
    c = _spread(design)
    Z = np.stack([_outputs(index_arrays(
        design, replace(method, **{f: factors[f][v] for f, v in zip(names, row)}), masks,
        country_w, replicates=True, memo=memo)["per_audience"], c, base_rank, design.replicate_mse)
        for row in grid])                                               # (G, R, U)
    if exact:
        pi = np.full(len(grid), 1.0 / len(grid))
        draws = None
    else:
        idx = np.array([lookup[tuple(r)] for r in np.concatenate([A, B])])
        pi = np.bincount(idx, minlength=len(grid)) / len(idx)
        draws = len(idx)
    parts = variance_split(Z, pi, draws)
    if exact:
        first, total = exact_indices(Z, levels, parts["total"])
    else:
        gA, gB = ([lookup[tuple(r)] for r in M] for M in (A, B))
        first, total = _method_indices(Z, gA, gB, [[lookup[tuple(r)] for r in M] for M in AB],
                                       parts["total"])
    U = len(base_score)
    table = _unit_table(units, base_score, base_rank, Z[..., U:2 * U], pi, parts, U, level)
    return table, _index_table(units, base["per_audience"], names, first, total, parts, U)


def variance_split(Z: np.ndarray, pi: np.ndarray, draws: int | None = None) -> dict:
    """Split the variance of ``Z`` (G, R, U) over configurations (weights ``pi``) x replicates.

    Returns ``method``, ``sampling``, ``interaction`` and ``total`` (U,). With ``draws=None``
    the configurations are the whole population of methods (exact); with ``draws`` they are a
    Monte Carlo sample of that many draws (``pi`` their frequencies) and the parts are the
    unbiased crossed-design (two-way random effects) estimates.

    Hand check, two methods x two replicates, Z = [[0, 2], [4, 10]]: method means 1 and 7
    (method variance 9), replicate means 2 and 6 (sampling variance 4), residuals +-1
    (interaction 1); total 14, the variance of (0, 2, 4, 10).

    >>> p = variance_split(np.array([[[0.0], [2.0]], [[4.0], [10.0]]]), np.array([0.5, 0.5]))
    >>> [float(p[k][0]) for k in ("method", "sampling", "interaction", "total")]
    [9.0, 4.0, 1.0, 14.0]
    """
    R = Z.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        row = Z.mean(axis=1)                                   # E_r[Z | m]   (G, U)
        grand = pi @ row
        col = np.einsum("g,gru->ru", pi, Z)                    # E_m[Z | r]   (R, U)
        resid = Z - row[:, None, :] - col[None] + grand
        method = pi @ (row - grand) ** 2
        sampling = ((col - grand) ** 2).mean(axis=0)
        interaction = np.einsum("g,gru->u", pi, resid ** 2) / R
    if draws is not None and draws > 1:
        f = draws / (draws - 1)
        method, interaction = method * f, interaction * f
        sampling = sampling - interaction / draws
    # Rounding leaves ~1e-29 where an output never changes: that is zero (indices then NaN).
    tiny = 1e-12 * (1 + grand ** 2)
    method, sampling, interaction = (np.where(np.abs(x) < tiny, 0.0, x)
                                     for x in (method, sampling, interaction))
    return {"method": method, "sampling": sampling, "interaction": interaction,
            "total": method + sampling + interaction}


def _spread(design) -> np.ndarray:
    """``c_r = sqrt(scale * rscale_r * R)`` for each replicate column."""
    R = design.n_replicates
    rs = np.ones(R) if design.replicate_rscales is None else np.asarray(design.replicate_rscales)
    return np.sqrt(design.replicate_scale * rs * R)


def _outputs(per_audience, c, base_rank, mse) -> np.ndarray:
    """(R, U) outputs of one configuration: replicate scores Y, their ranks, mean rank shifts."""
    scores, rank_list, shifts = [], [], []
    start = 0
    for a in per_audience:
        comp = a["composite"]                                  # (C, T, 1 + R)
        theta, f = comp[..., :1], comp[..., 1:]
        centre = theta if mse else f.mean(axis=-1, keepdims=True)
        Y = theta + c * (f - centre)
        rk = ranks(Y, axis=0)
        size = Y.shape[0] * Y.shape[1]
        scores.append(Y.reshape(size, -1))
        rank_list.append(rk.reshape(size, -1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            shifts.append(np.nanmean(np.abs(rk.reshape(size, -1)
                                            - base_rank[start:start + size, None]), axis=0))
        start += size
    return np.concatenate([*scores, *rank_list, np.stack(shifts)]).T


def exact_indices(Z, levels, total):
    """First-order ``Var E[Z | x_i] / V`` and total ``E Var(Z | x_~i, r) / V`` (k, U) of each
    method factor, over the whole grid (rows of ``Z`` in ``itertools.product`` order).

    Hand check: ``Z = 2 x1 + (x2 + 1) s_r`` with ``x1, x2`` in {0, 1} and ``s = (-1, 1)``:
    ``Var Z = 1 + 2.5 = 3.5``; ``x1`` explains 1 alone and in total; ``x2`` nothing alone and
    ``Var(x2) = 0.25`` with the sampling.

    >>> Z = np.array([[[2 * a + (b + 1) * s] for s in (-1, 1)] for a in (0, 1) for b in (0, 1)])
    >>> first, total = exact_indices(Z.astype(float), [2, 2], np.array([3.5]))
    >>> (first * 3.5).ravel().tolist(), (total * 3.5).ravel().tolist()
    ([1.0, 0.0], [1.0, 0.25])
    """
    k = len(levels)
    cube = Z.reshape(*levels, *Z.shape[1:])                  # (L1, ..., Lk, R, U)
    row = cube.mean(axis=k)                                  # E_r              (L..., U)
    first, tot = [], []
    with np.errstate(invalid="ignore", divide="ignore"):
        for i in range(k):
            others = tuple(j for j in range(k) if j != i)
            cond = row.mean(axis=others) if others else row  # E[Z | x_i]       (L_i, U)
            first.append(cond.var(axis=0) / total)
            tot.append(cube.var(axis=i).mean(axis=tuple(range(k))) / total)
    return np.array(first), np.array(tot)


def _method_indices(Z, gA, gB, gAB, total):
    """Saltelli first-order and Jansen total indices (k, U) of the method factors."""
    row = Z.mean(axis=1)
    fA, fB = row[gA], row[gB]
    fB = fB - np.concatenate([fA, fB]).mean(axis=0)      # centred: far less Monte Carlo noise
    first, tot = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for g in gAB:
            first.append(np.mean(fB * (row[g] - fA), axis=0) / total)
            pairs, counts = np.unique(np.column_stack([gA, g]), axis=0, return_counts=True)
            d = np.zeros(Z.shape[2])
            for s in range(0, len(pairs), 64):                 # (pairs, R, U) in chunks
                p, w = pairs[s:s + 64], counts[s:s + 64]
                d += w @ ((Z[p[:, 0]] - Z[p[:, 1]]) ** 2).mean(axis=1)
            tot.append(d / len(gA) / (2 * total))
    return np.array(first), np.array(tot)


def _units(per_audience, targets) -> pd.DataFrame:
    return pd.concat([pd.DataFrame({
        "country": np.repeat(a["countries"], len(targets)),
        "target": np.tile(targets, len(a["countries"])), "audience": a["audience"]})
        for a in per_audience], ignore_index=True)


def _weighted_quantiles(Z, pi, qs) -> list[np.ndarray]:
    """Inverse-CDF quantiles per unit of ``Z`` (G, R, U) with weight ``pi_g / R`` per cell."""
    G, R, U = Z.shape
    vals = Z.reshape(G * R, U)
    w = np.repeat(pi / R, R)
    order = np.argsort(vals, axis=0, kind="stable")
    sv = np.take_along_axis(vals, order, axis=0)
    cw = np.cumsum(w[order], axis=0)
    out = []
    for q in qs:
        pos = (cw >= q * cw[-1] - 1e-12).argmax(axis=0)
        out.append(sv[pos, np.arange(U)])
    return out


def _unit_table(units, base_score, base_rank, Zrank, pi, parts, U, level):
    a = (1 - level) / 2
    med, lo, hi = _weighted_quantiles(Zrank, pi, [0.5, a, 1 - a])
    t = units.assign(rank=base_rank, rank_median=med, rank_low=lo, rank_high=hi,
                     score=base_score)
    for out, sl in (("score", slice(0, U)), ("rank", slice(U, 2 * U))):
        t[f"{out}_var"] = parts["total"][sl]
        for p in ("method", "sampling", "interaction"):
            t[f"{out}_var_{p}"] = parts[p][sl]
    return t


def _index_table(units, per_audience, names, first, total, parts, U):
    rows = []
    with np.errstate(invalid="ignore", divide="ignore"):
        s_first = parts["sampling"] / parts["total"]
        s_total = (parts["sampling"] + parts["interaction"]) / parts["total"]
    F = np.vstack([first, s_first])
    T = np.vstack([total, s_total])
    for out, sl in (("score", slice(0, U)), ("rank", slice(U, 2 * U))):
        for i, f in enumerate([*names, "sampling"]):
            rows.append(units.assign(output=out, factor=f, first_order=F[i, sl],
                                     total=T[i, sl]))
    for j, a in enumerate(per_audience):
        for i, f in enumerate([*names, "sampling"]):
            rows.append(pd.DataFrame({"audience": [a["audience"]], "output": "mean_rank_shift",
                                      "country": [None], "target": [None], "factor": f,
                                      "first_order": F[i, 2 * U + j],
                                      "total": T[i, 2 * U + j]}))
    cols = ["audience", "output", "country", "target", "factor", "first_order", "total"]
    return pd.concat(rows, ignore_index=True)[cols]
