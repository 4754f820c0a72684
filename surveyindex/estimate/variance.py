"""Design variances: Taylor linearisation (R ``svyrecvar``) and replicate variance.

The Taylor variance of an estimator is the variance of the estimated total of its influence
values. Stage one sums them to PSU totals within strata; with a first-stage fpc, later stages add
their own within-cluster terms multiplied by the earlier sampling fractions (R's default
``survey.ultimate.cluster = FALSE``). Weighting steps first adjust the influence values
(:mod:`surveyindex.design.linearization`).
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd
from scipy import sparse

from ..design import SurveyDesign, calibrated_influence, replicate_block
from ..errors import EstimationError, require

_LAYOUTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def taylor_variance(design, rows: np.ndarray, Z: np.ndarray, cov: bool = False) -> np.ndarray:
    """Variance (or, with ``cov``, covariance matrix) of the totals of influence columns ``Z``.

    ``Z`` has one row per entry of ``rows`` (respondent positions) and is zero elsewhere.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> d = si.make_design(pd.DataFrame({"y": [1.0, 2, 3, 4, 5]}), strata=None)
    >>> y = np.arange(1.0, 6)
    >>> float(taylor_variance(d, np.arange(5), (y - 3)[:, None] / 5)[0])   # s^2 / n = 2.5 / 5
    0.5
    """
    rows = np.asarray(rows, dtype=np.int64)
    Z = np.asarray(Z, float).reshape(len(rows), -1)
    rows, Z = calibrated_influence(design, rows, Z)
    lay = _layout(design)
    V = _stage(Z, lay["stages"][0], rows, design.lonely_psu, cov, 1)
    for s, st in enumerate(lay["stages"][1:], start=2):
        V = V + _stage(Z, st, rows, design.lonely_psu, cov, s)
    return V


def taylor_variances(design, parts: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Taylor variances of several domains at once: ``parts`` lists (rows, Z) per domain.

    Domains whose influence values, once spread over their weighting groups, fall in disjoint
    sets of strata do not interact in any sum, so they go through the weighting adjustments and
    the stratum sums together, in one pass, and each domain's variance is the sum of its own
    strata's terms. This is the usual case (domains by country, weighting and strata by
    country) and saves the per-call cost of many small domains. Other designs (later stages,
    ``lonely_psu="average"``, overlapping strata) take the domains one at a time.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> d = si.make_design(pd.DataFrame({"country": list("AAABBB")}), strata="country")
    >>> y = np.array([1.0, 2, 3, 5, 5, 8])
    >>> parts = [(np.arange(3), (y[:3] - 2)[:, None] / 3), (np.arange(3, 6), (y[3:] - 6)[:, None] / 3)]
    >>> taylor_variances(d, parts).round(6).ravel().tolist()   # s^2 / n per country
    [0.333333, 1.0]
    """
    V = parts[0][1].shape[1] if parts else 0
    out = np.zeros((len(parts), V))
    lay = _layout(design)
    alone = list(range(len(parts)))
    if len(parts) > 1 and len(lay["stages"]) == 1 and design.lonely_psu != "average":
        st = lay["stages"][0]
        stratum_of_row = st["parent_of_unit"][st["unit_of"]]
        owner = np.full(len(st["n"]), -1, dtype=np.int64)
        together, alone = [], []
        for k, (rows, _) in enumerate(parts):
            strata = np.unique(stratum_of_row[_spread(design, rows)])
            if (owner[strata] == -1).all():
                owner[strata] = k
                together.append(k)
            else:
                alone.append(k)
        if together:
            rows = np.concatenate([np.asarray(parts[k][0], np.int64) for k in together])
            Z = np.concatenate([np.asarray(parts[k][1], float).reshape(len(parts[k][0]), V)
                                for k in together])
            rows, Z = calibrated_influence(design, rows, Z)
            per_stratum = _stage(Z, st, rows, design.lonely_psu, False, 1, by_parent=True,
                                 overwrite=True)
            hit = owner >= 0
            np.add.at(out, owner[hit], per_stratum[hit])
    for k in alone:
        out[k] = taylor_variance(design, *parts[k])
    return out


def _spread(design, rows: np.ndarray) -> np.ndarray:
    """The rows a weighting adjustment can move influence to: every weighting group touched."""
    if not design.calibration:
        return rows
    keep = np.zeros(design.n, dtype=bool)
    keep[rows] = True
    for adj in design.calibration:
        if adj.groups is None:
            return np.arange(design.n)
        touched = np.zeros(int(adj.groups.max()) + 1, dtype=bool)
        touched[adj.groups[keep]] = True
        keep |= touched[adj.groups]
    return np.flatnonzero(keep)


