"""Trackers: the index in every wave, and its change between waves with intervals.

Each wave is its own survey: its own design, replicate weights, raking to its own margins and,
possibly, its own instrument version. The index of each wave is :func:`compute_index` on that
wave's design; a change between two waves is ``score_b - score_a`` per country x target x
audience x measure. The waves are independent samples, so the variance of a change is the sum of
the two waves' replicate variances; when the same respondents answer both (``panel_id``), the
covariance from the overlap is subtracted twice (:mod:`.panel`). ``improved`` counts in how many
countries each measure rose, with the interval of that count.

Instrument versions may add, drop or reword items. An item is comparable between two waves when
both instruments have it and ``comparable`` does not say otherwise; by default
(``items="common"``) each wave's index is recomputed for a change on the comparable items of its
dimensions only, so that a dimension means the same thing on both sides of the change.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..design import SurveyDesign
from ..errors import EstimationError
from ..estimate import adjust_pvalues, replicate_variance
from .compute import IndexResult, audience_masks, compute_index
from .panel import overlap_covariance, panel_pairs, score_gradients

PAIRS = ("consecutive", "first")


@dataclass(frozen=True, eq=False)
class Tracker:
    """The index per wave and its changes between waves.

    - ``estimates``: per wave x country x target x audience x measure (``level`` item,
      dimension or composite): estimate, SE, CI, n; the estimate is on the measure's own
      scale: an item's mean on its response scale (the items table's ``mean``), a dimension's
      or the composite's 0-100 score (their ``score``);
    - ``changes``: per wave pair (``wave_from`` -> ``wave_to``) x country x target x audience x
      measure: both estimates, ``change``, ``se`` (with ``se_independent``, the SE without the
      panel covariance, and ``covariance``), CI, p-value, Holm-adjusted across countries,
      ``significant``, ``n_panel`` (respondents in both waves), ``items`` (the items used);
    - ``improved``: per pair x target x audience x measure, the number of countries where the
      measure rose and fell, the interval of each count, and how many did so significantly;
    - ``comparability``: per pair and item, whether each wave has it and whether it is used;
    - ``results``: each wave's :class:`IndexResult` on its full instrument.
    """

    waves: list
    results: dict
    estimates: pd.DataFrame
    changes: pd.DataFrame
    improved: pd.DataFrame
    comparability: pd.DataFrame
    settings: dict

    def trend(self, measure: str = "composite", audience: str = "all") -> pd.DataFrame:
        """Wide trend table: one row per country x target, one score column per wave, then the
        changes between the pairs compared.

        >>> import surveyindex as si
        >>> tr = si.compute_tracker({"2022": d22, "2023": d23})     # doctest: +SKIP
        >>> tr.trend("composite")                                    # doctest: +SKIP
        """
        est = self.estimates[(self.estimates["measure"] == measure)
                             & (self.estimates["audience"] == audience)]
        if est.empty:
            raise EstimationError(f"no estimates for measure {measure!r}, audience {audience!r}")
        wide = est.pivot_table(index=["country", "target"], columns="wave", values="estimate",
                               sort=False).reindex(columns=self.waves)
        ch = self.changes[(self.changes["measure"] == measure)
                          & (self.changes["audience"] == audience)]
        for (a, b), part in ch.groupby(["wave_from", "wave_to"], sort=False):
            s = part.set_index(["country", "target"])
            wide[f"change {a}-{b}"] = s["change"]
            wide[f"se {a}-{b}"] = s["se"]
            wide[f"significant {a}-{b}"] = s["significant"]
        return wide.reset_index()

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return "<h4>Tracker: composite by wave</h4>" + self.trend().to_html(index=False)


def compute_tracker(waves: Mapping[str, SurveyDesign | Callable[[], SurveyDesign]],
                    audiences: list[str] | None = None, *,
                    pairs: str | list[tuple[str, str]] = "consecutive", items: str = "common",
                    comparable: Mapping[str, bool] | None = None, panel_id: str | None = None,
                    level: float = 0.95, **options) -> Tracker:
    """The index per wave and the change between waves, with intervals.

    Parameters
    ----------
    waves : wave name -> design (with replicate weights, weighted to that wave's margins), in
        time order; each design carries its own responses and instrument version. A value may
        instead be a function of no arguments that returns the design (a loader): each wave is
        then loaded once, when first needed, and released once the changes that use it are
        computed, so that with ``pairs="consecutive"`` or ``"first"`` at most two waves'
        designs are in memory at once (:func:`surveyindex.run_tracker` passes loaders).
    pairs : ``"consecutive"`` (each wave against the one before), ``"first"`` (each wave against
        the first) or a list of ``(from, to)`` wave names.
    items : ``"common"`` (default: a change in a dimension or the composite uses only the items
        comparable in both waves) or ``"all"`` (each wave's own items).
    comparable : item id -> False for items kept under the same id whose meaning changed
        (reworded, new response scale); such items are left out of every change.
    panel_id : respondent id column of a panel: respondents with the same id (and country) in
        two waves are the same people, and the change's SE subtracts their covariance. Without it
        the waves are independent samples.
    audiences, level, options : as :func:`compute_index` (the same method in every wave).

    >>> import surveyindex as si, pandas as pd
    >>> def wave(seed):
    ...     sim = si.simulate_softpower(n_per_country=60, countries=["BRA", "JPN"], seed=seed,
    ...                                 problems=False)
    ...     df = sim.responses.assign(resp_id=lambda d: f"{seed}-" + d["resp_id"])
    ...     r = si.read_responses(df, si.load_instrument("softpower"))
    ...     return si.make_design(r).with_replicates("bootstrap", n=20, seed=seed)
    >>> tr = compute_tracker({"2022": wave(1), "2023": wave(2)}, audiences=["all"])
    >>> c = tr.changes[tr.changes["measure"] == "composite"]
    >>> bool((c["se"] > 0).all()), len(c)
    (True, 4)
    >>> sorted(tr.improved.columns)[:3]
    ['audience', 'declined', 'declined_ci_high']
    """
    names = list(waves)
    if len(names) < 1:
        raise EstimationError("compute_tracker needs at least one wave")
    if items not in ("common", "all"):
        raise EstimationError(f"items must be 'common' or 'all', not {items!r}")
    comparable = dict(comparable or {})
    plan = _pairs(names, pairs)
    kw = dict(level=level, **options)
    # Waves in time order; a pair's change as soon as both of its waves are in, and a wave's
    # design dropped once no pair left needs it (loaders are then called once each).
    held, results, versions, done = {}, {}, {}, {}
    for w in names:
        held[w] = waves[w]() if callable(waves[w]) else waves[w]
        results[w] = compute_index(held[w], audiences, **kw)
        versions[w] = held[w].responses.instrument.version
        for i, (a, b) in enumerate(plan):
            if i not in done and a in results and b in results:
                done[i] = _pair_change(held, results, a, b, comparable, items, panel_id,
                                       audiences, kw, level, options)
        for v in [v for v in held if all(i in done for i, p in enumerate(plan) if v in p)]:
            del held[v]
    estimates = pd.concat([_wave_estimates(w, results[w]) for w in names], ignore_index=True)
    changes = [done[i][0] for i in range(len(plan))]
    comp = [done[i][1] for i in range(len(plan))]
    changes = pd.concat(changes, ignore_index=True) if changes else pd.DataFrame()
    improved = improved_counts(changes, level) if len(changes) else pd.DataFrame()
    settings = {"waves": names, "pairs": plan, "items": items, "panel_id": panel_id,
                "level": level, "comparable": comparable,
                "instrument_versions": versions,
                **{k: v for k, v in results[names[0]].settings.items() if k != "level"}}
    return Tracker(names, results, estimates, changes, improved,
                   pd.concat(comp, ignore_index=True) if comp else pd.DataFrame(), settings)


def _pair_change(held, results, a, b, comparable, items, panel_id, audiences, kw, level,
                 options) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The changes ``b - a`` and the item comparability table of one pair of waves."""
    if panel_id is None:
        _warn_recurring(held, [(a, b)])
    use = _comparable_items(held[a], held[b], comparable, a, b)
    keep = use.loc[use["used"], "item"].tolist()
    if not keep:
        raise EstimationError(f"waves {a} and {b} have no comparable items in common")
    ra, rb, da, db = results[a], results[b], held[a], held[b]
    if items == "common" and not (_same_items(da, keep) and _same_items(db, keep)):
        da, db = restrict_items(da, keep), restrict_items(db, keep)
        ra, rb = compute_index(da, audiences, **kw), compute_index(db, audiences, **kw)
    cov = None
    if panel_id is not None:
        cov = _panel(da, db, ra, rb, panel_id, audiences, options)
    return wave_changes(a, b, ra, rb, (da, db), level, cov, keep), use


def wave_changes(a: str, b: str, ra: IndexResult, rb: IndexResult, designs: tuple,
                 level: float = 0.95, panel: dict | None = None,
                 items: list[str] | None = None) -> pd.DataFrame:
    """Changes ``b - a`` per country x target x audience x measure between two index results.

    The SE is ``sqrt(V_a + V_b - 2 C)``: each wave's replicate variance on its own design
    (``designs``: its scale, per-replicate scales and centring, as
    :func:`~surveyindex.estimate.variance.replicate_variance`) and, with ``panel``
    (:func:`~surveyindex.index.panel.overlap_covariance`), ``C = rho sqrt(V_a V_b)`` with
    ``rho`` the correlation of the two estimates from respondents in both waves; C = 0 for
    independent samples.
    """
    z = norm.ppf(0.5 + level / 2)
    A, B = ra._arrays, rb._arrays
    targets = [t for t in A["targets"] if t in B["targets"]]
    dims = [d for d in A["dims"] if d in B["dims"]]
    common_items = [i for i in A["items"] if i in B["items"] and (items is None or i in items)]
    rows = []
    for aud_a in A["per_audience"]:
        aud_b = next((x for x in B["per_audience"] if x["audience"] == aud_a["audience"]), None)
        if aud_b is None:
            continue
        countries = [c for c in aud_a["countries"] if c in aud_b["countries"]]
        pc = (panel or {}).get(aud_a["audience"])
        for level_name, names, get_a, get_b, rho in _measures(A, B, aud_a, aud_b, countries,
                                                              targets, dims, common_items, pc):
            ea, eb = get_a[..., 0], get_b[..., 0]
            va = replicate_variance(designs[0], get_a[..., 0], get_a[..., 1:])
            vb = replicate_variance(designs[1], get_b[..., 0], get_b[..., 1:])
            # The panel's covariance: the overlap's correlation times the replicate SEs.
            c = np.zeros_like(va) if rho is None else rho * np.sqrt(va * vb)
            var = va + vb - 2 * c
            se = np.sqrt(np.maximum(var, 0.0))
            d = eb - ea
            C, T, M = d.shape
            npanel = np.zeros(C, dtype=np.int64) if pc is None else _panel_n(pc, countries)
            rows.append(pd.DataFrame({
                "wave_from": a, "wave_to": b, "country": np.repeat(countries, T * M),
                "target": np.tile(np.repeat(targets, M), C), "audience": aud_a["audience"],
                "level": level_name, "measure": np.tile(names, C * T),
                "estimate_from": ea.ravel(), "estimate_to": eb.ravel(), "change": d.ravel(),
                "se": se.ravel(), "se_independent": np.sqrt(va + vb).ravel(),
                "covariance": c.ravel(), "ci_low": (d - z * se).ravel(),
                "ci_high": (d + z * se).ravel(), "n_panel": np.repeat(npanel, T * M),
                "items": ", ".join(common_items)}))
    out = pd.concat(rows, ignore_index=True).dropna(subset=["change"])
    with np.errstate(invalid="ignore", divide="ignore"):
        out["p_value"] = 2 * norm.sf(np.abs(out["change"] / out["se"]))
    out["p_holm"] = np.nan
    for _, idx in out.groupby(["target", "audience", "measure"], sort=False).groups.items():
        p = out.loc[idx, "p_value"].to_numpy()
        ok = ~np.isnan(p)
        adj = np.full(len(p), np.nan)
        adj[ok] = adjust_pvalues(p[ok], "holm") if ok.any() else adj[ok]
        out.loc[idx, "p_holm"] = adj
    out["significant"] = out["p_holm"] < 1 - level
    return out.reset_index(drop=True)


def improved_counts(changes: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """In how many countries each measure rose (and fell), per pair x target x audience.

    A country's change is approximately normal with its SE; countries are separate samples, so
    the count of rises is a sum of independent indicators with ``p_c = P(change_c > 0)`` taken as
    ``Phi(change / se)``, the share of replicate-style draws that rise, and its interval is the
    central ``level`` range of that Poisson-binomial distribution (:func:`count_interval`).
    ``improved_significant`` counts the rises significant after Holm's adjustment.
    """
    out = []
    keys = ["wave_from", "wave_to", "target", "audience", "level", "measure"]
    for key, g in changes.groupby(keys, sort=False):
        with np.errstate(invalid="ignore", divide="ignore"):
            p_up = norm.cdf((g["change"] / g["se"]).to_numpy())
        p_up = np.where(g["se"] > 0, p_up, (g["change"] > 0).astype(float))
        lo_up, hi_up = count_interval(p_up, level)
        lo_dn, hi_dn = count_interval(1 - p_up, level)
        out.append({**dict(zip(keys, key)), "n_countries": len(g),
                    "improved": int((g["change"] > 0).sum()), "improved_ci_low": lo_up,
                    "improved_ci_high": hi_up,
                    "improved_significant": int((g["significant"] & (g["change"] > 0)).sum()),
                    "declined": int((g["change"] < 0).sum()), "declined_ci_low": lo_dn,
                    "declined_ci_high": hi_dn,
                    "declined_significant": int((g["significant"] & (g["change"] < 0)).sum())})
    return pd.DataFrame(out)


def count_interval(p: np.ndarray, level: float = 0.95) -> tuple[int, int]:
    """Central ``level`` interval of the number of successes of independent events with
    probabilities ``p`` (the Poisson-binomial distribution, by convolution).

    Two fair coins: P(0, 1, 2) = (.25, .5, .25), so the 95% interval is 0 to 2; ten events with
    p = .999 almost surely all happen.

    >>> count_interval(np.array([0.5, 0.5])), count_interval(np.full(10, 0.999))
    ((0, 2), (10, 10))
    """
    dist = np.array([1.0])
    for q in np.asarray(p, float):
        dist = np.convolve(dist, [1 - q, q])
    cdf = np.cumsum(dist)
    a = (1 - level) / 2
    lo = int(np.searchsorted(cdf, a - 1e-12, side="right"))
    hi = int(np.searchsorted(cdf, 1 - a - 1e-12, side="left"))
    return lo, min(hi, len(p))


def restrict_items(design: SurveyDesign, items: list[str]) -> SurveyDesign:
    """The design with its responses and instrument reduced to ``items`` (in instrument order);
    dimensions left with no item are dropped, and the minimum-valid-items rule is capped at the
    smallest remaining dimension.

    >>> import surveyindex as si
    >>> r = si.read_responses(si.sample_paths()["responses"], si.load_instrument("softpower"))
    >>> d = restrict_items(si.make_design(r), ["mor1", "mor2", "com1"])
    >>> d.responses.instrument.item_ids, d.responses.values.shape[2]
    (['mor1', 'mor2', 'com1'], 3)
    """
    resp = design.responses
    inst = resp.instrument
    keep = [j for j, i in enumerate(inst.item_ids) if i in set(items)]
    dims = [d.model_copy(update={"items": [it for it in d.items if it.id in set(items)]})
            for d in inst.dimensions]
    dims = [d for d in dims if d.items]
    update = {"dimensions": dims,
              "scoring": inst.scoring.model_copy(update={"min_valid_items": min(
                  inst.scoring.min_valid_items, min(len(d.items) for d in dims))})}
    w = inst.index.dimension_weights
    if isinstance(w, dict):
        update["index"] = inst.index.model_copy(
            update={"dimension_weights": {d.id: w[d.id] for d in dims}})
    new_inst = inst.model_copy(update=update)
    new_resp = replace(resp, instrument=new_inst, values=resp.values[:, :, keep],
                       missing_kind=resp.missing_kind[:, :, keep])
    return replace(design, responses=new_resp)


# -- helpers ------------------------------------------------------------------------------------

def _pairs(names, pairs) -> list[tuple[str, str]]:
    if isinstance(pairs, str):
        if pairs not in PAIRS:
            raise EstimationError(f"pairs must be one of {list(PAIRS)} or a list of (from, to) "
                                  f"wave names, not {pairs!r}")
        if pairs == "consecutive":
            return list(zip(names[:-1], names[1:]))
        return [(names[0], w) for w in names[1:]]
    out = [tuple(p) for p in pairs]
    bad = [w for p in out for w in p if w not in names]
    if bad:
        raise EstimationError(f"pairs name wave(s) {sorted(set(bad))} not among the waves {names}")
    return out


def _comparable_items(da, db, comparable, a, b) -> pd.DataFrame:
    ia, ib = da.responses.instrument, db.responses.instrument
    dim_of = {it.id: d.id for d, it in ia.items()} | {it.id: d.id for d, it in ib.items()}
    rows = []
    for item in list(dict.fromkeys(ia.item_ids + ib.item_ids)):
        in_a, in_b = item in ia.item_ids, item in ib.item_ids
        declared = bool(comparable.get(item, True))
        rows.append({"wave_from": a, "wave_to": b, "item": item, "dimension": dim_of[item],
                     "in_from": in_a, "in_to": in_b, "declared_comparable": declared,
                     "used": in_a and in_b and declared})
    unknown = set(comparable) - set(dim_of)
    if unknown:
        raise EstimationError(f"comparable names item(s) {sorted(unknown)} that neither wave's "
                              f"instrument has; items: {sorted(dim_of)}")
    return pd.DataFrame(rows)


def _same_items(design, keep) -> bool:
    return design.responses.instrument.item_ids == [i for i in design.responses.instrument.item_ids
                                                     if i in keep]


def _measures(A, B, aud_a, aud_b, countries, targets, dims, items, pc):
    """(level, names, wave-a array, wave-b array, panel covariance) per level of measure, each
    array (C, T, M, 1 + R) in common countries x targets x measures."""
    def pick(arrays, aud, key, names, ref):
        ci = [aud["countries"].index(c) for c in countries]
        ti = [arrays["targets"].index(t) for t in targets]
        x = aud[key][ci][:, ti]
        return x[:, :, [arrays[ref].index(m) for m in names]] if names is not None else x
    item_a, item_b = pick(A, aud_a, "item_mean", items, "items"), pick(B, aud_b, "item_mean", items, "items")
    dim_a, dim_b = pick(A, aud_a, "dim_score", dims, "dims"), pick(B, aud_b, "dim_score", dims, "dims")
    comp_a = pick(A, aud_a, "composite", None, None)[:, :, None]
    comp_b = pick(B, aud_b, "composite", None, None)[:, :, None]
    rho_item = rho_dim = rho_comp = None
    if pc is not None:
        sel = np.array([pc["countries"].index(c) if c in pc["countries"] else -1
                        for c in countries])
        ti = [A["targets"].index(t) for t in targets]
        ji = [A["items"].index(i) for i in items]
        ki = [A["dims"].index(d) for d in dims]
        it = pc["items"][:, sel][:, :, ti][..., ji]                      # (3, C, T, J)
        S = pc["dims"][:, sel][:, :, ti][:, :, :, ki][..., ki]           # (3, C, T, K, K)
        it[:, sel < 0], S[:, sel < 0] = 0.0, 0.0
        ma, mb = pick(A, aud_a, "dim_mean", dims, "dims"), pick(B, aud_b, "dim_mean", dims, "dims")
        ga = np.stack([score_gradients(ma[:, :, [k]], dim_a[:, :, k])[..., 0]
                       for k in range(len(dims))], axis=-1)
        gb = np.stack([score_gradients(mb[:, :, [k]], dim_b[:, :, k])[..., 0]
                       for k in range(len(dims))], axis=-1)
        rho_item = _corr(it[0], it[1], it[2])
        d = np.diagonal(S, axis1=3, axis2=4)                              # (3, C, T, K)
        rho_dim = np.sign(ga * gb) * _corr(d[0], d[1], d[2])
        Ga, Gb = score_gradients(ma, comp_a[:, :, 0]), score_gradients(mb, comp_b[:, :, 0])
        quad = [np.einsum("ctk,ctkl,ctl->ct", x, S[q], y)
                for q, x, y in ((0, Ga, Gb), (1, Ga, Ga), (2, Gb, Gb))]
        rho_comp = _corr(*quad)[:, :, None]
    return [("item", items, item_a, item_b, rho_item), ("dimension", dims, dim_a, dim_b, rho_dim),
            ("composite", ["composite"], comp_a, comp_b, rho_comp)]


def _corr(ab, aa, bb) -> np.ndarray:
    """Correlation from a covariance and two variances; 0 where a variance is 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        r = ab / np.sqrt(aa * bb)
    return np.clip(np.nan_to_num(r, nan=0.0, posinf=0.0, neginf=0.0), -1.0, 1.0)


def _panel(da, db, ra, rb, panel_id, audiences, options):
    pairs = panel_pairs(da, db, panel_id)
    method = {k: ra.settings[k] for k in ("scoring", "dont_know", "top", "bottom",
                                          "min_valid_items")}
    masks_a = audience_masks(da, ra.settings["audiences"], None)
    masks_b = audience_masks(db, rb.settings["audiences"], None)
    return overlap_covariance(((da, masks_a, ra._arrays["per_audience"], method),
                               (db, masks_b, rb._arrays["per_audience"], method)), pairs)


def _panel_n(pc, countries) -> np.ndarray:
    return np.array([pc["n_panel"][pc["countries"].index(c)] if c in pc["countries"] else 0
                     for c in countries], dtype=np.int64)


def _wave_estimates(wave, res: IndexResult) -> pd.DataFrame:
    # Items change on their response scale (the tracker's item arrays are item means).
    it = res.items.drop(columns=["score", "se", "ci_low", "ci_high"]).rename(columns={
        "item": "measure", "mean": "estimate", "mean_se": "se", "mean_ci_low": "ci_low",
        "mean_ci_high": "ci_high"}).assign(level="item")
    dm = res.dimensions.rename(columns={"dimension": "measure", "score": "estimate"}).assign(
        level="dimension")
    cp = res.composite.rename(columns={"score": "estimate"}).assign(level="composite",
                                                                    measure="composite")
    cols = ["country", "target", "audience", "level", "measure", "estimate", "se", "ci_low",
            "ci_high", "n"]
    return pd.concat([x[cols] for x in (it, dm, cp)], ignore_index=True).assign(wave=wave)[
        ["wave", *cols]]


def _warn_recurring(waves, plan) -> None:
    for a, b in plan:
        ia, ib = (waves[w].data.get("resp_id") for w in (a, b))
        if ia is None or ib is None:
            continue
        # Integer codes from one hash table (factorize), then np.isin on the codes: np.isin on
        # strings sorts object arrays, and Series.isin on Arrow strings loops in Python (each
        # took over a second per pair of 200,000-respondent waves).
        a = ia.astype(str).to_numpy(object)
        codes, _ = pd.factorize(np.concatenate([a, ib.astype(str).to_numpy(object)]))
        shared = np.isin(codes[len(a):], codes[:len(a)]).mean() if len(ib) else 0.0
        if shared > 0.5:
            warnings.warn(f"{shared:.0%} of wave {b}'s resp_id values also occur in wave {a}: if "
                          "these are the same people, pass panel_id='resp_id' so the change's SE "
                          "uses their covariance; the waves are treated as independent samples",
                          UserWarning, stacklevel=3)
