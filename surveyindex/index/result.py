"""The index result: tidy tables built from the per-audience replicate arrays."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import EstimationError
from ..estimate import replicate_se
from .aggregate import pooled_bases
from .normalise import onto_index_scale
from .uncertainty import paired_differences, rank_distribution


@dataclass(frozen=True, eq=False)
class IndexResult:
    """Tidy tables of the index, plus the replicate arrays needed for further comparisons.

    Tables (pandas DataFrames, domain columns first). Every score table (``items``,
    ``dimensions``, ``composite``, ``pooled``, ``favourability``) names its columns alike:

    - ``score``, ``se``, ``ci_low``, ``ci_high``: on the index scale (0-100; the dimensions,
      composite and pooled scores are on the normalisation's scale, 0-100 with the default
      ``"scale"``, a z-score or rank under those normalisations);
    - ``mean``, ``mean_se``, ``mean_ci_low``, ``mean_ci_high``: the same figure on the item's
      response scale (items, favourability) or the raw dimension measure (dimensions: mean item
      score, or top-box, bottom-box or net share, per the scoring rule); absent where there is
      none (composite, pooled);
    - ``n`` (respondents contributing) and ``n_eff`` (Kish's effective n of their weights,
      ``(sum w)^2 / sum w^2``).

    The tables:

    - ``items``: each item per country x target x audience: its weighted mean on the response
      scale (``mean``..., as asked, before reverse keying) and the response scale mapped
      linearly onto the index scale (``score``...); ``n``, ``n_eff``;
    - ``dimensions``: ``score`` (normalised) and ``mean`` (the raw dimension measure), each
      with SE and CI; ``n``, ``n_eff``;
    - ``composite``: the composite per country x target x audience (score, se, ci_low, ci_high,
      n and n_eff: the smallest over its dimensions), with its rank among countries and the
      rank's interval;
    - ``ranks``: rank distributions (median rank, interval, share of replicates ranked first) of
      each country among countries (``among == "countries"``) and of each target among targets
      within a country (``"targets"``) and in the pooled figures (``"pooled"``);
    - ``pooled``: dimension and composite scores pooled across the surveyed countries (mean or
      median, equal or population weights), with ``n`` (the countries' bases summed) and
      ``n_eff`` (Kish's effective n of the weights respondents carry in the pooled figure:
      survey weight scaled to its country's pooling weight; see
      :func:`surveyindex.index.aggregate.pooled_bases`) and ``n_countries``;
    - ``weights``: the dimension weights, how they were derived, and their SE (zero when fixed);
      with ``weights="factor"`` also the factor each dimension belongs to and the share of
      replicates that put it in the same factor;
    - ``factors``: with ``weights="factor"``, per audience and retained factor: its eigenvalue,
      its rotated share of the variance and its weight as an intermediate composite, each with
      SE and CI, and the dimensions it groups (empty for other weights);
    - ``comparison`` and ``leads``: paired differences between the first two targets, and in how
      many countries each leads, their columns named by the targets (``score_USA``,
      ``score_CHN``, ``difference`` = ``target_a`` minus ``target_b``; ``USA_leads``,
      ``USA_leads_ci_low``, ``USA_leads_ci_high``, ``USA_leads_significant``, ``CHN_leads``...);
      :meth:`compare` gives them for any pair;
    - ``sensitivity`` and ``sensitivity_indices``: the Monte Carlo sensitivity analysis, empty
      unless requested (``compute_index(..., sensitivity=256)``);
    - ``favourability``: the instrument's overall rating items (``single_items``, e.g. the 0-10
      favourability rating) per country x target x audience: the mean rating as ``score``
      (0-100) and ``mean`` (its own scale) and % favourable (above the scale midpoint,
      ``pct_favourable``, ``pct_se``, ``pct_ci_*``), each with SE and CI
      (:func:`surveyindex.index.favourability_table`).

    >>> import surveyindex as si
    >>> res = si.run_pipeline(replicates=10, seed=1, progress=False).index
    >>> cols = ["score", "se", "ci_low", "ci_high", "n", "n_eff"]
    >>> all(set(cols) <= set(t.columns) for t in (res.items, res.dimensions, res.composite,
    ...                                           res.pooled, res.favourability))
    True
    >>> [c for c in res.leads.columns if c.endswith("_leads")]
    ['USA_leads', 'CHN_leads']
    """

    items: pd.DataFrame
    dimensions: pd.DataFrame
    composite: pd.DataFrame
    comparison: pd.DataFrame
    leads: pd.DataFrame
    settings: dict
    _arrays: dict = field(repr=False)
    ranks: pd.DataFrame = field(default_factory=pd.DataFrame)
    pooled: pd.DataFrame = field(default_factory=pd.DataFrame)
    weights: pd.DataFrame = field(default_factory=pd.DataFrame)
    factors: pd.DataFrame = field(default_factory=pd.DataFrame)
    sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)
    sensitivity_indices: pd.DataFrame = field(default_factory=pd.DataFrame)
    favourability: pd.DataFrame = field(default_factory=pd.DataFrame)

    def compare(self, a: str, b: str, level: float | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Paired differences ``a - b`` per country, audience and measure, and the k-of-n summary.

        Per country and measure: the two scores, the difference, its SE and CI, the p-value and
        whether it is significant after Holm's adjustment across countries; then, per measure,
        in how many countries each target leads (and significantly leads), with the interval of
        the count over replicates.

        >>> import surveyindex as si
        >>> res = si.run_pipeline(replicates=20, seed=1).index     # doctest: +SKIP
        >>> diffs, leads = res.compare("CHN", "USA")                # doctest: +SKIP
        """
        level = self.settings["level"] if level is None else level
        targets = self.settings["targets"]
        if a == b:
            raise EstimationError(f"compare needs two different targets, got {a!r} twice; "
                                  f"targets: {targets}")
        for t in (a, b):
            if t not in targets:
                raise EstimationError(f"target {t!r} is not in the index; targets: {targets}")
        arr = self._arrays
        return paired_differences(arr["per_audience"], [*arr["dims"], "composite"],
                                  targets.index(a), targets.index(b), a, b, level, arr["scale"],
                                  arr.get("rscales"), arr.get("mse", False))

    @property
    def plot(self):
        """The index's plots, each displaying itself in a notebook: ``.plot.forest()``,
        ``.plot.profile()``, ``.plot.ranks()`` (see :class:`surveyindex.display.PlotAccessor`).
        """
        # Display only: the plot module sits downstream, so it is imported when asked for.
        from ..display import PlotAccessor

        return PlotAccessor(self)

    def __repr__(self) -> str:
        s = self.settings
        countries = self.composite["country"].nunique() if "country" in self.composite else 0
        return (f"<IndexResult {countries} countries x {len(s['targets'])} targets x "
                f"{len(s['audiences'])} audiences, {s.get('replicates', 0)} "
                f"{s.get('replicate_type') or ''} replicates; .composite, .dimensions, .items, "
                ".comparison, .leads, .ranks, .plot>")

    def _repr_html_(self) -> str:
        from ..display import card

        s = self.settings
        return card("Composite index", [("targets", ", ".join(s["targets"])),
                                        ("audiences", ", ".join(s["audiences"])),
                                        ("replicates", s.get("replicates")),
                                        ("level", s["level"])],
                    tables=[("Composite (0-100)", self.composite.drop(
                        columns=[c for c in ("rank_median",) if c in self.composite]))],
                    note="tables: .composite, .dimensions, .items, .comparison, .leads, "
                         ".ranks; plots: .plot.forest(), .plot.profile(), .plot.ranks()")


