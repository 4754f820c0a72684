"""The instrument's overall rating items (``single_items``, e.g. favourability) per domain.

Each single item is reported two ways per country x target x audience: its weighted mean (on the
response scale as ``mean``, mapped onto the index's 0-100 scale as ``score``), and the share
favourable, i.e. rating above the scale's midpoint (6-10 on a 0-10
scale, 3-4 on a 1-4 scale); don't know and refused are outside the base of both, as for the
dimension items. Both come from the one survey estimator (:func:`surveyindex.estimate.means.
means_of_blocks`, a share being the mean of a 0/1 indicator) with the design's replicate weights.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..design import SurveyDesign
from ..estimate import means_of_blocks
from .normalise import onto_index_scale

_COLUMNS = ["country", "target", "audience", "item", "score", "se", "ci_low", "ci_high",
            "mean", "mean_se", "mean_ci_low",
            "mean_ci_high", "pct_favourable", "pct_se", "pct_ci_low", "pct_ci_high", "n", "n_eff",
            "favourable_codes"]


def favourable_codes(scale) -> list[int]:
    """Codes above the midpoint of a scale: the "favourable" ratings.

    >>> import surveyindex as si
    >>> favourable_codes(si.load_instrument("softpower").scales["favour11"])
    [6, 7, 8, 9, 10]
    """
    mid = (scale.min + scale.max) / 2
    return [c for c in range(scale.min, scale.max + 1) if c > mid]


def favourability_blocks(design: SurveyDesign) -> tuple[np.ndarray, ...]:
    """The (n, T) arrays whose means by country make the favourability table: every single
    item's rating, then its favourable indicator (1/0, missing where the rating is).

    >>> import surveyindex as si
    >>> d = si.make_design(si.read_responses(si.sample_paths()["responses"],
    ...                                      si.load_instrument("softpower")))
    >>> [b.shape[1] for b in favourability_blocks(d)]
    [2, 2]
    """
    resp = design.responses
    inst = resp.instrument
    values, favourable = [], []
    for s in inst.single_items:
        x = np.asarray(resp.single[s.id], float)                        # (n, T), missing NaN
        values.append(x)
        fav = favourable_codes(inst.scales[s.scale])
        favourable.append(np.where(np.isnan(x), np.nan, np.isin(x, fav).astype(float)))
    return (*values, *favourable)


def favourability_table(design: SurveyDesign, masks: dict[str, np.ndarray],
                        level: float = 0.95, estimates: dict | None = None) -> pd.DataFrame:
    """Mean and % favourable of every single item per country x target x audience, with CIs.

    Parameters
    ----------
    design : SurveyDesign
        The weighted design (with replicate weights for replicate SEs).
    masks : dict
        Audience name -> boolean mask over respondents (:func:`.compute.audience_masks`).
    level : float
        Confidence level of the normal intervals.
    estimates : dict, optional
        Audience name -> the means of :func:`favourability_blocks` by country, when the caller
        computed them already (the index does, in its own pass over the replicate weights).

    Returns
    -------
    DataFrame
        country, target, audience, item; score, se, ci_low, ci_high: the mean rating mapped
        linearly onto the index scale (0-100; a 0-10 rating of 6.2 is 62), as in every score
        table; mean (response scale) with mean_se, mean_ci_low, mean_ci_high; pct_favourable
        (0-100) with pct_se, pct_ci_low, pct_ci_high; n (valid answers), n_eff and the codes
        counted favourable. Empty if the instrument has none.

    Examples
    --------
    >>> import surveyindex as si
    >>> res = si.run_pipeline(replicates=10, seed=1, progress=False)
    >>> f = res.index.favourability
    >>> f.columns[:8].tolist(), sorted(f["audience"].unique())
    (['country', 'target', 'audience', 'item', 'score', 'se', 'ci_low', 'ci_high'], ['all', 'g20_youth'])
    >>> bool(np.allclose(f["score"], 10 * f["mean"]))          # the 0-10 rating on 0-100
    True
    """
    inst = design.responses.instrument
    if not inst.single_items:
        return pd.DataFrame(columns=_COLUMNS)
    targets, z = inst.target_codes, norm.ppf(0.5 + level / 2)
    scale = tuple(inst.index.scale)
    blocks = favourability_blocks(design) if estimates is None else None
    codes, bounds = [], []
    for s in inst.single_items:
        fav = favourable_codes(inst.scales[s.scale])
        bounds.append((inst.scales[s.scale].min, inst.scales[s.scale].max))
        codes.append(f"{fav[0]}-{fav[-1]}" if len(fav) > 1 else str(fav[0]))
    S, T = len(inst.single_items), len(targets)
    out = []
    for name, mask in masks.items():
        est = estimates[name] if estimates is not None else means_of_blocks(
            design, blocks, by="country", where=mask,
            method="replicate" if design.n_replicates else "auto")
        present = est.n.sum(axis=1) > 0
        countries = est.domains["country"][present].astype(str).to_numpy()
        C = len(countries)

        def part(a, k, present=present, C=C):             # (C, 2 S T) -> (C, T, S), block k
            a = a[present][:, k * S * T:(k + 1) * S * T].reshape(C, S, T)
            return a.transpose(0, 2, 1).reshape(-1)

        df = pd.DataFrame({"country": np.repeat(countries, T * S),
                           "target": np.tile(np.repeat(targets, S), C), "audience": name,
                           "item": np.tile([s.id for s in inst.single_items], C * T)})
        df["mean"], df["mean_se"] = part(est.estimate, 0), part(est.se, 0)
        df["mean_ci_low"] = df["mean"] - z * df["mean_se"]
        df["mean_ci_high"] = df["mean"] + z * df["mean_se"]
        lo, hi = (np.tile([b[k] for b in bounds], C * T).astype(float) for k in (0, 1))
        df["score"] = onto_index_scale(df["mean"].to_numpy(), lo, hi, scale)
        df["se"] = onto_index_scale(df["mean_se"].to_numpy(), lo, hi, scale, difference=True)
        df["ci_low"], df["ci_high"] = (onto_index_scale(df[c].to_numpy(), lo, hi, scale)
                                       for c in ("mean_ci_low", "mean_ci_high"))
        df["pct_favourable"], df["pct_se"] = 100 * part(est.estimate, 1), 100 * part(est.se, 1)
        df["pct_ci_low"] = (df["pct_favourable"] - z * df["pct_se"]).clip(lower=0)
        df["pct_ci_high"] = (df["pct_favourable"] + z * df["pct_se"]).clip(upper=100)
        df["n"], df["n_eff"] = part(est.n, 0), part(est.n_eff, 0)
        df["favourable_codes"] = np.tile(codes, C * T)
        out.append(df[df["n"] > 0])
    return pd.concat(out, ignore_index=True)[_COLUMNS]