def replicate_variance(design, full: np.ndarray, reps: np.ndarray) -> np.ndarray:
    """``scale * sum_r rscale_r (theta_r - centre)^2`` over the last axis of ``reps``.

    The centre is the mean of the replicates, or the full-sample estimate when the design says
    ``replicate_mse`` (R ``svrepdesign(mse=)``).

    >>> import numpy as np, pandas as pd
    >>> from surveyindex.design import SurveyDesign
    >>> d = SurveyDesign(pd.DataFrame(index=range(2)), np.ones(2), replicate_weights=np.ones((2, 2)),
    ...                  replicate_scale=1.0)
    >>> float(replicate_variance(d, np.array(2.75), np.array([2.5, 3.0])))
    0.125
    """
    return _replicate_var(full, reps, design.replicate_scale, design.replicate_rscales,
                          design.replicate_mse)


def replicate_se(theta: np.ndarray, scale: float, rscales: np.ndarray | None = None,
                 mse: bool = False) -> np.ndarray:
    """Replicate SE of a derived quantity along the last axis of ``theta``, whose first entry
    is the full-sample value and the rest one value per replicate (an index score, a rank, a
    difference computed the same way on every weight column). The variance is
    :func:`replicate_variance`'s, with the design's ``scale``, ``rscales`` and ``mse``.

    Hand check: replicates 1 and 3 around their mean 2, scale 0.5: sqrt(0.5 * (1 + 1)) = 1.

    >>> float(replicate_se(np.array([5.0, 1.0, 3.0]), scale=0.5))
    1.0
    """
    return np.sqrt(_replicate_var(theta[..., 0], theta[..., 1:], scale, rscales, mse))


def _replicate_var(full, reps, scale, rscales, mse) -> np.ndarray:
    centre = full[..., None] if mse else reps.mean(axis=-1, keepdims=True)
    dev2 = (reps - centre) ** 2
    if rscales is not None:
        dev2 = dev2 * rscales
    return scale * dev2.sum(axis=-1)


def degrees_of_freedom(design) -> int:
    """Design degrees of freedom as R ``degf``: PSUs minus strata, or for a replicate design the
    rank of its replicate weights minus one (so a JKn design with 3 strata loses 3, not 1).

    >>> import pandas as pd, surveyindex as si
    >>> d = si.make_design(pd.DataFrame({"country": list("AABBB")}), strata="country")
    >>> degrees_of_freedom(d)
    3
    >>> degrees_of_freedom(d.with_replicates("JKn"))
    3
    """
    require(design, SurveyDesign, "design", "a SurveyDesign (si.make_design(...))", EstimationError)
    if design.replicate_weights is not None:
        df = _DF.get(design)
        if df is None:
            df = _DF[design] = _replicate_rank(design) - 1
        return df
    st = _layout(design)["stages"][0]
    return int(len(st["parent_of_unit"]) - len(st["n"]))


