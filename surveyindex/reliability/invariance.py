"""Measurement invariance across countries: configural, metric and scalar multi-group CFA.

Each dimension is a one-factor model of its items, fitted by maximum likelihood across the
countries at once (lavaan ``cfa(..., group=)``) with no constraint (configural), equal loadings
(metric) and equal loadings and intercepts (scalar). A step holds when the fit does not worsen
beyond the chosen cut-offs. Where a step fails, each country is released from the constraints in
turn, and a chi-square difference test says whether that country's loadings (or intercepts)
differ from the others': these are the per-country flags.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2

from ..errors import EstimationError
from .cfa import fit_moments, group_moments

#: Published cut-off sets for the change in fit from one model to the next.
#: A step fails when dCFI < ``cfi`` and, if other criteria are given, at least one of
#: dRMSEA > ``rmsea``, dSRMR > ``srmr`` also holds.
CUTOFFS = {
    # Chen (2007), N > 300: dCFI -.010 with dRMSEA .015 or dSRMR .030 (metric) / .010 (scalar)
    "chen2007": {"metric": {"cfi": -0.010, "rmsea": 0.015, "srmr": 0.030},
                 "scalar": {"cfi": -0.010, "rmsea": 0.015, "srmr": 0.010}},
    # Cheung and Rensvold (2002): a CFI drop over .010
    "cheung_rensvold": {"metric": {"cfi": -0.010}, "scalar": {"cfi": -0.010}},
    # Rutkowski and Svetina (2014), many groups: metric dCFI -.020 with dRMSEA .030;
    # scalar at the usual dCFI -.010 with dRMSEA .010
    "rutkowski_svetina": {"metric": {"cfi": -0.020, "rmsea": 0.030},
                          "scalar": {"cfi": -0.010, "rmsea": 0.010}},
}
MODELS = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts")}
_FIT_COLS = ["chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high",
             "srmr", "aic", "bic"]


@dataclass(frozen=True)
class InvarianceResult:
    """Tidy tables of a measurement-invariance analysis.

    Attributes
    ----------
    fit : one row per target x dimension x model: ``target, dimension, model, n, n_groups``, the
        fit statistics (``chisq, df, pvalue, cfi, tli, rmsea, rmsea_ci_low, rmsea_ci_high,
        srmr, aic, bic``) and ``converged``.
    tests : one row per target x dimension x step (``metric`` vs configural, ``scalar`` vs
        metric): ``chisq_diff, df_diff, pvalue, d_cfi, d_rmsea, d_srmr`` and ``holds``.
    summary : one row per target x dimension: ``level`` (the strictest model that holds:
        ``"scalar"``, ``"metric"``, ``"configural"``, or ``"not estimable"``), ``verdict``
        (``"invariant"`` when scalar holds, else ``"not invariant: ..."``) and ``note`` (e.g.
        countries left out for too few complete cases).
    countries : one row per target x dimension x failing step x group, from releasing that
        group's constraints: ``step``, the ``by`` column (e.g. ``country``), ``n``, chisq_diff, df_diff, pvalue, p_adjusted``
        (Bonferroni over the countries) and ``differs`` (``p_adjusted < .05``).
    cutoffs : the cut-offs used.
    """

    fit: pd.DataFrame
    tests: pd.DataFrame
    summary: pd.DataFrame
    countries: pd.DataFrame
    cutoffs: dict

    def __repr__(self) -> str:
        levels = self.summary["level"].value_counts() if "level" in self.summary else {}
        counts = ", ".join(f"{k} {v}" for k, v in levels.items())
        return (f"<InvarianceResult {len(self.summary)} target x dimension: {counts}; "
                ".summary, .fit, .tests, .countries>")

    def _repr_html_(self) -> str:
        from ..display import card

        return card("Measurement invariance", [("models", len(self.fit)),
                                               ("cut-offs", self.cutoffs)],
                    tables=[("Summary", self.summary), ("Tests", self.tests)],
                    note=".summary, .fit, .tests, .countries")


def invariance(responses, by: str = "country", target: str | None = None,
               dimensions=None, cutoffs="chen2007", min_n: int = 30) -> InvarianceResult:
    """Configural, metric and scalar invariance of every dimension across countries.

    Parameters
    ----------
    responses : Responses
        Validated responses (:func:`surveyindex.read_responses`), reverse keying applied.
    by : str
        Respondent column defining the groups (default ``"country"``).
    target : str, optional
        One rated target (e.g. ``"USA"``); None analyses every target separately.
    dimensions : list of str, optional
        Dimension ids (default: every dimension with at least 3 items; with 2 items a one-factor
        model has no degrees of freedom to test loadings).
    cutoffs : {"chen2007", "cheung_rensvold", "rutkowski_svetina"} or dict
        Cut-off set for the change in fit; a dict has the form of :data:`CUTOFFS` values,
        e.g. ``{"metric": {"cfi": -0.01}, "scalar": {"cfi": -0.01, "rmsea": 0.01}}``.
    min_n : int
        Groups with fewer complete cases on a dimension's items are left out of its models (and
        named in ``summary.note``).

    Returns
    -------
    InvarianceResult

    Raises
    ------
    EstimationError
        Unknown ``by`` column, target, dimension or cut-off set.

    Notes
    -----
    Models are fitted to complete cases on the dimension's items (lavaan's listwise default),
    unweighted. The chi-square difference test of nested ML models is ``chisq_diff`` on
    ``df_diff`` degrees of freedom (lavaan ``lavTestLRT``); with thousands of respondents it
    rejects trivial differences, which is why the verdict rests on the change in CFI, RMSEA and
    SRMR. A step that fails is followed by one partial model per country, freeing that country's
    loadings (metric) or intercepts and loadings (scalar): its difference test against the fully
    constrained model says whether that country departs from the others.

    References
    ----------
    Cheung, G. W., & Rensvold, R. B. (2002). Structural Equation Modeling, 9(2), 233-255.
    Chen, F. F. (2007). Structural Equation Modeling, 14(3), 464-504.
    Rutkowski, L., & Svetina, D. (2014). Educational and Psychological Measurement, 74(1), 31-57.

    Examples
    --------
    >>> import surveyindex as si
    >>> from surveyindex.reliability import invariance
    >>> inst = si.load_instrument("softpower")
    >>> r = si.read_responses(si.sample_paths()["responses"], inst)
    >>> res = invariance(r, target="USA", dimensions=["morality"])  # In R: lavaan::cfa(group=)
    >>> res.fit[["model", "df"]].to_dict("list")
    {'model': ['configural', 'metric', 'scalar'], 'df': [26.0, 62.0, 98.0]}
    >>> res.summary[["dimension", "level", "verdict"]].to_dict("records")
    [{'dimension': 'morality', 'level': 'scalar', 'verdict': 'invariant'}]
    """
    cut = _cutoffs(cutoffs)
    inst, resp = responses.instrument, responses.respondents
    if by not in resp.columns:
        raise EstimationError(f"by={by!r} is not a respondent column; columns: {list(resp.columns)}")
    targets = list(enumerate(inst.target_codes))
    if target is not None:
        if target not in inst.target_codes:
            raise EstimationError(f"target {target!r} is not one of {inst.target_codes}")
        targets = [(inst.target_codes.index(target), target)]
    dims = {d.id: d for d in inst.dimensions}
    if dimensions is None:
        chosen = [d for d in inst.dimensions if len(d.items) >= 3]
    else:
        unknown = [d for d in dimensions if d not in dims]
        if unknown:
            raise EstimationError(f"dimensions {unknown} not in the instrument: {list(dims)}")
        chosen = [dims[d] for d in dimensions]
    pos = {it: j for j, it in enumerate(inst.item_ids)}
    codes, labels = pd.factorize(resp[by], sort=True)
    fit_rows, test_rows, summary_rows, country_rows = [], [], [], []
    for t, tcode in targets:
        for d in chosen:
            key = {"target": tcode, "dimension": d.id}
            x = responses.values[:, t, [pos[it.id] for it in d.items]]
            out = _analyse(x, codes, np.asarray(labels), [it.id for it in d.items], d.id, cut, min_n)
            fit_rows += [{**key, **r} for r in out["fit"]]
            test_rows += [{**key, **r} for r in out["tests"]]
            summary_rows.append({**key, **out["summary"]})
            country_rows += [{**key, **r} for r in out["countries"]]
    return InvarianceResult(
        fit=pd.DataFrame(fit_rows, columns=["target", "dimension", "model", "n", "n_groups",
                                            *_FIT_COLS, "converged"]),
        tests=pd.DataFrame(test_rows, columns=["target", "dimension", "step", "chisq_diff",
                                               "df_diff", "pvalue", "d_cfi", "d_rmsea",
                                               "d_srmr", "holds"]),
        summary=pd.DataFrame(summary_rows, columns=["target", "dimension", "n_groups", "level",
                                                    "verdict", "note"]),
        countries=pd.DataFrame(country_rows, columns=["target", "dimension", "step", "group",
                                                      "n", "chisq_diff", "df_diff", "pvalue",
                                                      "p_adjusted", "differs"]).rename(
                                                          columns={"group": by}),
        cutoffs=cut,
    )


def step_holds(d_cfi: float, d_rmsea: float, d_srmr: float, rule: dict) -> bool:
    """Whether an invariance step holds under one step's cut-offs (see :data:`CUTOFFS`).

    >>> from surveyindex.reliability.invariance import CUTOFFS, step_holds
    >>> chen = CUTOFFS["chen2007"]["scalar"]
    >>> step_holds(-0.015, 0.005, 0.004, chen), step_holds(-0.015, 0.005, 0.012, chen)
    (True, False)
    """
    if not d_cfi < rule["cfi"]:
        return True
    extra = [(d_rmsea, rule.get("rmsea")), (d_srmr, rule.get("srmr"))]
    extra = [(v, c) for v, c in extra if c is not None]
    return bool(extra) and not any(v > c for v, c in extra)


# -- helpers ------------------------------------------------------------------------------------

def _cutoffs(cutoffs) -> dict:
    if isinstance(cutoffs, str):
        if cutoffs not in CUTOFFS:
            raise EstimationError(f"cutoffs must be one of {list(CUTOFFS)} or a dict; got {cutoffs!r}")
        return CUTOFFS[cutoffs]
    if not isinstance(cutoffs, dict) or set(cutoffs) != {"metric", "scalar"}:
        raise EstimationError(
            "a cutoffs dict needs the keys 'metric' and 'scalar', each a dict with 'cfi' and "
            "optionally 'rmsea' and 'srmr', e.g. {'metric': {'cfi': -0.01}, 'scalar': {'cfi': -0.01}}"
        )
    for step, rule in cutoffs.items():
        if "cfi" not in rule or set(rule) - {"cfi", "rmsea", "srmr"}:
            raise EstimationError(
                f"cutoffs[{step!r}] must have 'cfi' and optionally 'rmsea', 'srmr'; got {sorted(rule)}"
            )
    return cutoffs


def _analyse(x, codes, labels, items, dim, cut, min_n) -> dict:
    """Fit the three models of one dimension, compare them, locate failing countries."""
    p = x.shape[1]
    keep = ~np.isnan(x).any(axis=1) & (codes >= 0)
    counts = np.bincount(codes[keep], minlength=len(labels))
    used = np.flatnonzero(counts >= max(min_n, p + 1))
    dropped = [str(labels[g]) for g in range(len(labels)) if g not in set(used)]
    note = f"left out (fewer than {max(min_n, p + 1)} complete cases): {', '.join(dropped)}" \
        if dropped else ""
    empty = {"fit": [], "tests": [], "countries": [],
             "summary": {"n_groups": len(used), "level": "not estimable", "verdict": "not estimable",
                         "note": note}}
    if len(used) < 2:
        empty["summary"]["note"] = (note + "; " if note else "") + "fewer than 2 groups"
        return empty
    remap = np.full(len(labels), -1)
    remap[used] = np.arange(len(used))
    sel = keep & (remap[np.maximum(codes, 0)] >= 0)
    g = remap[codes[sel]]
    try:
        moments = group_moments(x[sel], g, len(used), labels[used], items)
    except EstimationError as exc:
        empty["summary"]["note"] = (note + "; " if note else "") + str(exc)
        return empty
    common = dict(factors={dim: items}, item_names=items, factor_index=np.zeros(p, dtype=int),
                  groups=list(labels[used]))
    fits = {}
    for m, eq in MODELS.items():
        fits[m] = fit_moments(*moments, equal=eq, start=fits.get("configural" if m == "metric"
                                                                  else "metric"), **common)
    fit_rows = [{"model": m, "n": int(f.n.sum()), "n_groups": len(used),
                 **{c: f.fit[c] for c in _FIT_COLS}, "converged": f.converged}
                for m, f in fits.items()]
    tests, countries, level = [], [], "scalar"
    for prev, step in (("configural", "metric"), ("metric", "scalar")):
        a, b = fits[prev].fit, fits[step].fit
        dchi, ddf = b["chisq"] - a["chisq"], b["df"] - a["df"]
        d = {"d_cfi": b["cfi"] - a["cfi"], "d_rmsea": b["rmsea"] - a["rmsea"],
             "d_srmr": b["srmr"] - a["srmr"]}
        holds = step_holds(d["d_cfi"], d["d_rmsea"], d["d_srmr"], cut[step])
        tests.append({"step": step, "chisq_diff": dchi, "df_diff": ddf,
                      "pvalue": float(chi2.sf(max(dchi, 0.0), ddf)), **d, "holds": holds})
        if not holds:
            if level == "scalar":
                level = prev
            countries += _release(moments, fits[step], MODELS[step], step, common, used, counts)
    converged = all(f.converged for f in fits.values())
    verdict = {"scalar": "invariant",
               "metric": "not invariant: intercepts differ (compare relations, not means)",
               "configural": "not invariant: loadings differ"}[level]
    if not converged:
        note = (note + "; " if note else "") + "a model did not converge"
    return {"fit": fit_rows, "tests": tests, "countries": countries,
            "summary": {"n_groups": len(used), "level": level, "verdict": verdict, "note": note}}


def _release(moments, constrained, equal, step, common, used, counts) -> list[dict]:
    """One partial model per country, freeing its constraints: which countries differ?"""
    G = len(used)
    rows = []
    for k in range(G):
        part = fit_moments(*moments, equal=equal, release=(k,), start=constrained, **common)
        dchi = constrained.fit["chisq"] - part.fit["chisq"]
        ddf = constrained.fit["df"] - part.fit["df"]
        pv = float(chi2.sf(max(dchi, 0.0), ddf))
        rows.append({"step": step, "group": common["groups"][k], "n": int(moments[0][k]),
                     "chisq_diff": dchi, "df_diff": ddf, "pvalue": pv,
                     "p_adjusted": min(1.0, pv * G), "differs": min(1.0, pv * G) < 0.05})
    return rows
