"""The composite index with uncertainty on every score, rank, difference and count.

Everything is computed once with the analysis weights and once with each replicate weight column;
the spread of the replicate results gives the standard errors and intervals. A paired difference
(US minus China) is formed within each replicate, so the covariance of the two ratings, made by the
same respondents, is accounted for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.stats.multitest import multipletests

from ..design import SurveyDesign
from ..errors import EstimationError
from ..estimate import estimate_means
from ..instrument import audience_mask
from .scoring import score_dimensions


@dataclass(frozen=True, eq=False)
class IndexResult:
    """Tidy tables of the index, plus the replicate arrays needed for further comparisons.

    Tables (pandas DataFrames, domain columns first): ``items`` (weighted item means on the
    response scale), ``dimensions`` (mean on the response scale and 0-100 score), ``composite``
    (0-100 index with rank and rank interval among countries), ``comparison`` (paired differences
    between the first two targets) and ``leads`` (in how many countries each target leads).
    """

    items: pd.DataFrame
    dimensions: pd.DataFrame
    composite: pd.DataFrame
    comparison: pd.DataFrame
    leads: pd.DataFrame
    settings: dict
    _arrays: dict = field(repr=False)

    def compare(self, a: str, b: str, level: float | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Paired differences ``a - b`` per country, audience and measure, and the k-of-n summary.

        >>> import surveyindex as si
        >>> res = si.run_pipeline(replicates=20, seed=1).index     # doctest: +SKIP
        >>> diffs, leads = res.compare("CHN", "USA")                # doctest: +SKIP
        """
        level = self.settings["level"] if level is None else level
        targets = self.settings["targets"]
        for t in (a, b):
            if t not in targets:
                raise EstimationError(f"target {t!r} is not in the index; targets: {targets}")
        return _compare(self._arrays, targets.index(a), targets.index(b), a, b, level)

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return "<h4>Composite index</h4>" + self.composite.to_html(index=False, float_format="%.2f")


def compute_index(design: SurveyDesign, audiences: list[str] | None = None, *,
                  min_valid_items: int | None = None, level: float = 0.95) -> IndexResult:
    """Item means, dimension scores and the 0-100 composite per country x target x audience.

    The design must carry replicate weights (``design.with_replicates(...)``, then weighting), so
    that every derived number, including ranks and counts, has an interval.

    Dimension score (0-100) = ``100 * (mean - scale_min) / (scale_max - scale_min)`` of the weighted
    mean of respondents' dimension scores; the composite is the weighted arithmetic mean of the
    dimension scores with the instrument's dimension weights (equal by default).

    >>> import surveyindex as si
    >>> inst = si.load_instrument("softpower")
    >>> r = si.read_responses(si.sample_paths()["responses"], inst)
    >>> d = si.make_design(r).with_replicates("bootstrap", n=10, seed=1)
    >>> res = compute_index(d, audiences=["all"])
    >>> sorted(res.composite.columns)[:4]
    ['audience', 'ci_high', 'ci_low', 'country']
    """
    resp = design.responses
    if resp is None:
        raise EstimationError("the design was not built from responses: use "
                              "si.make_design(si.read_responses(...))")
    if design.replicate_weights is None:
        raise EstimationError("compute_index needs replicate weights to carry uncertainty through "
                              "the index: call design.with_replicates('bootstrap', n=200, seed=1) "
                              "before weighting")
    inst = resp.instrument
    audiences = audiences or ["all", *[a for a in inst.audiences if a != "all"]]
    targets, dims, items = inst.target_codes, inst.dimension_ids, inst.item_ids
    T, K, J = len(targets), len(dims), len(items)
    scores = score_dimensions(resp, min_valid_items)
    Y = np.concatenate([resp.values.reshape(design.n, T * J), scores.reshape(design.n, T * K)], 1)
    lo, hi = inst.index.scale
    smin = np.array([inst.scales[d.scale].min for d in inst.dimensions], float)
    smax = np.array([inst.scales[d.scale].max for d in inst.dimensions], float)
    dim_w = np.array([inst.dimension_weight_vector()[d] for d in dims])
    z = norm.ppf(0.5 + level / 2)

    per_aud = []
    for aud in audiences:
        est = estimate_means(design, Y, by="country", where=audience_mask(inst, design.data, aud),
                             method="replicate")
        countries = est.domains["country"].tolist()
        C, R = len(countries), design.n_replicates
        full = np.concatenate([est.estimate[:, :, None], est.replicates], axis=2)  # (C, V, 1+R)
        item_m = full[:, : T * J].reshape(C, T, J, 1 + R)
        dim_m = full[:, T * J:].reshape(C, T, K, 1 + R)
        dim_s = lo + (hi - lo) * (dim_m - smin[:, None]) / (smax - smin)[:, None]
        comp = np.einsum("ctkr,k->ctr", dim_s, dim_w)
        per_aud.append({
            "audience": aud, "countries": countries, "item_mean": item_m, "dim_mean": dim_m,
            "dim_score": dim_s, "composite": comp,
            "n_items": est.n[:, : T * J].reshape(C, T, J),
            "n_dims": est.n[:, T * J:].reshape(C, T, K),
            "neff_dims": est.n_eff[:, T * J:].reshape(C, T, K),
        })
    arrays = {"per_audience": per_aud, "scale": design.replicate_scale, "dims": dims,
              "targets": targets, "items": items, "item_dims": [d.id for d, _ in inst.items()], "z": z}
    comparison, leads = (_compare(arrays, 0, 1, targets[0], targets[1], level) if T >= 2
                         else (pd.DataFrame(), pd.DataFrame()))
    settings = {"targets": targets, "dimensions": dims, "audiences": audiences, "level": level,
                "scale": (lo, hi), "dimension_weights": dict(zip(dims, dim_w.tolist())),
                "aggregation": inst.index.aggregation,
                "min_valid_items": min_valid_items or inst.scoring.min_valid_items,
                "replicates": design.n_replicates, "replicate_type": design.replicate_type}
    return IndexResult(
        items=_items_table(arrays), dimensions=_dimensions_table(arrays),
        composite=_composite_table(arrays), comparison=comparison, leads=leads,
        settings=settings, _arrays=arrays,
    )