_DF: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _replicate_rank(design, budget: int = 1 << 24) -> int:
    """Rank of the (n, R) replicate weights from the eigenvalues of their R x R cross-product,
    accumulated over row blocks (the matrix itself is never held); R's qr tolerance of 1e-5 on
    singular values is 1e-10 on these eigenvalues."""
    R = design.replicate_weights.shape[1]
    gram = np.zeros((R, R))
    step = max(1, budget // R)
    for r0 in range(0, design.n, step):
        W = replicate_block(design.replicate_weights, 0, R, slice(r0, r0 + step))
        gram += W.T @ W
    s = np.linalg.eigvalsh(gram)
    return int((s > s.max() * 1e-10).sum()) if s.max() > 0 else 0


# -- the stage sums -----------------------------------------------------------------------------

def _stage(Z, st, rows, lonely, cov, stage, by_parent: bool = False,
           overwrite: bool = False) -> np.ndarray:
    unit = st["unit_of"][rows]
    if st["singletons"]:     # every unit one respondent: the rows are the unit totals
        units, totals = unit, Z
    else:
        units, local = np.unique(unit, return_inverse=True)
        totals = np.asarray(_indicator(local, len(units)) @ Z)
    parent = st["parent_of_unit"][units]
    P = len(st["n"])
    n, f, mult = st["n"], st["f"], st["mult"]
    s1 = np.asarray(_indicator(parent, P) @ totals)
    lone = n == 1
    certain = f < 1e-7
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(lone, f, f * n / (n - 1)) * mult
        centre = np.where(lone & (lonely == "adjust"), 0.0, 1.0 / n)
    scale = np.where(certain, 0.0, scale)
    present = np.zeros(P, dtype=bool)
    present[parent] = True
    bad = lone & ~certain & present
    if bad.any() and lonely == "fail":
        raise EstimationError(
            f"stratum {st['names'][int(np.flatnonzero(bad)[0])]} has only one PSU at stage "
            f"{stage}: its variance cannot be estimated. Merge it with another stratum or pass "
            "lonely_psu='certainty', 'remove', 'adjust' or 'average' to make_design")
    if lonely in ("certainty", "remove"):
        scale = np.where(lone, 0.0, scale)
    # ``overwrite``: the caller's Z is a temporary, so the deviations may take its place.
    wdev = np.subtract(totals, (s1 * centre[:, None])[parent],
                       out=totals if overwrite or totals is not Z else None)
    wdev *= np.sqrt(scale[parent])[:, None]
    if lonely == "average" and stage == 1:
        wdev = np.where(lone[parent][:, None], 0.0, wdev)
        # Centred on its own mean, every PSU absent from the rows still deviates by -mean.
    absent = (n - np.bincount(parent, minlength=P)) * scale
    mean = s1 * centre[:, None]
    if lonely == "average" and stage == 1:
        absent = np.where(lone, 0.0, absent)
    if by_parent:       # each stratum's term, (P, V); the caller sums them by domain
        np.square(wdev, out=wdev)
        return np.asarray(_indicator(parent, P) @ wdev) + absent[:, None] * mean ** 2
    if cov:
        V = wdev.T @ wdev + (mean * absent[:, None]).T @ mean
    else:
        V = (wdev ** 2).sum(axis=0) + (absent[:, None] * mean ** 2).sum(axis=0)
    if lonely == "average" and stage == 1 and lone.any():
        V = V * len(n) / (len(n) - lone.sum())
    return V


def _layout(design) -> dict:
    """Per stage: each respondent's unit, each unit's parent (stratum or cluster), and per parent
    the units sampled (in the whole design), the fpc factor and earlier sampling fractions."""
    lay = _LAYOUTS.get(design)
    if lay is not None:
        return lay
    n = design.n
    strata = design.strata if design.strata is not None else np.zeros(n, dtype=np.int64)
    ids = [design.psu if design.psu is not None else np.arange(n), *design.stages]
    fpcs = [design.fpc, *design.stage_fpc]
    parent = np.asarray(strata, np.int64)
    mult_row = np.ones(n)
    stages = []
    for k, ident in enumerate(ids):
        if k > 0 and design.fpc is None:
            break            # R adds later stages only when the first has an fpc
        unit_of = pd.factorize(parent.astype(np.int64) * (int(ident.max()) + 1)
                               + np.asarray(ident, np.int64))[0]
        first = np.unique(unit_of, return_index=True)[1]
        parent_of_unit = parent[first]
        P = int(parent.max()) + 1
        n_p = np.bincount(parent_of_unit, minlength=P).astype(float)
        first_row_of_parent = np.full(P, -1, dtype=np.int64)
        first_row_of_parent[parent[::-1]] = np.arange(n)[::-1]
        fpc = fpcs[k] if k < len(fpcs) else None
        if fpc is None:
            f = np.ones(P)
            frac_row = None
        else:
            N = fpc[first_row_of_parent]
            frac = np.where(N <= 1, N, n_p / N)
            f = 1 - frac
            frac_row = frac[parent]
        stages.append({"unit_of": unit_of, "parent_of_unit": parent_of_unit, "n": n_p, "f": f,
                       "singletons": len(first) == n,
                       "mult": mult_row[first_row_of_parent],
                       "names": np.arange(P) if k > 0 else _stratum_names(design, P)})
        if frac_row is None:
            break
        mult_row = mult_row * frac_row
        parent = unit_of
    lay = {"stages": stages}
    _LAYOUTS[design] = lay
    return lay


def _stratum_names(design, P):
    """Stratum labels for messages: make_design codes the sorted values of its strata column."""
    column = design.steps[0].get("strata") if design.steps else None
    if isinstance(column, str) and column in design.data.columns:
        labels = np.sort(design.data[column].dropna().unique())
        if len(labels) == P:
            return labels
    return np.arange(P)


def _indicator(codes: np.ndarray, size: int):
    return sparse.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))),
                             shape=(size, len(codes)))
