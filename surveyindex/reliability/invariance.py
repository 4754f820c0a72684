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

from ..errors import EstimationError, require
from ..io import Responses
from .cfa import fit_moments, group_moments
from .comparability import _comparable, _search, _with_alignment
from .robust import sb2001_difference, with_robust

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
_ROBUST_COLS = ["chisq_scaled", "chisq_scaling_factor", "pvalue_scaled", "cfi_robust",
                "tli_robust", "rmsea_robust"]
#: What a country's scores on a dimension support: equal loadings and intercepts everywhere
#: (``scalar``), the same after freeing a few parameters of some countries (``partial``: the
#: country's own freed items are named), or only the aligned means (``aligned only``).
COMPARABLE = ("scalar", "partial", "aligned only", "not estimable")


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
    partial : the partial-invariance search of each dimension that is not scalar invariant
        (:func:`~surveyindex.reliability.partial.partial_search`): if metric failed, first the
        metric model (``model="metric"``), then the scalar one on top of the loadings it freed;
        one row per step with the freed ``group`` (the ``by`` column), ``kind``, ``item``, score
        ``X2`` and the fit after it; step 0 is the model before anything is freed.
    comparable : one row per target x dimension x group: ``comparable`` (one of
        :data:`COMPARABLE`), ``freed`` (that group's parameters freed by the search) and, with
        ``align=True``, the ``aligned_mean`` and ``aligned_sd`` of the factor (alignment of the
        configural model, the first group the reference: :mod:`.alignment`) and the group's
        ``non_invariant`` aligned parameters.
    """

    fit: pd.DataFrame
    tests: pd.DataFrame
    summary: pd.DataFrame
    countries: pd.DataFrame
    cutoffs: dict
    partial: pd.DataFrame = None
    comparable: pd.DataFrame = None

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
               dimensions=None, cutoffs="chen2007", min_n: int = 30, weights=None,
               partial: bool = True, align: bool = True) -> InvarianceResult:
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
    weights : str or array, optional
        Sampling weights: a respondent column (e.g. ``"weight"``) or one value per respondent.
        Models are then fitted by pseudo-ML with lavaan's ``estimator="MLR"`` statistics
        (:mod:`surveyindex.reliability.robust`): the fit table gains the scaled and robust
        columns, the difference tests are Satorra-Bentler (2001) scaled, and the changes in
        CFI and RMSEA are those of the robust CFI and RMSEA.
    partial : bool
        Where scalar invariance fails, search a partial metric (if needed) and partial scalar
        model by score tests (table ``partial``) and say per country what its scores support
        (``comparable``).
    align : bool
        Align the configural model of every dimension (Asparouhov & Muthen 2014), giving
        aligned means comparable where scalar invariance fails (table ``comparable``).

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
    require(responses, Responses, "responses", "Responses (si.read_responses(...)); for a design pass "
            "design.responses", EstimationError)
    cut = _cutoffs(cutoffs)
    if isinstance(min_n, bool) or not isinstance(min_n, (int, np.integer)) or min_n < 1:
        raise EstimationError(f"min_n must be a whole number of respondents (at least 1), "
                              f"not {min_n!r}")
    dimensions = [dimensions] if isinstance(dimensions, str) else dimensions
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
    w = _weights(resp, weights)
    fit_rows, test_rows, summary_rows, country_rows, path_rows, comp_rows = [], [], [], [], [], []
    for t, tcode in targets:
        for d in chosen:
            key = {"target": tcode, "dimension": d.id}
            x = responses.values[:, t, [pos[it.id] for it in d.items]]
            out = _analyse(x, codes, np.asarray(labels), [it.id for it in d.items], d.id, cut, min_n,
                           w, partial, align)
            path_rows += [{**key, **r} for r in out["partial"]]
            comp_rows += [{**key, **r} for r in out["comparable"]]
            fit_rows += [{**key, **r} for r in out["fit"]]
            test_rows += [{**key, **r} for r in out["tests"]]
            summary_rows.append({**key, **out["summary"]})
            country_rows += [{**key, **r} for r in out["countries"]]
    return InvarianceResult(
        fit=pd.DataFrame(fit_rows, columns=["target", "dimension", "model", "n", "n_groups",
                                            *_FIT_COLS, *(_ROBUST_COLS if w is not None else []),
                                            "converged"]),
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
        partial=pd.DataFrame(path_rows, columns=["target", "dimension", "model", "step", "group", "kind",
                                                 "item", "X2", "p_adjusted", "chisq", "df",
                                                 "cfi", "rmsea", "srmr", *(
                                                     ["chisq_scaled", "chisq_scaling_factor",
                                                      "cfi_robust", "rmsea_robust"]
                                                     if w is not None else []), "holds"]
                             ).rename(columns={"group": by}),
        comparable=pd.DataFrame(comp_rows, columns=["target", "dimension", "group", "comparable",
                                                    "freed", *(["aligned_mean", "aligned_sd",
                                                                "non_invariant"] if align else [])]
                                ).rename(columns={"group": by}),
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


def _weights(resp, weights):
    if weights is None:
        return None
    if isinstance(weights, str):
        if weights not in resp.columns:
            raise EstimationError(f"weights={weights!r} is not a respondent column; columns: "
                                  f"{list(resp.columns)}")
        w = pd.to_numeric(resp[weights], errors="coerce").to_numpy(dtype=float)
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != (len(resp),):
            raise EstimationError(f"weights has {w.size} values for {len(resp)} respondents")
    bad = ~(w > 0)
    if bad.any():
        raise EstimationError(f"weights must be positive; respondent rows {np.flatnonzero(bad)[:5].tolist()} "
                              "are not (drop them or give them a weight)")
    return w


def _analyse(x, codes, labels, items, dim, cut, min_n, w=None, search=True, align=False) -> dict:
    """Fit the three models of one dimension, compare them, locate failing countries."""
    p = x.shape[1]
    keep = ~np.isnan(x).any(axis=1) & (codes >= 0)
    counts = np.bincount(codes[keep], minlength=len(labels))
    used = np.flatnonzero(counts >= max(min_n, p + 1))
    dropped = [str(labels[g]) for g in range(len(labels)) if g not in set(used)]
    note = f"left out (fewer than {max(min_n, p + 1)} complete cases): {', '.join(dropped)}" \
        if dropped else ""
    empty = {"fit": [], "tests": [], "countries": [], "partial": [],
             "comparable": [{"group": lab, "comparable": "not estimable", "freed": ""}
                            for lab in labels],
             "summary": {"n_groups": len(used), "level": "not estimable", "verdict": "not estimable",
                         "note": note}}
    if len(used) < 2:
        empty["summary"]["note"] = (note + "; " if note else "") + "fewer than 2 groups"
        return empty
    remap = np.full(len(labels), -1)
    remap[used] = np.arange(len(used))
    sel = keep & (remap[np.maximum(codes, 0)] >= 0)
    g = remap[codes[sel]]
    ws = None if w is None else w[sel] * (sel.sum() / w[sel].sum())
    try:
        moments = group_moments(x[sel], g, len(used), labels[used], items, weights=ws)
    except EstimationError as exc:
        empty["summary"]["note"] = (note + "; " if note else "") + str(exc)
        return empty
    common = dict(factors={dim: items}, item_names=items, factor_index=np.zeros(p, dtype=int),
                  groups=list(labels[used]))
    robust, cache = (lambda f: f), {}
    if w is not None:
        def robust(f):  # the saturated model's parts are the same for every model of these rows
            out = with_robust(f, x[sel], g, ws, None, cache.get("saturated"))
            cache["saturated"] = out.rows[4]
            return out
    fits = {}
    for m, eq in MODELS.items():
        fits[m] = robust(fit_moments(*moments, equal=eq, start=fits.get(
            "configural" if m == "metric" else "metric"), **common))
    cols = _FIT_COLS + (_ROBUST_COLS if w is not None else [])
    fit_rows = [{"model": m, "n": int(sel.sum()), "n_groups": len(used),
                 **{c: f.fit[c] for c in cols}, "converged": f.converged}
                for m, f in fits.items()]
    tests, countries, level = [], [], "scalar"
    for prev, step in (("configural", "metric"), ("metric", "scalar")):
        dchi, ddf, pv = _difference(fits[prev], fits[step])
        d = _changes(fits[prev].fit, fits[step].fit)
        holds = step_holds(d["d_cfi"], d["d_rmsea"], d["d_srmr"], cut[step])
        tests.append({"step": step, "chisq_diff": dchi, "df_diff": ddf, "pvalue": pv, **d,
                      "holds": holds})
        if not holds:
            if level == "scalar":
                level = prev
            countries += _release(moments, fits[step], MODELS[step], step, common, counts[used],
                                  robust)
    converged = all(f.converged for f in fits.values())
    verdict = {"scalar": "invariant",
               "metric": "not invariant: intercepts differ (compare relations, not means)",
               "configural": "not invariant: loadings differ"}[level]
    path, comparable = [], _comparable(level, common["groups"], labels, None, None)
    if search and level != "scalar":
        path, final = _search(fits, level, moments, common, cut, robust)
        comparable = _comparable(level, common["groups"], labels, final, final is not None)
        if final is not None:
            verdict = f"partial scalar invariance: {len(final.spec.free)} parameter(s) freed"
    if align:
        comparable = _with_alignment(comparable, fits["configural"])
    if not converged:
        note = (note + "; " if note else "") + "a model did not converge"
    return {"fit": fit_rows, "tests": tests, "countries": countries, "partial": path,
            "comparable": comparable,
            "summary": {"n_groups": len(used), "level": level, "verdict": verdict, "note": note}}


def _difference(a, b):
    """Chi-square difference of nested fits: plain for ML, Satorra-Bentler (2001) for MLR."""
    fa, fb = a.fit, b.fit
    if "chisq_scaling_factor" in fa:
        r = sb2001_difference(fa["chisq"], fa["df"], fa["chisq_scaling_factor"],
                              fb["chisq"], fb["df"], fb["chisq_scaling_factor"])
        return r["chisq_diff"], r["df_diff"], r["pvalue"]
    dchi, ddf = fb["chisq"] - fa["chisq"], fb["df"] - fa["df"]
    return dchi, ddf, float(chi2.sf(max(dchi, 0.0), ddf))


def _changes(a: dict, b: dict) -> dict:
    cfi, rmsea = ("cfi_robust", "rmsea_robust") if "cfi_robust" in a else ("cfi", "rmsea")
    return {"d_cfi": b[cfi] - a[cfi], "d_rmsea": b[rmsea] - a[rmsea], "d_srmr": b["srmr"] - a["srmr"]}


def _release(moments, constrained, equal, step, common, counts, robust) -> list[dict]:
    """One partial model per country, freeing its constraints: which countries differ?"""
    G = len(counts)
    rows = []
    for k in range(G):
        part = robust(fit_moments(*moments, equal=equal, release=(k,), start=constrained, **common))
        dchi, ddf, pv = _difference(part, constrained)
        rows.append({"step": step, "group": common["groups"][k], "n": int(counts[k]),
                     "chisq_diff": dchi, "df_diff": ddf, "pvalue": pv,
                     "p_adjusted": min(1.0, pv * G), "differs": min(1.0, pv * G) < 0.05})
    return rows