# -- tables -------------------------------------------------------------------------------------

def grid(countries, targets, inner=None, inner_name=None) -> dict:
    """Country x target (x inner) label columns in C-order, matching array.reshape(-1)."""
    if inner is None:
        return {"country": np.repeat(countries, len(targets)), "target": np.tile(targets, len(countries))}
    k = len(inner)
    return {"country": np.repeat(countries, len(targets) * k),
            "target": np.tile(np.repeat(targets, k), len(countries)),
            inner_name: np.tile(inner, len(countries) * len(targets))}


def items_table(arrays) -> pd.DataFrame:
    out = []
    z = arrays["z"]
    s_lo, s_hi = arrays["index_scale"]
    for a in arrays["per_audience"]:
        m, se = a["item_mean"][..., 0].ravel(), _se(arrays, a["item_mean"]).ravel()
        g = grid(a["countries"], arrays["targets"], arrays["items"], "item")
        df = pd.DataFrame({**g, "audience": a["audience"]})
        df.insert(3, "dimension", np.tile(arrays["item_dims"], len(a["countries"]) * len(arrays["targets"])))
        # The item's response scale mapped linearly onto the index scale (0-100): the score
        # columns; the item-scale figures beside them as mean, mean_se, mean_ci_*.
        lo, hi = (np.tile(b, len(a["countries"]) * len(arrays["targets"]))
                  for b in arrays["item_bounds"])
        mean_ci = (m - z * se, m + z * se)
        df["score"] = onto_index_scale(m, lo, hi, (s_lo, s_hi))
        df["se"] = onto_index_scale(se, lo, hi, (s_lo, s_hi), difference=True)
        df["ci_low"], df["ci_high"] = (onto_index_scale(c, lo, hi, (s_lo, s_hi)) for c in mean_ci)
        df["mean"], df["mean_se"] = m, se
        df["mean_ci_low"], df["mean_ci_high"] = mean_ci
        df["n"], df["n_eff"] = a["n_items"].ravel(), a["neff_items"].ravel()
        out.append(df)
    return tidy(pd.concat(out, ignore_index=True), ["country", "target", "audience", "dimension", "item"])


