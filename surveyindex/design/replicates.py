"""Replicate weights: Rao-Wu bootstrap, JK1, JKn, BRR and Fay, from strata and PSUs.

Each builder returns a new design whose replicate weights are already multiplied by the current
weights (R's ``combined.weights=TRUE``), with the scale factors R ``survey`` uses, so that
``estimate_means(..., method="replicate")`` reproduces ``svymean`` on ``as.svrepdesign``.
"""

from __future__ import annotations

import threading

import numpy as np

from .._threads import Pipeline
from ..errors import WeightingError
from .design import SurveyDesign
from .repweights import FactorReplicates

METHODS = ("bootstrap", "JK1", "JKn", "BRR", "Fay")


def replicate_design(design: SurveyDesign, method: str = "bootstrap", n: int = 200,
                     seed: int | None = None, fay_rho: float = 0.3) -> SurveyDesign:
    """Add replicate weights built by ``method`` (one of ``bootstrap, JK1, JKn, BRR, Fay``).

    ``n`` and ``seed`` apply to the bootstrap; ``fay_rho`` to Fay's method. The jackknives and
    BRR make as many replicates as their construction needs (PSUs; a Hadamard order).

    >>> import pandas as pd, surveyindex as si
    >>> d = si.make_design(pd.DataFrame({"country": ["A", "A", "B", "B"]}), strata="country")
    >>> d.with_replicates("BRR").replicate_weights.tolist()
    [[2.0, 0.0, 2.0, 0.0], [0.0, 2.0, 0.0, 2.0], [2.0, 2.0, 0.0, 0.0], [0.0, 0.0, 2.0, 2.0]]
    """
    for name, value in (("n", n), ("seed", seed)):
        if isinstance(value, (str, bytes, float, bool)):
            raise WeightingError(f"replicates: {name} must be a whole number, not {value!r}")
    builders = {"bootstrap": lambda: bootstrap_replicates(design, n=n, seed=seed),
                "JK1": lambda: jk1_replicates(design), "JKn": lambda: jkn_replicates(design),
                "BRR": lambda: brr_replicates(design),
                "Fay": lambda: brr_replicates(design, fay_rho=fay_rho)}
    if method not in builders:
        raise WeightingError(f"replicate method {method!r} is not available; use one of "
                             f"{list(METHODS)}")
    return builders[method]()