# -- tables -------------------------------------------------------------------------------------

def _se(full: np.ndarray, scale: float) -> np.ndarray:
    """Replicate SE along the last axis, whose first entry is the full-sample estimate."""
    reps = full[..., 1:]
    return np.sqrt(scale * ((reps - reps.mean(axis=-1, keepdims=True)) ** 2).sum(axis=-1))


def _grid(countries, targets, inner=None, inner_name=None) -> dict:
    """Country x target (x inner) label columns in C-order, matching array.reshape(-1)."""
    if inner is None:
        return {"country": np.repeat(countries, len(targets)), "target": np.tile(targets, len(countries))}
    k = len(inner)
    return {"country": np.repeat(countries, len(targets) * k),
            "target": np.tile(np.repeat(targets, k), len(countries)),
            inner_name: np.tile(inner, len(countries) * len(targets))}


def _items_table(arrays) -> pd.DataFrame:
    out = []
    z, scale = arrays["z"], arrays["scale"]
    for a in arrays["per_audience"]:
        m, se = a["item_mean"][..., 0], _se(a["item_mean"], scale)
        g = _grid(a["countries"], arrays["targets"], arrays["items"], "item")
        df = pd.DataFrame({**g, "audience": a["audience"]})
        df.insert(3, "dimension", np.tile(arrays["item_dims"], len(a["countries"]) * len(arrays["targets"])))
        df["estimate"], df["se"] = m.ravel(), se.ravel()
        df["ci_low"], df["ci_high"] = df.estimate - z * df.se, df.estimate + z * df.se
        df["n"] = a["n_items"].ravel()
        out.append(df)
    return _tidy(pd.concat(out, ignore_index=True), ["country", "target", "audience", "dimension", "item"])


def _dimensions_table(arrays) -> pd.DataFrame:
    out = []
    z, scale = arrays["z"], arrays["scale"]
    for a in arrays["per_audience"]:
        g = _grid(a["countries"], arrays["targets"], arrays["dims"], "dimension")
        df = pd.DataFrame({**g, "audience": a["audience"]})
        df["mean"], df["mean_se"] = a["dim_mean"][..., 0].ravel(), _se(a["dim_mean"], scale).ravel()
        df["score"], df["se"] = a["dim_score"][..., 0].ravel(), _se(a["dim_score"], scale).ravel()
        df["ci_low"], df["ci_high"] = df.score - z * df.se, df.score + z * df.se
        df["n"], df["n_eff"] = a["n_dims"].ravel(), a["neff_dims"].ravel()
        out.append(df)
    return _tidy(pd.concat(out, ignore_index=True), ["country", "target", "audience", "dimension"])