def _se(arrays, theta: np.ndarray) -> np.ndarray:
    """Replicate SE of ``theta`` with the design's scale, rscales and mse (one formula)."""
    return replicate_se(theta, arrays["scale"], arrays.get("rscales"), arrays.get("mse", False))


def dimensions_table(arrays) -> pd.DataFrame:
    out = []
    z = arrays["z"]
    for a in arrays["per_audience"]:
        g = grid(a["countries"], arrays["targets"], arrays["dims"], "dimension")
        df = pd.DataFrame({**g, "audience": a["audience"]})
        df["score"], df["se"] = a["dim_score"][..., 0].ravel(), _se(arrays, a["dim_score"]).ravel()
        df["ci_low"], df["ci_high"] = df.score - z * df.se, df.score + z * df.se
        df["mean"], df["mean_se"] = a["dim_mean"][..., 0].ravel(), _se(arrays, a["dim_mean"]).ravel()
        df["mean_ci_low"] = df["mean"] - z * df["mean_se"]
        df["mean_ci_high"] = df["mean"] + z * df["mean_se"]
        df["n"], df["n_eff"] = a["n_dims"].ravel(), a["neff_dims"].ravel()
        out.append(df)
    return tidy(pd.concat(out, ignore_index=True), ["country", "target", "audience", "dimension"])


def composite_table(arrays, level: float) -> pd.DataFrame:
    out = []
    z = arrays["z"]
    for a in arrays["per_audience"]:
        comp = a["composite"]                                           # (C, T, 1+R)
        df = pd.DataFrame({**grid(a["countries"], arrays["targets"]), "audience": a["audience"]})
        df["score"], df["se"] = comp[..., 0].ravel(), _se(arrays, comp).ravel()
        df["ci_low"], df["ci_high"] = df.score - z * df.se, df.score + z * df.se
        df["n"], df["n_eff"] = a["n_dims"].min(axis=2).ravel(), a["neff_dims"].min(axis=2).ravel()
        r = rank_distribution(comp, axis=0, level=level)
        df["rank"], df["rank_low"], df["rank_high"] = (r[k].ravel() for k in ("rank", "rank_low", "rank_high"))
        df["rank_median"] = r["rank_median"].ravel()
        out.append(df)
    return tidy(pd.concat(out, ignore_index=True), ["country", "target", "audience"])


def ranks_table(arrays, level: float) -> pd.DataFrame:
    out = []
    for a in arrays["per_audience"]:
        comp = a["composite"]
        base = {**grid(a["countries"], arrays["targets"]), "audience": a["audience"]}
        for among, axis in (("countries", 0), ("targets", 1)):
            r = rank_distribution(comp, axis=axis, level=level)
            out.append(pd.DataFrame({**base, "among": among, "score": comp[..., 0].ravel(),
                                     **{k: v.ravel() for k, v in r.items()}}))
        p = a["pooled"][:, -1]                                          # (T, 1+R) composite
        r = rank_distribution(p, axis=0, level=level)
        out.append(pd.DataFrame({"country": "(pooled)", "target": arrays["targets"],
                                 "audience": a["audience"], "among": "pooled", "score": p[:, 0],
                                 **{k: v.ravel() for k, v in r.items()}}))
    df = pd.concat(out, ignore_index=True)
    return df.dropna(subset=["score"]).reset_index(drop=True)