def bootstrap_replicates(design: SurveyDesign, n: int = 200, seed: int | None = None
                         ) -> SurveyDesign:
    """Add ``n`` Rao-Wu rescaled bootstrap replicate weights (Rao, Wu and Yue 1992).

    Within each stratum of ``n_h`` PSUs, ``n_h - 1`` PSUs are drawn with replacement; a PSU drawn
    ``m`` times gets its weights multiplied by ``m * n_h / (n_h - 1)``. Without PSUs each respondent
    is a PSU. The variance of an estimate is ``sum((theta_r - mean(theta_r))**2) / (n - 1)``, as for
    R ``survey``'s ``as.svrepdesign(type="bootstrap")``. Weighting applied after this step (raking)
    is applied to every replicate too. The same seed always gives the same replicates.

    The replicates are stored compactly (draw counts, one byte per PSU and replicate; see
    :class:`~surveyindex.design.repweights.FactorReplicates`).

    >>> import pandas as pd, surveyindex as si
    >>> d = si.make_design(pd.DataFrame({"country": ["A"] * 3 + ["B"] * 2}), strata="country")
    >>> b = d.with_replicates("bootstrap", n=4, seed=1)
    >>> b.replicate_weights.shape
    (5, 4)
    >>> bool((b.replicate_weights[:3].sum(axis=0) == 3).all())  # stratum totals are kept
    True
    """
    if n < 2:
        raise WeightingError(f"bootstrap needs at least 2 replicates, got n={n}")
    if seed is None:
        raise WeightingError("bootstrap replicates need an explicit seed (e.g. seed=1) so that "
                             "results can be reproduced")
    rng = np.random.default_rng(seed)
    strata, psu_of, stratum_of_psu, n_h = _psu_layout(design)
    _no_lonely(n_h, "the bootstrap", design)
    P = len(stratum_of_psu)
    # A PSU is drawn about Poisson(1) times, so one byte holds it; widen only if ever needed.
    counts = [np.zeros((P, n), dtype=np.uint8)]
    order = np.argsort(stratum_of_psu, kind="stable")
    starts = np.searchsorted(stratum_of_psu[order], np.arange(len(n_h) + 1))
    chunk = max(1, (1 << 23) // max(int(n_h.max()), 1))

    lock = threading.Lock()

    def count(members, c0, m, draws):
        # the draws counted per PSU, one replicate at a time (a histogram of the stratum's
        # PSUs stays in cache), narrowed before the transposed write
        block = np.empty((draws.shape[0], m), dtype=np.int64)
        for r, row in enumerate(draws):
            block[r] = np.bincount(row, minlength=m)
        with lock:  # blocks fill disjoint cells; widening replaces the array
            if block.max() > np.iinfo(counts[0].dtype).max:
                counts[0] = counts[0].astype(np.uint32)
            counts[0][members, c0:c0 + len(block)] = block.astype(counts[0].dtype).T

    # One random stream, drawn in order; blocks already drawn are counted on other threads
    # while the next is drawn (the numbers are the same either way).
    with Pipeline() as later:
        for h in range(len(n_h)):
            members, m = order[starts[h]:starts[h + 1]], int(n_h[h])
            if m and members[-1] - members[0] + 1 == m and (np.diff(members) == 1).all():
                members = slice(int(members[0]), int(members[-1]) + 1)  # a run: no gather
            for c0 in range(0, n, chunk):
                c = min(chunk, n - c0)
                later(count, members, c0, m, rng.integers(0, m, size=(c, m - 1)))
    counts = counts[0]
    unit = (n_h / (n_h - 1.0))[stratum_of_psu][psu_of]
    rep = FactorReplicates(design.weights, unit, psu_of, counts)
    return design.with_weights(
        design.weights, rep, {"step": "replicates", "type": "bootstrap", "replicates": n,
                              "seed": seed},
        replicate_type="bootstrap", replicate_scale=1.0 / (n - 1), replicate_rscales=None,
        replicate_mse=False)


def jk1_replicates(design: SurveyDesign) -> SurveyDesign:
    """Delete-one-PSU jackknife over all PSUs (R ``as.svrepdesign(type="JK1")``).

    Replicate ``r`` drops PSU ``r`` (PSUs in order of first appearance) and multiplies the
    others by ``n / (n - 1)``; scale ``(n - 1) / n``, times ``1 - n / N`` when the design has an
    fpc, as R does.

    >>> import pandas as pd, surveyindex as si
    >>> d = si.make_design(pd.DataFrame({"y": [1.0, 2, 3]}), strata=None)
    >>> j = d.with_replicates("JK1")
    >>> j.replicate_weights.tolist(), round(j.replicate_scale, 4)
    ([[0.0, 1.5, 1.5], [1.5, 0.0, 1.5], [1.5, 1.5, 0.0]], 0.6667)
    """
    psu = design.psu if design.psu is not None else np.arange(design.n)
    _, first, psu_of = np.unique(psu, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    psu_of = rank[psu_of.ravel()]
    n = len(first)
    if n < 2:
        raise WeightingError("JK1 needs at least 2 PSUs")
    factor = np.full((design.n, n), n / (n - 1.0))
    factor[np.arange(design.n), psu_of] = 0.0
    scale = (n - 1.0) / n
    if design.fpc is not None:
        N = float(design.fpc[0])
        scale *= 1 - (N if N <= 1 else n / N)
    return _with_dense(design, factor, "JK1", scale, None)


def jkn_replicates(design: SurveyDesign) -> SurveyDesign:
    """Stratified delete-one-PSU jackknife (R ``as.svrepdesign(type="JKn")``).

    A replicate drops one PSU of stratum ``h`` and multiplies the rest of that stratum by
    ``n_h / (n_h - 1)``; its ``rscale`` is ``(n_h - 1) / n_h``, times ``1 - n_h / N_h`` with an fpc.

    >>> import pandas as pd, surveyindex as si
    >>> d = si.make_design(pd.DataFrame({"country": ["A", "A", "B", "B", "B"]}), strata="country")
    >>> j = d.with_replicates("JKn")
    >>> j.n_replicates, j.replicate_rscales.round(3).tolist()
    (5, [0.5, 0.5, 0.667, 0.667, 0.667])
    """
    strata, psu_of, stratum_of_psu, n_h = _psu_layout(design)
    _no_lonely(n_h, "the JKn jackknife", design)
    P = len(stratum_of_psu)
    order = np.lexsort((np.arange(P), stratum_of_psu))   # replicates grouped by stratum
    col_of_psu = np.empty(P, dtype=np.int64)
    col_of_psu[order] = np.arange(P)
    same_stratum = strata[:, None] == stratum_of_psu[order][None, :]
    factor = np.where(same_stratum, (n_h / (n_h - 1.0))[strata][:, None], 1.0)
    factor[np.arange(design.n), col_of_psu[psu_of]] = 0.0
    h_of_rep = stratum_of_psu[order]
    rscales = ((n_h - 1.0) / n_h)[h_of_rep]
    if design.fpc is not None:
        N_h = np.zeros(len(n_h))
        N_h[strata] = design.fpc
        rscales = rscales * (1 - np.where(N_h <= 1, N_h, n_h / N_h))[h_of_rep]
    return _with_dense(design, factor, "JKn", 1.0, rscales)


def brr_replicates(design: SurveyDesign, fay_rho: float = 0.0) -> SurveyDesign:
    """Balanced repeated replication (Fay's variant when ``fay_rho > 0``), two PSUs per stratum.

    Replicate ``r`` multiplies the first PSU of stratum ``h`` (in order of appearance) by
    ``2 - rho`` and the second by ``rho`` when column ``h + 1`` of a Hadamard matrix is +1 in row
    ``r``, and the reverse when it is -1. Scale ``1 / (R (1 - rho)^2)``. With full orthogonal
    balance the BRR variance of a total equals the stratified with-replacement variance
    (Wolter 2007, ch. 3), the identity the tests check.

    >>> import pandas as pd, surveyindex as si
    >>> d = si.make_design(pd.DataFrame({"country": ["A", "A"]}), strata="country")
    >>> d.with_replicates("Fay", fay_rho=0.5).replicate_weights.tolist()
    [[1.5, 0.5], [0.5, 1.5]]
    """
    if not 0 <= fay_rho < 1:
        raise WeightingError(f"fay_rho must be in [0, 1), not {fay_rho}")
    strata, psu_of, stratum_of_psu, n_h = _psu_layout(design)
    if (n_h != 2).any():
        h = int(np.flatnonzero(n_h != 2)[0])
        raise WeightingError(f"BRR needs exactly 2 PSUs in every stratum; "
                             f"{stratum_name(design, h)} has "
                             f"{int(n_h[h])}: use JKn or the bootstrap")
    H = len(n_h)
    had = hadamard(H + 1)
    R = had.shape[0]
    # Which of the two PSUs of its stratum each PSU is, by order of appearance.
    first_row = np.unique(psu_of, return_index=True)[1]
    second = np.zeros(len(stratum_of_psu), dtype=bool)
    seen = np.zeros(H, dtype=bool)
    for p in np.argsort(first_row, kind="stable"):   # one step per PSU (2 x strata), not rows
        second[p] = seen[stratum_of_psu[p]]
        seen[stratum_of_psu[p]] = True
    sign = had[:, 1:H + 1].T[stratum_of_psu]        # (P, R)
    sign = np.where(second[:, None], -sign, sign)
    factor = np.where(sign > 0, 2.0 - fay_rho, fay_rho)[psu_of]
    kind = "Fay" if fay_rho > 0 else "BRR"
    return _with_dense(design, factor, kind, 1.0 / (R * (1 - fay_rho) ** 2), None,
                       extra={"fay_rho": fay_rho} if fay_rho else {})


def hadamard(min_order: int) -> np.ndarray:
    """A Hadamard matrix (+1/-1, orthogonal rows) of the smallest order found >= ``min_order``.

    Built by Sylvester doubling from 1, 2 or a Paley (type I) matrix of order ``q + 1`` for a
    prime ``q`` = 3 (mod 4); the first column is all ones.

    >>> h = hadamard(9)
    >>> h.shape, bool((h @ h.T == 12 * np.eye(12)).all())
    ((12, 12), True)
    """
    best = None
    for base in _hadamard_bases(max(min_order, 1)):
        m = base
        while m.shape[0] < min_order:
            m = np.block([[m, m], [m, -m]])
        if best is None or m.shape[0] < best.shape[0]:
            best = m
    return best


# -- helpers ------------------------------------------------------------------------------------

def _hadamard_bases(limit: int):
    yield np.array([[1]])
    for q in range(3, 2 * limit + 4, 4):
        if all(q % d for d in range(2, int(q ** 0.5) + 1)):
            yield _paley(q)


def _paley(q: int) -> np.ndarray:
    squares = {(i * i) % q for i in range(1, q)}
    chi = np.array([0] + [1 if i in squares else -1 for i in range(1, q)])
    Q = chi[(np.arange(q)[None, :] - np.arange(q)[:, None]) % q]
    S = np.zeros((q + 1, q + 1), dtype=np.int64)
    S[0, 1:], S[1:, 0], S[1:, 1:] = 1, -1, Q
    H = S + np.eye(q + 1, dtype=np.int64)
    # Normalise so the first column is all ones (multiply rows by their first entry).
    return H * H[:, :1]


def _psu_layout(design: SurveyDesign):
    """Stratum codes, global PSU index per respondent, stratum of each PSU, PSUs per stratum."""
    n = design.n
    strata = design.strata if design.strata is not None else np.zeros(n, dtype=np.int64)
    psu = design.psu if design.psu is not None else np.arange(n)
    stratum_of_psu, psu_of = _pairs(strata, psu)
    n_h = np.bincount(stratum_of_psu, minlength=int(strata.max()) + 1).astype(float)
    return strata, psu_of.ravel(), stratum_of_psu, n_h


def _pairs(strata: np.ndarray, psu: np.ndarray):
    """The distinct (stratum, PSU) pairs in sorted order: each pair's stratum, and each row's
    pair, as ``np.unique(np.column_stack([strata, psu]), axis=0, return_inverse=True)`` gives
    them. Non-negative integer codes are sorted as one int64 key (a row-wise unique of an
    (n, 2) array costs ten times more at millions of respondents).

    >>> _pairs(np.array([1, 0, 1, 0]), np.array([5, 2, 5, 3]))
    (array([0, 0, 1]), array([2, 0, 2, 1]))
    """
    if (strata.dtype.kind in "iu" and psu.dtype.kind in "iu" and len(strata)
            and strata.min() >= 0 and psu.min() >= 0):
        m = int(psu.max()) + 1
        if (int(strata.max()) + 1) * m < 2**62:
            key, inverse = np.unique(strata.astype(np.int64) * m + psu.astype(np.int64),
                                     return_inverse=True)
            return key // m, inverse.ravel()
    key, inverse = np.unique(np.column_stack([strata, psu]), axis=0, return_inverse=True)
    return key[:, 0], inverse.ravel()


def _no_lonely(n_h, what: str, design) -> None:
    if (n_h == 1).any():
        h = int(np.flatnonzero(n_h == 1)[0])
        raise WeightingError(f"{stratum_name(design, h)} has only one PSU (one respondent or "
                             f"cluster): {what} cannot estimate its variance; merge it with "
                             "another stratum or leave it out")


def stratum_name(design, h: int) -> str:
    """A stratum as the user knows it ("country ARG"), not by its internal code.

    >>> import pandas as pd, surveyindex as si
    >>> stratum_name(si.make_design(pd.DataFrame({"country": ["A", "B", "B"]}), strata="country"), 0)
    'stratum country A'
    """
    col = next((s.get("strata") for s in design.steps if s.get("step") == "design"), None)
    if design.strata is None or not isinstance(col, str) or col not in design.data.columns:
        return f"stratum {h + 1}"
    rows = np.flatnonzero(design.strata == h)
    if not len(rows):
        return f"stratum {h + 1}"
    value = design.data[col].to_numpy()[rows[0]]
    # "stratum country ARG", but "stratum DEU-1" for a column named stratum (not "stratum stratum")
    return f"stratum {value}" if col.casefold() in ("stratum", "strata") else f"stratum {col} {value}"


def _with_dense(design, factor, kind, scale, rscales, extra=None) -> SurveyDesign:
    rep = design.weights[:, None] * factor
    step = {"step": "replicates", "type": kind, "replicates": factor.shape[1], **(extra or {})}
    return design.with_weights(design.weights, rep, step, replicate_type=kind,
                               replicate_scale=scale, replicate_rscales=rscales,
                               replicate_mse=False)
