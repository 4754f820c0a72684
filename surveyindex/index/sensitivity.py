"""Monte Carlo sensitivity analysis over the index's methodological choices.

Following the OECD/JRC Handbook (2008, section 7), each choice (normalisation, dimension weights,
aggregation, minimum-valid-items rule) is an uncertain input factor with a few levels drawn
uniformly and independently; the outputs are each unit's rank among countries. The Monte Carlo
gives each unit's rank distribution, and variance-based first-order and total sensitivity indices
per factor (Saltelli et al. 2010, Table 2: the Saltelli first-order and Jansen total estimators on
the A, B and A_B^(i) sample matrices). Everything is seeded.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from itertools import product

import numpy as np
import pandas as pd

from ..errors import EstimationError
from .uncertainty import ranks


def default_factors(instrument, has_outcome: bool) -> dict[str, list]:
    """The alternatives varied by default.

    >>> import surveyindex as si
    >>> sorted(default_factors(si.load_instrument("softpower"), True))
    ['aggregation', 'min_valid_items', 'normalisation', 'weights']
    """
    smallest = min(len(d.items) for d in instrument.dimensions)
    return {"normalisation": ["scale", "minmax", "rank"],
            "weights": ["equal", "pca"] + (["driver"] if has_outcome else []),
            "aggregation": ["arithmetic", "geometric"],
            "min_valid_items": list(range(1, smallest + 1))}


def sobol_indices(func, levels: list[int], n: int = 256, seed: int = 1):
    """First-order and total sensitivity indices of ``func`` over discrete uniform factors.

    ``func(choice)`` takes a tuple of level indices (one per factor, ``0 <= choice[i] <
    levels[i]``) and returns a 1-D array of outputs; it is called on ``n * (k + 2)`` samples
    (memoise it when evaluations are costly). Returns ``first`` and ``total`` (k, outputs) and the
    outputs on the A and B samples (2n, outputs), whose spread is the outputs' distribution.

    Estimators (Saltelli et al. 2010): ``S_i = mean(f(B) (f(A_B^i) - f(A))) / V`` and
    ``ST_i = mean((f(A) - f(A_B^i))^2) / (2 V)``, ``V`` the variance of f over A and B.

    Hand check: f = x1 with x1 in {0, 1} and x2 irrelevant gives S = ST = (1, 0).

    >>> first, total, _ = sobol_indices(lambda c: np.array([float(c[0])]), [2, 3], n=400)
    >>> first.ravel().round(1).tolist(), total.ravel().round(1).tolist()
    ([1.0, 0.0], [1.0, 0.0])
    """
    rng = np.random.default_rng(seed)
    k = len(levels)
    A = rng.integers(0, levels, size=(n, k))
    B = rng.integers(0, levels, size=(n, k))

    def run(M):
        return np.stack([np.asarray(func(tuple(int(v) for v in row)), float) for row in M])

    fA, fB = run(A), run(B)
    var = np.var(np.concatenate([fA, fB]), axis=0)
    first, total = [], []
    for i in range(k):
        ABi = A.copy()
        ABi[:, i] = B[:, i]
        fABi = run(ABi)
        with np.errstate(invalid="ignore", divide="ignore"):
            first.append(np.mean(fB * (fABi - fA), axis=0) / var)
            total.append(np.mean((fA - fABi) ** 2, axis=0) / (2 * var))
    return np.array(first), np.array(total), np.concatenate([fA, fB])


def sensitivity_analysis(design, method, masks: dict, country_w, *, n: int = 256, seed: int = 1,
                         factors: dict | None = None, level: float = 0.95, client=None,
                         sampling: bool = False):
    """Rank distributions and sensitivity indices for the index computed with ``method``.

    Usually called through ``compute_index(..., sensitivity=n)``, which passes its own method,
    audiences and country weights. Returns two tables: per unit (country, target, audience) its
    rank under ``method`` and the median and central ``level`` interval of its rank over the Monte
    Carlo; and per audience, output (each unit's rank, and ``mean_rank_shift``: the mean absolute
    rank change from ``method``'s ranks, the Handbook's summary) and factor, the first-order and
    total indices. Indices are NaN for a unit whose rank never changes. With ``client`` (a
    ``dask.distributed`` client) the index runs of the combinations drawn are tasks on the
    cluster; the draws and the results are the same as locally.

    With ``sampling=True`` every configuration is evaluated on every replicate weight column
    too, and the tables gain the variance split into method, sampling and interaction parts and
    ``"sampling"`` as a factor; see :mod:`surveyindex.index.sampling_sensitivity` (local only).
    """
    from .compute import index_arrays

    inst = design.responses.instrument
    factors = factors or default_factors(inst, method.driver_outcome in design.responses.single)
    bad = set(factors) - {"normalisation", "weights", "aggregation", "min_valid_items", "scoring",
                          "across", "power", "style_correction"}
    if bad:
        raise EstimationError(f"sensitivity factors {sorted(bad)} are not index options; vary "
                              "normalisation, weights, aggregation, min_valid_items, scoring, "
                              "across, power or style_correction")
    if sampling:
        from .sampling_sensitivity import sampling_sensitivity

        return sampling_sensitivity(design, method, masks, country_w, factors, n=n, seed=seed,
                                    level=level)
    names = list(factors)
    arrays = index_arrays(design, method, masks, country_w, replicates=False)
    base, targets = arrays["per_audience"], arrays["targets"]
    base_rank = np.concatenate([ranks(a["composite"][..., 0], axis=0).ravel() for a in base])
    sizes = [a["composite"][..., 0].size for a in base]
    cache: dict = {}
    levels = [len(v) for v in factors.values()]
    grid = np.prod(levels) <= 4 * n
    done = {}
    if client is not None:
        from .distributed import map_choices

        if grid:
            wanted = list(product(*[range(k) for k in levels]))
        else:       # the draws sobol_indices makes, found by a dry run of the same seed
            seen: dict = {}
            sobol_indices(lambda c: seen.setdefault(c, np.zeros(1)), levels, n, seed)
            wanted = list(seen)
        done = dict(zip(wanted, map_choices(client, choice_ranks, wanted, design, method, masks,
                                            country_w, factors)))

    def evaluate(choice):
        if choice not in cache:
            r = done[choice] if choice in done else choice_ranks(design, method, masks,
                                                                 country_w, factors, choice)
            shifts = [np.nanmean(np.abs(x - y)) for x, y in
                      zip(np.split(r, np.cumsum(sizes)[:-1]), np.split(base_rank, np.cumsum(sizes)[:-1]))]
            cache[choice] = np.concatenate([r, shifts])
        return cache[choice]

    # Evaluate the full grid once when it is small: the Monte Carlo then only looks results up.
    if grid:
        for choice in product(*[range(k) for k in levels]):
            evaluate(choice)
    first, total, samples = sobol_indices(evaluate, levels, n, seed)
    return _tables(base, targets, base_rank, samples, first, total, names, level)


def choice_ranks(design, method, masks: dict, country_w, factors: dict, choice: tuple) -> np.ndarray:
    """Every unit's rank among countries (audiences concatenated) under ``method`` with the
    levels ``choice`` (one index per factor) of the sensitivity ``factors``."""
    from .compute import index_arrays

    m = replace(method, **{f: factors[f][c] for f, c in zip(factors, choice)})
    per = index_arrays(design, m, masks, country_w, replicates=False)["per_audience"]
    return np.concatenate([ranks(a["composite"][..., 0], axis=0).ravel() for a in per])


def _tables(base, targets, base_rank, samples, first, total, names, level):
    a_lo = 100 * (1 - level) / 2
    unit_rows, index_rows = [], []
    start = 0
    for a in base:
        C, T = a["composite"].shape[:2]
        countries = a["countries"]
        sl = slice(start, start + C * T)
        r = samples[:, sl]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            unit_rows.append(pd.DataFrame({
                "country": np.repeat(countries, T), "target": np.tile(targets, C),
                "audience": a["audience"], "rank": base_rank[sl],
                "rank_median": np.nanmedian(r, axis=0),
                "rank_low": np.nanpercentile(r, a_lo, axis=0),
                "rank_high": np.nanpercentile(r, 100 - a_lo, axis=0)}))
        for i, f in enumerate(names):
            index_rows.append(pd.DataFrame({
                "audience": a["audience"], "output": "rank", "country": np.repeat(countries, T),
                "target": np.tile(targets, C), "factor": f,
                "first_order": first[i, sl], "total": total[i, sl]}))
        start += C * T
    shift = samples.shape[1] - len(base)
    for j, a in enumerate(base):
        for i, f in enumerate(names):
            index_rows.append(pd.DataFrame({
                "audience": [a["audience"]], "output": "mean_rank_shift", "country": [None],
                "target": [None], "factor": f, "first_order": first[i, shift + j],
                "total": total[i, shift + j]}))
    return pd.concat(unit_rows, ignore_index=True), pd.concat(index_rows, ignore_index=True)