def pooled_table(arrays, settings: dict) -> pd.DataFrame:
    out = []
    z = arrays["z"]
    measures = [*arrays["dims"], "composite"]
    for a in arrays["per_audience"]:
        p = a["pooled"]                                                 # (T, M, 1+R)
        df = pd.DataFrame({"target": np.repeat(arrays["targets"], len(measures)),
                           "audience": a["audience"], "measure": np.tile(measures, len(arrays["targets"]))})
        df["score"], df["se"] = p[..., 0].ravel(), _se(arrays, p).ravel()
        df["ci_low"], df["ci_high"] = df.score - z * df.se, df.score + z * df.se
        # Bases per country x target x measure: a dimension's own, the composite's the
        # smallest over its dimensions (as in the composite table).
        n = np.concatenate([a["n_dims"], a["n_dims"].min(axis=2, keepdims=True)], axis=2)
        n_eff = np.concatenate([a["neff_dims"], a["neff_dims"].min(axis=2, keepdims=True)], axis=2)
        present = ~np.isnan(np.concatenate([a["dim_score"][..., 0],
                                            a["composite"][..., :1]], axis=2))
        n, n_eff = pooled_bases(n, n_eff, a["pool_weights"], present)
        df["n"], df["n_eff"] = n.ravel(), n_eff.ravel()
        df["n_countries"] = (~np.isnan(a["composite"][..., 0])).sum(axis=0).repeat(len(measures))
        df["pooling"], df["country_weights"] = settings["pooling"], settings["country_weights"]
        out.append(df)
    return pd.concat(out, ignore_index=True).dropna(subset=["score"]).reset_index(drop=True)


def weights_table(arrays, level: float) -> pd.DataFrame:
    out = []
    z = arrays["z"]
    for a in arrays["per_audience"]:
        w = a["weights"]                                                # (K, 1+R)
        se = _se(arrays, w)
        df = pd.DataFrame({"audience": a["audience"], "dimension": arrays["dims"],
                           "method": a["weights_method"], "weight": w[:, 0], "se": se,
                           "ci_low": w[:, 0] - z * se, "ci_high": w[:, 0] + z * se,
                           "derivation": a["weights_note"]})
        if "factor_info" in a:
            f = a["factor_info"]["factor"]                              # (K, 1+R)
            df.insert(3, "factor", [f"F{j + 1}" for j in f[:, 0]])
            df.insert(4, "same_factor", (f[:, 1:] == f[:, :1]).mean(axis=1)
                      if f.shape[1] > 1 else np.nan)
        out.append(df)
    return pd.concat(out, ignore_index=True)


def factors_table(arrays, level: float) -> pd.DataFrame:
    """Per audience and retained factor of the factor-analysis weights (empty without them)."""
    out = []
    z = arrays["z"]
    for a in arrays["per_audience"]:
        info = a.get("factor_info")
        if info is None:
            continue
        n = info["n_factors"]
        df = pd.DataFrame({"audience": a["audience"], "factor": [f"F{j + 1}" for j in range(n)],
                           "dimensions": [", ".join(d for d, f in zip(arrays["dims"],
                                                                      info["factor"][:, 0]) if f == j)
                                          for j in range(n)]})
        for col, values in (("eigenvalue", info["eigenvalues"][:n]),
                            ("explained", info["explained"]), ("composite_weight", info["factor_share"])):
            se = _se(arrays, values)
            df[col], df[f"{col}_se"] = values[:, 0], se
            if col == "composite_weight":
                df["ci_low"], df["ci_high"] = values[:, 0] - z * se, values[:, 0] + z * se
        df["rule"] = info["rule"]
        out.append(df)
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def tidy(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Drop domains with no respondents (an audience absent from a country)."""
    return df[df["n"] > 0].dropna(subset=["score"], how="all").reset_index(drop=True)[
        keys + [c for c in df.columns if c not in keys]]
