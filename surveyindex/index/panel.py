"""The panel component of a change between waves: covariance from respondents in both waves.

When the same people answer two waves, their two estimates are positively correlated and the
variance of the change is ``V_a + V_b - 2 Cov(a, b)``, smaller than for independent samples. The
covariance is estimated by linearisation from the overlap (Kish 1965, section 12.4; Wolter 2007,
ch. 6): each wave's estimate of a domain mean has influence values
``z_i = w_i (y_i - ybar) / sum(w)`` (adjusted for the wave's raking, as its own Taylor variance
is); the two waves' respondents are pooled per country into one with-replacement sample of
``N_u`` units (the union of respondents, a panel member counted once, holding both of their
influence values), and the covariance is the cross term of the usual stratified variance,
``N_u / (N_u - 1) * sum_i (z_ai - zbar_a)(z_bi - zbar_b)``, computed by the design package's
own :func:`~surveyindex.estimate.variance.taylor_variance` on that pooled sample. Only panel
members carry both values, so only they contribute (the centring terms are zero for means).
This is the covariance a replicate design drawn over the union (a panel member keeping the same
replicate factor in both waves) estimates, without requiring the waves' replicates to be built
together. What the change uses is the correlation this gives, ``C / sqrt(V_a V_b)`` with the
variances from the same pooled computation, times the two waves' replicate SEs: the variances
of a change are then the replicate variances throughout (as for independent samples), and a
wave compared with an identical copy of itself has a change of SE 0.

Normalised dimension scores and the composite are smooth functions of the dimension means of
their own country and target; their correlation is carried through by the chain rule, with the
gradient estimated from each wave's replicates (the least-squares slope of the score on the
means over the replicates). For the default index (linear rescaling, fixed weights, arithmetic
aggregation) that gradient is exact; for data-driven normalisations and weights it is a
first-order approximation that ignores the (small) dependence on other countries' means.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..design import SurveyDesign, calibrated_influence
from ..errors import EstimationError
from ..estimate import taylor_variance
from .scoring import score_dimensions


def panel_pairs(design_a: SurveyDesign, design_b: SurveyDesign, panel_id: str,
                country: str = "country") -> tuple[np.ndarray, np.ndarray]:
    """Row positions ``(rows_a, rows_b)`` of the respondents present in both waves.

    A respondent is the same person when ``panel_id`` and the country agree; an id found in
    two countries is an error (it cannot be one person sampled in both).

    >>> import pandas as pd, surveyindex as si
    >>> a = si.make_design(pd.DataFrame({"country": ["X"] * 3, "id": [1, 2, 3]}))
    >>> b = si.make_design(pd.DataFrame({"country": ["X"] * 3, "id": [3, 4, 1]}))
    >>> [p.tolist() for p in panel_pairs(a, b, "id")]
    [[0, 2], [2, 0]]
    """
    for d, name in ((design_a, "first"), (design_b, "second")):
        if panel_id not in d.data.columns:
            layout = getattr(getattr(d.responses, "instrument", None), "layout", None)
            hint = ""
            if layout is not None and layout.respondent_id == panel_id:
                # read_responses renames the layout's respondent id column to resp_id
                hint = (f" (the instrument's layout reads {panel_id!r} as the respondent id, "
                        "resp_id: pass panel_id='resp_id')")
            raise EstimationError(f"panel_id {panel_id!r} is not a column of the {name} wave's "
                                  f"data{hint}; columns: {list(d.data.columns)}")
        if d.data[panel_id].duplicated().any():
            dup = d.data[panel_id][d.data[panel_id].duplicated()].iloc[0]
            raise EstimationError(f"panel_id {panel_id!r} repeats within the {name} wave "
                                  f"(e.g. {dup!r}): it must identify one respondent")
    a = pd.DataFrame({"id": design_a.data[panel_id].astype(str).to_numpy(),
                      "country": design_a.data[country].astype(str).to_numpy(),
                      "row_a": np.arange(design_a.n)})
    b = pd.DataFrame({"id": design_b.data[panel_id].astype(str).to_numpy(),
                      "country_b": design_b.data[country].astype(str).to_numpy(),
                      "row_b": np.arange(design_b.n)})
    m = a.merge(b, on="id", how="inner", sort=False)
    moved = m["country"] != m["country_b"]
    if moved.any():
        r = m[moved].iloc[0]
        raise EstimationError(f"respondent {r['id']!r} ({panel_id}) is in {r['country']} in one "
                              f"wave and {r['country_b']} in the other: ids must be unique "
                              "across countries for a panel")
    return m["row_a"].to_numpy(np.int64), m["row_b"].to_numpy(np.int64)


def overlap_covariance(waves: tuple, pairs: tuple[np.ndarray, np.ndarray],
                       country: str = "country") -> dict:
    """Covariance between two waves' domain means, from the respondents in both.

    ``waves`` holds, for each of the two waves, ``(design, masks, per_audience, method)``: the
    design, the audience masks, and the index arrays and scoring method
    :func:`~surveyindex.index.compute_index` used. Returns, per audience name, ``items``
    (3, C, T, J) and ``dims`` (3, C, T, K, K): the linearised covariance of wave a's with wave
    b's means (index 0), and the variances of wave a's (1) and of wave b's (2), for each item
    and each pair of dimensions, for the countries both waves have (in wave a's order), with
    ``countries`` and ``n_panel`` (panel members per country).
    """
    (da, masks_a, per_a, ma), (db, masks_b, per_b, mb) = waves
    rows_a, rows_b = pairs
    ya, yb = _respondent_values(da, ma), _respondent_values(db, mb)
    ca = da.data[country].astype(str).to_numpy()
    cb = db.data[country].astype(str).to_numpy()
    out = {}
    for aud_a in per_a:
        name = aud_a["audience"]
        aud_b = next((x for x in per_b if x["audience"] == name), None)
        if aud_b is None:
            continue
        countries = [c for c in aud_a["countries"] if c in aud_b["countries"]]
        T, J = aud_a["item_mean"].shape[1:3]
        K = aud_a["dim_mean"].shape[2]
        items = np.zeros((3, len(countries), T, J))
        dims = np.zeros((3, len(countries), T, K, K))
        n_panel = np.zeros(len(countries), dtype=np.int64)
        for i, c in enumerate(countries):
            ka, kb = aud_a["countries"].index(c), aud_b["countries"].index(c)
            in_a = masks_a[name] & (ca == c)
            in_b = masks_b[name] & (cb == c)
            both = in_a[rows_a] & in_b[rows_b]
            n_panel[i] = int(both.sum())
            if n_panel[i] < 2:
                continue
            za, ext_a = _influence(da, ya, ca == c, in_a, _centres(aud_a, ka))
            zb, ext_b = _influence(db, yb, cb == c, in_b, _centres(aud_b, kb))
            full = _cross(za, ext_a, zb, ext_b, rows_a[ca[rows_a] == c],
                          rows_b[ca[rows_a] == c])
            V, P = T * J, za.shape[1]
            for q, (r0, c0) in enumerate(((0, P), (0, 0), (P, P))):     # ab, aa, bb
                block = full[r0:r0 + P, c0:c0 + P]
                items[q, i] = np.diagonal(block[:V, :V]).reshape(T, J)
                for t in range(T):
                    sl = slice(V + t * K, V + (t + 1) * K)
                    dims[q, i, t] = block[sl, sl]
        out[name] = {"countries": countries, "items": items, "dims": dims, "n_panel": n_panel}
    return out


def score_gradients(dim_mean: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Least-squares slopes of ``values`` (..., 1 + R) on the dimension means (..., K, 1 + R)
    over the replicates: the gradient of each score with respect to its unit's means.

    Exact when the score is linear in the means, e.g. ``5 + 2 m1 - m2``:

    >>> rng = np.random.default_rng(1)
    >>> m = rng.normal(size=(1, 2, 31))
    >>> score_gradients(m, 5 + 2 * m[:, 0] - m[:, 1]).round(10).tolist()
    [[2.0, -1.0]]
    """
    X = dim_mean[..., 1:] - dim_mean[..., 1:].mean(axis=-1, keepdims=True)   # (..., K, R)
    y = values[..., 1:] - values[..., 1:].mean(axis=-1, keepdims=True)       # (..., R)
    xtx = np.einsum("...kr,...lr->...kl", X, X)
    xty = np.einsum("...kr,...r->...k", X, y)
    ok = np.isfinite(xtx).all(axis=(-1, -2)) & np.isfinite(xty).all(axis=-1)
    g = np.full(xty.shape, np.nan)
    if ok.any():
        g[ok] = np.einsum("...kl,...l->...k", np.linalg.pinv(xtx[ok]), xty[ok])
    return g


# -- helpers ------------------------------------------------------------------------------------

def _respondent_values(design, method: dict) -> np.ndarray:
    """Item values and dimension scores, (n, T * J + T * K), in the index's block order."""
    resp = design.responses
    n = design.n
    scores = score_dimensions(resp, method.get("min_valid_items"),
                              scoring=method.get("scoring", "mean"),
                              dont_know=method.get("dont_know", "exclude"),
                              top=method.get("top"), bottom=method.get("bottom"))
    return np.concatenate([resp.values.reshape(n, -1), scores.reshape(n, -1)], axis=1)


def _centres(aud: dict, k: int) -> np.ndarray:
    return np.concatenate([aud["item_mean"][k, ..., 0].ravel(), aud["dim_mean"][k, ..., 0].ravel()])


def _influence(design, Y, stratum, mask, centre):
    """Influence values of the domain means (mask) of every column, raking-adjusted, on every
    row of the country (the stratum: units outside the domain count, with zeros, as in R)."""
    rows = np.flatnonzero(stratum)
    y = Y[rows]
    valid = ~np.isnan(y) & mask[rows][:, None]
    w = design.weights[rows][:, None] * valid
    total = w.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(valid, w * (np.nan_to_num(y) - np.nan_to_num(centre)) / total, 0.0)
    z[:, total == 0] = 0.0
    ext, z = calibrated_influence(design, rows, z)
    return z, ext


def _cross(za, ext_a, zb, ext_b, pair_a, pair_b) -> np.ndarray:
    """Covariance matrix of both waves' influence totals over the pooled units, (2V, 2V): wave
    a's variables first, then wave b's."""
    pos_a = np.full(int(max(ext_a.max(initial=-1), pair_a.max(initial=-1))) + 1, -1)
    pos_a[ext_a] = np.arange(len(ext_a))
    pos_b = np.full(int(max(ext_b.max(initial=-1), pair_b.max(initial=-1))) + 1, -1)
    pos_b[ext_b] = np.arange(len(ext_b))
    # The pooled sample: wave a's rows, then wave b's rows that are not panel members.
    paired_b = np.zeros(len(ext_b), dtype=bool)
    ia, ib = pos_a[pair_a], pos_b[pair_b]
    keep = (ia >= 0) & (ib >= 0)
    ia, ib = ia[keep], ib[keep]
    paired_b[ib] = True
    n_u = len(ext_a) + int((~paired_b).sum())
    V = za.shape[1]
    Z = np.zeros((n_u, 2 * V))
    Z[:len(ext_a), :V] = za
    Z[ia, V:] = zb[ib]
    Z[len(ext_a):, V:] = zb[~paired_b]
    pooled = SurveyDesign(pd.DataFrame(index=range(n_u)), np.ones(n_u))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        full = taylor_variance(pooled, np.arange(n_u), Z, cov=True)
    return np.asarray(full)
