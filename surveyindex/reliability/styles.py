"""Response styles per country: acquiescence, extreme and midpoint responding, and "don't know".

A country's high scores can come from how its people answer rather than from what they think.
The indices here are computed on the answers as given (reverse keying undone), per respondent
over every rated target and item, then averaged per group.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import EstimationError
from ..instrument import DONT_KNOW

STYLE_INDICES = ("acquiescence", "agreement", "extreme", "midpoint", "dont_know")


def response_styles(responses, by=("country",), weights=None, design=None,
                    level: float = 0.95) -> pd.DataFrame:
    """Acquiescence, extreme, midpoint and don't-know response indices per group.

    Parameters
    ----------
    responses : Responses
        Validated responses (:func:`surveyindex.read_responses`).
    by : str or sequence of str
        Respondent columns defining the groups (default ``("country",)``), or ``"target"`` among
        them to split by rated target. ``()`` gives one row for everyone.
    weights : None, str or array-like
        Survey weights (a respondent column or one per respondent) for the group means.
    design : SurveyDesign, optional
        The design of ``responses`` (same respondents, same order): the group means then use its
        weights and each index gets its standard error and ``level`` confidence interval
        (``acquiescence_se``, ``acquiescence_ci_low``, ``acquiescence_ci_high``, ...), from the
        replicate weights when the design has them (Taylor linearisation otherwise), as
        :func:`surveyindex.estimate_means` computes them for a ratio mean. Not with
        ``"target"`` in ``by``.

    Returns
    -------
    DataFrame
        One row per group: the ``by`` columns, ``n`` (respondents with a valid answer),
        ``acquiescence`` (balanced acquiescence, -1..1, 0 = none), ``agreement`` (share of
        answers above the scale midpoint, as given), ``extreme`` (share at either end of the
        scale), ``midpoint`` (share at the middle code; NaN on scales with an even number of
        codes) and ``dont_know`` (share of the respondent's item answers coded "don't know").

    Notes
    -----
    Answers are taken as the respondent gave them: in ``Responses.values`` reverse-keyed items
    were recoded (``min + max - x``), and this is undone here, because acquiescence is agreeing
    whatever the statement says. Per respondent, with answers ``x`` on a scale with midpoint
    ``c = (min + max) / 2`` and half-range ``h = (max - min) / 2``:

    - ``acquiescence``: for each dimension that has both regular and reverse-keyed items,
      ``(mean_regular(x - c) + mean_reversed(x - c)) / (2 h)``, averaged over the dimensions and
      targets answered. Someone who means what they say agrees with one kind of item and
      disagrees with the other, and the two cancel; agreeing with both is acquiescence
      (Baumgartner and Steenkamp 2001; balanced-scale index of Winkler, Kanouse and Ware 1982).
      NaN when no dimension has reverse-keyed items.
    - ``agreement`` (ARS), ``extreme`` (ERS), ``midpoint`` (MRS): shares of the valid answers
      above the midpoint, at ``min`` or ``max``, and at the midpoint.
    - ``dont_know``: share of the respondent's items (every target) coded "don't know".

    Group values are the (weighted) means of the respondents' indices, so every respondent counts
    once however many items they answered.

    References
    ----------
    Baumgartner, H., & Steenkamp, J.-B. E. M. (2001). Response styles in marketing research: A
    cross-national investigation. Journal of Marketing Research, 38(2), 143-156.

    Examples
    --------
    >>> import surveyindex as si
    >>> from surveyindex.reliability import response_styles
    >>> inst = si.load_instrument("softpower")
    >>> r = si.read_responses(si.sample_paths()["responses"], inst)
    >>> tab = response_styles(r)
    >>> list(tab.columns)
    ['country', 'n', 'acquiescence', 'agreement', 'extreme', 'midpoint', 'dont_know']
    >>> bool(tab["acquiescence"].abs().max() < 0.1)  # the sample is simulated without it
    True
    """
    inst, resp = responses.instrument, responses.respondents
    by = [by] if isinstance(by, str) else list(by or ())
    if design is not None:
        return _with_design(responses, by, design, level)
    unknown = [b for b in by if b != "target" and b not in resp.columns]
    if unknown:
        raise EstimationError(
            f"by names {unknown}, which are not respondent columns; use 'target' or one of "
            f"{list(resp.columns)}"
        )
    w = _weights(weights, resp)
    per = _respondent_indices(responses)            # dict name -> (n, targets) arrays
    if "target" in by:
        n, t = responses.values.shape[:2]
        frame = pd.DataFrame({b: np.repeat(resp[b].to_numpy(), t) for b in by if b != "target"})
        frame["target"] = np.tile(inst.target_codes, n)
        frame = frame[by]
        cols = {k: v.reshape(-1) for k, v in per.items()}
        wt = np.repeat(w, t)
    else:
        frame = resp[by].reset_index(drop=True) if by else pd.DataFrame(index=range(len(resp)))
        cols = {k: _mean_over_targets(v) for k, v in per.items()}
        wt = w
    names = ["acquiescence", "agreement", "extreme", "midpoint", "dont_know"]
    valid = ~np.isnan(cols["agreement"])
    data = pd.DataFrame({"_w": wt, "_n": valid.astype(float)})
    for k in names:
        ok = ~np.isnan(cols[k])
        data[k] = np.where(ok, cols[k], 0.0) * wt
        data["_w_" + k] = ok * wt
    data = pd.concat([frame.reset_index(drop=True), data], axis=1)
    if by:
        sums = data.groupby(by, sort=True).sum(numeric_only=True).reset_index()
    else:
        sums = data.sum(numeric_only=True).to_frame().T
    out = sums[by].copy() if by else pd.DataFrame(index=[0])
    out["n"] = sums["_n"].astype(int).to_numpy()
    for k in names:
        with np.errstate(invalid="ignore", divide="ignore"):
            out[k] = (sums[k] / sums["_w_" + k]).to_numpy()
    if "target" in by:
        order = {c: i for i, c in enumerate(inst.target_codes)}
        out = out.sort_values(by, key=lambda s: s.map(order) if s.name == "target" else s,
                              kind="stable")
    return out.reset_index(drop=True)


def respondent_styles(responses) -> pd.DataFrame:
    """Each respondent's response-style indices, averaged over the targets they rated.

    One row per respondent (in the order of ``responses``), columns ``acquiescence``,
    ``agreement``, ``extreme``, ``midpoint`` and ``dont_know`` as defined in
    :func:`response_styles`; NaN where the respondent gave no valid answer.

    >>> import surveyindex as si
    >>> r = si.read_responses(si.sample_paths()["responses"], si.load_instrument("softpower"))
    >>> s = respondent_styles(r)
    >>> len(s) == r.n, list(s.columns)[:3]
    (True, ['acquiescence', 'agreement', 'extreme'])
    """
    per = _respondent_indices(responses)
    return pd.DataFrame({k: _mean_over_targets(per[k]) for k in STYLE_INDICES})


def _with_design(responses, by, design, level):
    from scipy.stats import norm

    from ..estimate import estimate_means

    if "target" in by:
        raise EstimationError("response_styles with a design gives SEs per respondent group; "
                              "'target' cannot be among by")
    if design.n != responses.n:
        raise EstimationError(f"the design has {design.n} respondents and the responses "
                              f"{responses.n}: give the design built from these responses")
    values = respondent_styles(responses)
    if not by:
        est = estimate_means(design, values)
        out = pd.DataFrame(index=[0])
    else:
        missing = [b for b in by if b not in design.data.columns]
        if missing:
            raise EstimationError(f"by names {missing}, which are not columns of the design's "
                                  f"data; columns: {list(design.data.columns)}")
        est = estimate_means(design, values, by=by if len(by) > 1 else by[0])
        out = est.domains.reset_index(drop=True).copy()
    out["n"] = est.n[:, list(STYLE_INDICES).index("agreement")].astype(int)
    z = norm.ppf(0.5 + level / 2)
    for j, k in enumerate(STYLE_INDICES):
        out[k] = est.estimate[:, j]
        out[f"{k}_se"] = est.se[:, j]
        out[f"{k}_ci_low"] = est.estimate[:, j] - z * est.se[:, j]
        out[f"{k}_ci_high"] = est.estimate[:, j] + z * est.se[:, j]
    return out


# -- helpers ------------------------------------------------------------------------------------

def _respondent_indices(responses) -> dict[str, np.ndarray]:
    """Each index per respondent x target, shape (n, targets); NaN where nothing was answered."""
    inst = responses.instrument
    v = responses.values
    n, t, k = v.shape
    lo, hi, rev, dim = (np.empty(k), np.empty(k), np.zeros(k, bool), np.empty(k, int))
    for j, (d, it) in enumerate(inst.items()):
        sc = inst.scales[d.scale]
        lo[j], hi[j], rev[j] = sc.min, sc.max, it.reverse
        dim[j] = inst.dimension_ids.index(d.id)
    raw = np.where(rev, lo + hi - v, v)        # undo the reverse keying: the answer as given
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    ok = ~np.isnan(raw)
    n_ok = ok.sum(axis=2).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = {
            "agreement": (ok & (raw > mid)).sum(axis=2) / n_ok,
            "extreme": (ok & ((raw == lo) | (raw == hi))).sum(axis=2) / n_ok,
            "midpoint": (ok & (raw == mid)).sum(axis=2) / (ok & (np.mod(hi - lo, 2) == 0)).sum(axis=2),
        }
        dev = np.where(ok, (raw - mid) / half, 0.0)
        parts = []
        for d in range(len(inst.dimensions)):
            reg, rv = (dim == d) & ~rev, (dim == d) & rev
            if not reg.any() or not rv.any():
                continue
            m_reg = dev[:, :, reg].sum(axis=2) / ok[:, :, reg].sum(axis=2)
            m_rev = dev[:, :, rv].sum(axis=2) / ok[:, :, rv].sum(axis=2)
            parts.append((m_reg + m_rev) / 2)
        acq = _mean_over_targets(np.stack(parts, axis=1)) if parts else np.full((n, t), np.nan)
    dk = (responses.missing_kind == DONT_KNOW).mean(axis=2)
    return {"acquiescence": acq, **share, "dont_know": dk}


def _mean_over_targets(a: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():  # a respondent with no valid answer: NaN, not a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(a, axis=1)


def _weights(weights, resp: pd.DataFrame) -> np.ndarray:
    from .alpha import _respondent_weights
    return _respondent_weights(weights, resp)