def _composite_table(arrays) -> pd.DataFrame:
    out = []
    z, scale = arrays["z"], arrays["scale"]
    for a in arrays["per_audience"]:
        comp = a["composite"]                                           # (C, T, 1+R)
        df = pd.DataFrame({**_grid(a["countries"], arrays["targets"]), "audience": a["audience"]})
        df["score"], df["se"] = comp[..., 0].ravel(), _se(comp, scale).ravel()
        df["ci_low"], df["ci_high"] = df.score - z * df.se, df.score + z * df.se
        df["n"] = a["n_dims"].min(axis=2).ravel()
        rank, low, high = _ranks(comp)
        df["rank"], df["rank_low"], df["rank_high"] = rank.ravel(), low.ravel(), high.ravel()
        out.append(df)
    return _tidy(pd.concat(out, ignore_index=True), ["country", "target", "audience"])


def _ranks(comp: np.ndarray):
    """Rank of each country per target (1 = highest), and its 95% interval over replicates."""
    filled = np.where(np.isnan(comp), -np.inf, comp)
    ranks = (-filled).argsort(axis=0).argsort(axis=0) + 1.0
    ranks[np.isnan(comp)] = np.nan
    reps = ranks[..., 1:]
    return ranks[..., 0], np.percentile(reps, 2.5, axis=-1), np.percentile(reps, 97.5, axis=-1)


def _compare(arrays, ia: int, ib: int, a: str, b: str, level: float):
    z = norm.ppf(0.5 + level / 2)
    alpha = 1 - level
    scale = arrays["scale"]
    rows, leads = [], []
    measures = [*arrays["dims"], "composite"]
    for aud in arrays["per_audience"]:
        C = len(aud["countries"])
        both = np.concatenate([aud["dim_score"], aud["composite"][:, :, None, :]], axis=2)
        sa, sb = both[:, ia], both[:, ib]                              # (C, M, 1+R)
        diff = sa - sb
        se = _se(diff, scale)
        est = diff[..., 0]
        with np.errstate(invalid="ignore", divide="ignore"):
            p = 2 * norm.sf(np.abs(est / se))
        for m, measure in enumerate(measures):
            ok = ~np.isnan(p[:, m])
            p_adj = np.full(C, np.nan)
            if ok.any():
                p_adj[ok] = multipletests(p[ok, m], alpha=alpha, method="holm")[1]
            sig = p_adj < alpha
            rows.append(pd.DataFrame({
                "country": aud["countries"], "audience": aud["audience"], "measure": measure,
                "target_a": a, "target_b": b, "score_a": sa[:, m, 0], "score_b": sb[:, m, 0],
                "difference": est[:, m], "se": se[:, m],
                "ci_low": est[:, m] - z * se[:, m], "ci_high": est[:, m] + z * se[:, m],
                "p_value": p[:, m], "p_holm": p_adj, "significant": sig,
            }).loc[ok])
            d = diff[ok, m]                                             # (C_ok, 1+R)
            if len(d) == 0:
                continue
            a_counts, b_counts = (d > 0).sum(axis=0), (d < 0).sum(axis=0)
            leads.append({
                "audience": aud["audience"], "measure": measure, "target_a": a, "target_b": b,
                "n_countries": int(ok.sum()),
                "a_leads": int(a_counts[0]),
                "a_leads_ci_low": float(np.percentile(a_counts[1:], 100 * alpha / 2)),
                "a_leads_ci_high": float(np.percentile(a_counts[1:], 100 * (1 - alpha / 2))),
                "a_leads_significant": int((sig[ok] & (d[:, 0] > 0)).sum()),
                "b_leads": int(b_counts[0]),
                "b_leads_ci_low": float(np.percentile(b_counts[1:], 100 * alpha / 2)),
                "b_leads_ci_high": float(np.percentile(b_counts[1:], 100 * (1 - alpha / 2))),
                "b_leads_significant": int((sig[ok] & (d[:, 0] < 0)).sum()),
            })
    return pd.concat(rows, ignore_index=True), pd.DataFrame(leads)


def _tidy(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Drop domains with no respondents (an audience absent from a country)."""
    value = "score" if "score" in df.columns else "estimate"
    return df[df["n"] > 0].dropna(subset=[value], how="all").reset_index(drop=True)[
        keys + [c for c in df.columns if c not in keys]]
