"""The composite index with uncertainty on every score, rank, difference and count.

Respondents are scored (:mod:`.scoring`); weighted domain means of the scores are computed once
with the analysis weights and once with each replicate weight column (one matrix product,
:func:`surveyindex.estimate_means`); then normalisation, dimension weights, aggregation, pooling
across countries, ranks and differences are applied to the whole (..., 1 + R) array at once, so
each derived number has a replicate distribution and therefore an SE and an interval.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..design import SurveyDesign
from ..errors import EstimationError, require
from ..estimate import check_level, means_of_block_groups
from ..instrument import audience_mask
from . import result as tables
from .aggregate import aggregate, pool
from .favourability import favourability_blocks, favourability_table
from .normalise import normalise
from .scoring import item_bounds, score_bounds
from .style_correction import respondent_scores
from .uncertainty import paired_differences
from .weights import driver_weights, factor_weights, fixed_weights, pca_weights


@dataclass(frozen=True)
class IndexMethod:
    """The methodological choices of an index (see :func:`compute_index` for each option)."""

    scoring: str = "mean"
    dont_know: str = "exclude"
    refused: str = "exclude"
    top: float | None = None
    bottom: float | None = None
    min_valid_items: int | None = None
    normalisation: str = "scale"
    across: str = "countries"
    reference: str | None = None
    goalposts: tuple | None = None
    weights: object = "instrument"
    n_factors: int | None = None
    driver_outcome: str = "fav"
    aggregation: str = "arithmetic"
    power: float = 0.5
    pooling: str = "mean"
    country_weights: str = "equal"
    style_correction: str | None = None


def compute_index(design: SurveyDesign, audiences: list[str] | None = None, *,
                  min_valid_items: int | None = None, level: float = 0.95,
                  filters: dict | None = None, populations=None, sensitivity: int | None = None,
                  sensitivity_factors: dict | None = None, sensitivity_sampling: bool = False,
                  seed: int = 1, client=None, **method) -> IndexResult:
    """Item, dimension and composite scores per country x target x audience, with intervals.

    The design must carry replicate weights (``design.with_replicates(...)``, then weighting), so
    that every derived number, including ranks, weights and counts, has an interval.

    Parameters
    ----------
    audiences : names of the instrument's audiences (default: ``"all"`` and every defined one).
    filters : ad hoc audiences, name -> boolean array (n,) or a pandas query on the design's data,
        e.g. ``{"women": "gender == 2"}``; each is a domain of the full design.
    min_valid_items, scoring, dont_know, refused, top, bottom : respondent scoring; see
        :func:`score_dimensions` (defaults: the instrument's rule, mean of valid items).
    normalisation : ``"scale"`` (default: the response scale rescaled linearly to the
        instrument's index scale, 0-100), ``"minmax"``, ``"zscore"``, ``"rank"``, ``"distance"``
        or ``"goalposts"``; see :func:`surveyindex.index.normalise`. ``across`` says which units
        are compared (``"countries"``, ``"targets"``, ``"all"``); ``reference`` names the
        reference country or target of ``"distance"``; ``goalposts = (L, U)``.
    weights : ``"instrument"`` (default: the instrument's ``index.dimension_weights``, a mapping
        or one of the methods below), ``"equal"``, a mapping dimension -> weight, ``"pca"``
        (squared first-component loadings across the units), ``"factor"`` (the OECD/JRC
        Handbook's factor-analysis weights: varimax-rotated factors, ``n_factors`` of them or as
        many as the Handbook's rule retains; see :func:`surveyindex.index.factor_weights`) or
        ``"driver"`` (regression of ``driver_outcome``, the favourability rating, on the
        dimension scores). Data-derived weights are re-derived in every replicate.
    aggregation : ``"arithmetic"``, ``"geometric"`` or ``"generalised"`` (with ``power``);
        the defaults of these, of ``n_factors`` and of ``driver_outcome`` are the instrument's
        ``index`` settings.
    style_correction : ``"none"`` (default), ``"centring"`` (within-person centring of the
        answers) or ``"regression"`` (scores net of the acquiescence, extreme and midpoint
        indices): see :mod:`surveyindex.index.style_correction`; a method choice the
        sensitivity analysis can vary (``sensitivity_factors={"style_correction": [...]}``).
    pooling, country_weights, populations : the pooled figure across surveyed countries,
        ``"mean"`` or ``"median"`` with ``"equal"`` or ``"population"`` weights; ``populations``
        is a DataFrame (country, adults_millions), a CSV path or a mapping country -> size.
    sensitivity : number of Monte Carlo base samples for the sensitivity analysis (None: none);
        ``sensitivity_factors`` overrides the alternatives (see
        :func:`surveyindex.index.sensitivity_analysis`); ``seed`` seeds it. With
        ``sensitivity_sampling=True`` each configuration is also evaluated on every replicate,
        so ranks reflect method and sample together, and the variance of each score and rank
        is split into method, sampling and interaction parts
        (:mod:`surveyindex.index.sampling_sensitivity`).
    client : a ``dask.distributed`` client or scheduler address: the replicate means (by
        country x block of replicates) and the sensitivity runs are computed on the cluster
        (:mod:`surveyindex.index.distributed`), with the same numbers as locally.

    >>> import surveyindex as si
    >>> inst = si.load_instrument("softpower")
    >>> r = si.read_responses(si.sample_paths()["responses"], inst)
    >>> d = si.make_design(r).with_replicates("bootstrap", n=10, seed=1)
    >>> res = compute_index(d, audiences=["all"])
    >>> sorted(res.composite.columns)[:4]
    ['audience', 'ci_high', 'ci_low', 'country']
    >>> geo = compute_index(d, audiences=["all"], aggregation="geometric", weights="pca")
    >>> bool((geo.composite["score"] <= res.composite["score"] + 5).all())
    True
    >>> fa = compute_index(d, audiences=["all"], weights="factor")
    >>> fa.settings["weights_method"], len(fa.factors) == fa.settings["n_factors"]
    ('factor', True)
    """
    resp = _check_design(design)
    check_level(level)
    inst = resp.instrument
    unknown = set(method) - set(IndexMethod.__dataclass_fields__)
    if unknown:
        raise EstimationError(f"compute_index got unknown option(s) {sorted(unknown)}; options: "
                              f"{sorted(IndexMethod.__dataclass_fields__)}")
    for key, value in _instrument_defaults(inst).items():
        method.setdefault(key, value)
    m = IndexMethod(min_valid_items=min_valid_items, **method)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise EstimationError(f"seed must be a whole number, not {seed!r}")
    masks = audience_masks(design, [audiences] if isinstance(audiences, str) else audiences,
                           filters)
    country_w = _country_weights(m.country_weights, populations)
    if client is not None:
        from ..design import get_client

        client = get_client(client)
    # the favourability means ride on the index's pass over the replicate weights
    fav = favourability_blocks(design) if inst.single_items and client is None else None
    also: dict = {}
    arrays = index_arrays(design, m, masks, country_w, replicates=True, client=client,
                          also=(fav, also) if fav is not None else None)
    arrays["z"] = norm.ppf(0.5 + level / 2)
    targets, dims = arrays["targets"], arrays["dims"]
    comparison, leads = (paired_differences(arrays["per_audience"], [*dims, "composite"], 0, 1,
                                            targets[0], targets[1], level, arrays["scale"],
                                            arrays.get("rscales"), arrays.get("mse", False))
                         if len(targets) >= 2 else (pd.DataFrame(), pd.DataFrame()))
    first = arrays["per_audience"][0]
    settings = {"targets": targets, "dimensions": dims, "audiences": list(masks), "level": level,
                "scale": tuple(inst.index.scale),
                "dimension_weights": dict(zip(dims, first["weights"][:, 0].tolist())),
                **{k: v for k, v in asdict(m).items() if k not in ("weights", "min_valid_items")},
                "weights_method": first["weights_method"],
                "n_factors": first["factor_info"]["n_factors"] if "factor_info" in first else None,
                "min_valid_items": min_valid_items or inst.scoring.min_valid_items,
                "replicates": design.n_replicates, "replicate_type": design.replicate_type}
    sens, sens_idx = pd.DataFrame(), pd.DataFrame()
    if sensitivity is not None and (isinstance(sensitivity, bool) or not isinstance(
            sensitivity, (int, np.integer)) or sensitivity < 1):
        raise EstimationError(f"sensitivity must be a number of samples (at least 1) or None, not "
                              f"{sensitivity!r}")
    if sensitivity:
        from .sensitivity import sensitivity_analysis

        sens, sens_idx = sensitivity_analysis(design, m, masks, country_w, n=sensitivity, seed=seed,
                                              factors=sensitivity_factors, level=level,
                                              client=client, sampling=sensitivity_sampling)
    return tables.IndexResult(
        items=tables.items_table(arrays), dimensions=tables.dimensions_table(arrays),
        composite=tables.composite_table(arrays, level), comparison=comparison, leads=leads,
        settings=settings, _arrays=arrays, ranks=tables.ranks_table(arrays, level),
        pooled=tables.pooled_table(arrays, settings), weights=tables.weights_table(arrays, level),
        factors=tables.factors_table(arrays, level),
        sensitivity=sens, sensitivity_indices=sens_idx,
        favourability=favourability_table(design, masks, level, also or None),
    )


IndexResult = tables.IndexResult


def index_arrays(design: SurveyDesign, m: IndexMethod, masks: dict, country_w,
                 replicates: bool = True, client=None, memo: dict | None = None,
                 also: tuple | None = None) -> dict:
    """Per-audience arrays of every quantity, full sample first on the last axis.

    With ``replicates=False`` only the full-sample value is computed (the sensitivity analysis
    re-runs the index many times and needs no SE). ``memo`` (a dict the caller keeps) reuses the
    respondent scores, domain means and driver weights of earlier calls with the same scoring
    options: the sensitivity analysis varies the later steps far more often than the scoring.
    ``also = (blocks, out)``: the means by country of these extra blocks, per audience, are
    computed in the same pass as the index's and put in the dict ``out`` (audience -> estimates).
    """
    resp = design.responses
    inst = resp.instrument
    targets = inst.target_codes
    memo = {} if memo is None else memo
    key = (m.min_valid_items, m.scoring, m.dont_know, m.refused, m.top, m.bottom,
           m.style_correction, replicates)
    if ("scores", key) not in memo:
        memo[("scores", key)] = respondent_scores(design, m)
    scores = memo[("scores", key)]
    bounds = score_bounds(inst, m.scoring)
    outcome = _outcome(resp, m) if _weights_spec(m.weights, inst) == "driver" else None
    per_aud = []
    for name, mask in masks.items():
        if also is not None:
            memo.pop(("means", key, name), None)  # computed again, with the extra blocks
        if ("means", key, name) not in memo:
            memo[("means", key, name)] = _domain_means(
                design, resp, scores, mask, replicates, name, client,
                None if also is None else (also[0], also[1], name))
        countries, raw, a = memo[("means", key, name)]
        a = dict(a)
        a.update(_index_from_means(raw, m, bounds, inst, countries, targets, design, scores,
                                   outcome, mask, replicates, memo, (key, name)))
        a["pool_weights"] = _pool_weights(countries, country_w)
        a["pooled"] = _pooled(a, a["pool_weights"], m.pooling)
        per_aud.append({"audience": name, "countries": countries, "dim_mean": raw, **a})
    return {"per_audience": per_aud, "scale": design.replicate_scale,
            "rscales": design.replicate_rscales, "mse": design.replicate_mse,
            "dims": inst.dimension_ids, "targets": targets, "items": inst.item_ids,
            "item_dims": [d.id for d, _ in inst.items()],
            "item_bounds": item_bounds(inst), "index_scale": tuple(inst.index.scale)}


def audience_masks(design: SurveyDesign, audiences, filters) -> dict[str, np.ndarray]:
    """Boolean masks of the named audiences and of the ad hoc ``filters``."""
    inst = design.responses.instrument
    if audiences is None:
        audiences = ["all", *[a for a in inst.audiences if a != "all"]] if not filters else ["all"]
    masks = {a: audience_mask(inst, design.data, a) for a in audiences}
    for name, f in (filters or {}).items():
        if isinstance(f, str):
            try:
                mask = design.data.eval(f)
            except Exception as exc:
                raise EstimationError(f"filter {name!r}: cannot evaluate {f!r} on the respondent "
                                      f"data ({exc}); columns: {list(design.data.columns)}") from None
        else:
            mask = f
        mask = np.asarray(mask)
        if mask.shape != (design.n,) or mask.dtype != bool:
            raise EstimationError(f"filter {name!r} must give one True/False per respondent "
                                  f"({design.n}); got shape {mask.shape}, dtype {mask.dtype}")
        masks[name] = mask
    return masks


# -- steps --------------------------------------------------------------------------------------

def _domain_means(design, resp, scores, mask, replicates, name, client=None, also=None):
    """Countries present, dimension means (C, T, K, 1 + R) and the item-level arrays; with
    ``also = (blocks, out, name)``, the means of those blocks put in ``out[name]``."""
    inst = resp.instrument
    T, K, J = len(inst.target_codes), len(inst.dimension_ids), len(inst.item_ids)
    # Item values and scores go to the estimator as separate blocks: its domain-sorted copy is
    # then the only full-size (n, items + dimensions) matrix, not a joined one kept across audiences.
    blocks = (resp.values.reshape(design.n, T * J), scores.reshape(design.n, T * K))
    if replicates:
        if client is None:
            est, *extra = means_of_block_groups(design, [blocks, *([also[0]] if also else [])],
                                                by="country", where=mask, method="replicate")
            if also:
                also[1][also[2]] = extra[0]
        else:
            from .distributed import distributed_means

            est = distributed_means(design, blocks, "country", mask, client)
        present = est.n.sum(axis=1) > 0                     # the audience may miss a country
        countries = est.domains["country"][present].astype(str).tolist()
        full = np.concatenate([est.estimate[:, :, None], est.replicates], axis=2)[present]
        C, R1 = len(countries), full.shape[2]
        a = {"item_mean": full[:, : T * J].reshape(C, T, J, R1),
             "n_items": est.n[present, : T * J].reshape(C, T, J),
             "n_dims": est.n[present, T * J:].reshape(C, T, K),
             "neff_dims": est.n_eff[present, T * J:].reshape(C, T, K),
             "neff_items": est.n_eff[present, : T * J].reshape(C, T, J)}
        raw = full[:, T * J:].reshape(C, T, K, R1)
    else:
        countries, raw = _full_sample_means(design, scores.reshape(design.n, T * K), mask)
        raw = raw.reshape(len(countries), T, K, 1)
        a = {}
    if not countries:
        raise EstimationError(f"audience {name!r} has no respondents")
    return countries, raw, a


def _index_from_means(raw, m: IndexMethod, bounds, inst, countries, targets, design, scores,
                      outcome, mask, replicates, memo=None, memo_key=None) -> dict:
    ref = None
    if m.normalisation == "distance":
        units = countries if m.across == "countries" else targets
        if m.reference not in units:
            raise EstimationError(f"reference {m.reference!r} is not among the {m.across} "
                                  f"compared: {units}")
        ref = units.index(m.reference)
    dim_s = normalise(raw, m.normalisation, bounds=bounds, scale=tuple(inst.index.scale),
                      across=m.across, reference=ref, goalposts=m.goalposts)
    R1 = raw.shape[3]
    spec = _weights_spec(m.weights, inst)
    extra = {}
    if spec == "pca":
        w, share = pca_weights(dim_s)
        note = (f"squared loadings on the first principal component of the {m.normalisation}-"
                f"normalised dimension scores across country x target units; the component "
                f"explains {share[0]:.0%} of the variance")
    elif spec == "factor":
        w, info = factor_weights(dim_s, m.n_factors)
        extra["factor_info"] = info
        note = _factor_note(info, inst.dimension_ids, m.normalisation)
    elif spec == "driver":
        rw = design.replicate_weights if replicates else None
        memo = {} if memo is None else memo
        dkey = ("driver", memo_key, m.driver_outcome)
        if dkey not in memo:
            memo[dkey] = driver_weights(scores, outcome, design.weights, rw, mask)
        w, b = memo[dkey]
        note = (f"weighted regression of {m.driver_outcome!r} on the respondents' dimension "
                f"scores (coefficients {np.round(b[1:, 0], 3).tolist()}); negative coefficients "
                "set to 0, scaled to sum to 1")
    else:
        fixed = fixed_weights(spec, inst.dimension_ids,
                              inst.dimension_weight_vector() if spec == "instrument" else None)
        w = np.repeat(fixed[:, None], R1, axis=1)
        note = ("the instrument's index.dimension_weights" if m.weights == "instrument"
                else "equal weights" if spec == "equal" else "given by the user")
    method_name = spec if isinstance(spec, str) else "user"
    if method_name == "instrument":
        method_name = "user"
    comp = aggregate(dim_s, w, m.aggregation, m.power)
    return {"dim_score": dim_s, "composite": comp, "weights": w, "weights_method": method_name,
            "weights_note": note, **extra}


def _weights_spec(weights, inst):
    """``weights`` with ``"instrument"`` resolved: the instrument's method name (equal, pca,
    factor, driver) or ``"instrument"`` itself when the instrument gives a weight per dimension."""
    if isinstance(weights, str) and weights == "instrument":
        declared = inst.index.dimension_weights
        return declared if isinstance(declared, str) else "instrument"
    return weights


def _factor_note(info: dict, dims: list[str], normalisation: str) -> str:
    """How factor-analysis weights were derived, for the weights table and the report."""
    n = info["n_factors"]
    groups = "; ".join(
        f"F{j + 1} ({info['explained'][j, 0]:.0%} of the variance, composite weight "
        f"{info['factor_share'][j, 0]:.2f}): "
        + ", ".join(d for d, f in zip(dims, info["factor"][:, 0]) if f == j)
        for j in range(n))
    return (f"factor analysis (OECD/JRC Handbook 2008, 6.1) of the {normalisation}-normalised "
            f"dimension scores across country x target units: {info['rule']}; principal-"
            f"component loadings rotated by varimax; each dimension weighted by its squared "
            f"loading (scaled to sum 1 per factor) on its factor times the factor's share of the "
            f"rotated explained variance, scaled to sum 1. {groups}")


def _pool_weights(countries, country_w) -> np.ndarray:
    """The pooling weight of each surveyed country: 1 each, or its population size."""
    if country_w is None:
        return np.ones(len(countries))
    missing = [c for c in countries if c not in country_w]
    if missing:
        raise EstimationError(f"populations: no population size for {missing}; give one per "
                              "surveyed country (column adults_millions)")
    return np.array([country_w[c] for c in countries], float)


def _pooled(a: dict, v: np.ndarray, how: str) -> np.ndarray:
    """(targets, dimensions + composite, 1 + R) pooled across countries with weights ``v``."""
    both = np.concatenate([a["dim_score"], a["composite"][:, :, None, :]], axis=2)
    return pool(both, v, how)


def _country_weights(kind: str, populations) -> dict | None:
    if kind == "equal":
        return None
    if kind != "population":
        raise EstimationError(f"country_weights must be 'equal' or 'population', not {kind!r}")
    if populations is None:
        raise EstimationError("country_weights='population' needs populations=: a table with "
                              "columns country and adults_millions (see sample_data/populations.csv)")
    if isinstance(populations, dict):
        return {str(k): float(v) for k, v in populations.items()}
    if not isinstance(populations, pd.DataFrame):
        from pathlib import Path

        if not isinstance(populations, (str, Path)) or not Path(populations).is_file():
            raise EstimationError(f"populations must be a table, a dict or a CSV file with columns "
                                  f"country and adults_millions; {populations!r} is none of those")
    df = populations if isinstance(populations, pd.DataFrame) else pd.read_csv(populations)
    size = "adults_millions" if "adults_millions" in df.columns else "population"
    if "country" not in df.columns or size not in df.columns:
        raise EstimationError(f"populations needs columns country and adults_millions (or "
                              f"population); got {list(df.columns)}")
    return dict(zip(df["country"].astype(str), pd.to_numeric(df[size], errors="coerce")))


def _outcome(resp, m: IndexMethod) -> np.ndarray:
    if m.driver_outcome not in resp.single:
        raise EstimationError(f"driver weights need the outcome item {m.driver_outcome!r} among the "
                              f"instrument's single_items; available: {sorted(resp.single)}")
    return resp.single[m.driver_outcome]


def _full_sample_means(design, Y, mask) -> tuple[list, np.ndarray]:
    """Weighted domain means by country with the analysis weights only."""
    codes, labels = pd.factorize(design.data["country"], sort=True)
    keep = np.asarray(mask, bool) & (codes >= 0)
    w = np.where(keep, design.weights, 0.0)
    valid = ~np.isnan(Y)
    C = len(labels)
    num = np.stack([np.bincount(codes, w * np.where(valid[:, v], Y[:, v], 0.0), C)
                    for v in range(Y.shape[1])], 1)
    den = np.stack([np.bincount(codes, w * valid[:, v], C) for v in range(Y.shape[1])], 1)
    present = np.bincount(codes, keep, C) > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        return [str(c) for c in labels[present]], (num / den)[present]


def _check_design(design: SurveyDesign):
    require(design, SurveyDesign, "design", "a SurveyDesign (si.make_design(responses))",
            EstimationError)
    resp = design.responses
    if resp is None:
        raise EstimationError("the design was not built from responses: use "
                              "si.make_design(si.read_responses(...))")
    if design.replicate_weights is None:
        raise EstimationError("compute_index needs replicate weights to carry uncertainty through "
                              "the index: call design.with_replicates('bootstrap', n=200, seed=1) "
                              "before weighting")
    return resp


def _instrument_defaults(inst) -> dict:
    """The instrument's declared scoring and index settings, as ``IndexMethod`` options.

    The weighting method is not among them: ``weights="instrument"`` (the default) resolves to
    the instrument's ``index.dimension_weights`` when the weights are computed.

    Box codes are lists in the instrument; scoring takes the lowest top-box code and the highest
    bottom-box code (boxes are contiguous ends of the scale).
    """
    sc, ix = inst.scoring, inst.index
    out = {"aggregation": ix.aggregation, "power": ix.power, "n_factors": ix.n_factors,
           "driver_outcome": ix.driver_outcome, "scoring": sc.method,
           "dont_know": "include" if sc.dont_know_in_base else "exclude",
           "refused": "include" if sc.refused_in_base else "exclude",
           "pooling": ix.cross_country}
    if sc.top_box:
        out["top"] = min(sc.top_box)
    if sc.bottom_box:
        out["bottom"] = max(sc.bottom_box)
    return out
