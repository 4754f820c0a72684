"""Tests of surveyindex.reliability.fit_cfa: multi-group ML CFA against lavaan.

Reference numbers: R 4.2.2, lavaan 0.6.14 (tests/reference/lavaan_invariance.R ->
lavaan_invariance.json, lavaan_omega.R -> lavaan_omega.json, lavaan_sample.R -> lavaan_sample.json).
Each case there stores the exact R call, e.g. ``cfa(m3, data=HS, group="school",
group.equal=c("loadings","intercepts"))`` with m3 the Holzinger-Swineford three-factor model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import reference, reference_data

from surveyindex.errors import EstimationError
from surveyindex.reliability import fit_cfa

INV = reference("lavaan_invariance.json")["cases"]
SAMPLE = reference("lavaan_sample.json")["cases"]
M3 = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
MODELS = {"single_group": {}, "configural": {"group": "school"},
          "metric": {"group": "school", "equal": ("loadings",)},
          "scalar": {"group": "school", "equal": ("loadings", "intercepts")}}
# lavaan fitMeasures name -> ours
NAMES = {"rmsea.ci.lower": "rmsea_ci_low", "rmsea.ci.upper": "rmsea_ci_high",
         "rmsea.pvalue": "rmsea_pvalue", "unrestricted.logl": "unrestricted_logl",
         "baseline.chisq": "baseline_chisq", "baseline.df": "baseline_df"}


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return reference_data("HolzingerSwineford1939")


@pytest.fixture(scope="module")
def hs_fits(hs):
    return {case: fit_cfa(hs, M3, **kw) for case, kw in MODELS.items()}


def _check_fit(fit: dict, ref: dict) -> None:
    """Every lavaan fit measure to 1e-6 relative (the issue asks 1e-4). lavaan stops its
    optimiser at a gradient of ~1e-7, so SRMR (a function of the estimates, not a minimum)
    differs from ours by ~1e-7 absolute; chisq, logl, CFI, RMSEA agree to ~1e-10."""
    for name, want in ref.items():
        if want is None:
            continue
        got = fit[NAMES.get(name, name)]
        if name == "srmr":
            assert got == pytest.approx(want, abs=1e-6), name
        elif name == "pvalue" or name == "rmsea.pvalue":
            assert got == pytest.approx(want, rel=1e-5), name
        else:
            assert got == pytest.approx(want, rel=1e-6, abs=1e-10), name


@pytest.mark.parametrize("case", list(MODELS))
def test_holzinger_swineford_fit_matches_lavaan(hs_fits, case):
    """HolzingerSwineford1939 by school: e.g. configural chisq 115.851 on 48 df, metric 124.044 on
    54, scalar 164.103 on 60 (lavaan 0.6.14); cfi, tli, rmsea + 90% CI, srmr, logl, npar, aic,
    bic, baseline."""
    res = hs_fits[case]
    ref = INV[case]
    assert res.converged
    _check_fit(res.fit, ref["fitMeasures"])
    np.testing.assert_allclose(res.n, ref["nobs"])
    if case != "single_group":
        assert res.groups == ref["group_labels"]
        np.testing.assert_allclose(res.srmr_by_group, ref["srmr_by_group"], atol=1e-6)
        np.testing.assert_allclose(res.chisq_by_group.sum(), sum(ref["chisq_by_group"]), rtol=1e-8)


@pytest.mark.parametrize("case", list(MODELS))
def test_holzinger_swineford_estimates_match_lavaan(hs_fits, case):
    """parameterEstimates(fit)$est for loadings, (co)variances, intercepts and latent means."""
    ref = INV[case]["parameters"]
    want = pd.DataFrame({k: ref[k] for k in ("lhs", "op", "rhs", "group", "est")})
    want = want[want["op"].isin(["=~", "~~", "~1"])]
    ours = hs_fits[case].parameters.copy()
    labels = hs_fits[case].groups
    ours["group"] = [labels.index(g) + 1 if g is not None else 1 for g in ours["group"]]
    ours["rhs"] = ours["rhs"].replace("", np.nan)
    want["rhs"] = want["rhs"].replace("", np.nan)
    merged = want.merge(ours, on=["lhs", "op", "rhs", "group"], how="left",
                        suffixes=("_r", "_py"))
    # lavaan lists each factor covariance once, as we do, in the same orientation
    assert merged["est_py"].notna().all(), merged[merged["est_py"].isna()]
    np.testing.assert_allclose(merged["est_py"], merged["est_r"], atol=2e-5)


def test_lrt_differences_match_lavtestlrt(hs_fits):
    """lavTestLRT(fit.config, fit.metric, fit.scalar): Chisq diff 8.192 (6 df), 40.059 (6 df)."""
    ref = INV["lrt_config_metric_scalar"]
    chisq = [hs_fits[m].fit["chisq"] for m in ("configural", "metric", "scalar")]
    np.testing.assert_allclose(np.diff(chisq), ref["Chisq_diff"][1:], rtol=1e-7)
    dfs = [hs_fits[m].fit["df"] for m in ("configural", "metric", "scalar")]
    assert list(np.diff(dfs)) == ref["Df_diff"][1:]


@pytest.mark.parametrize("dim", ["USA_mor", "CHN_edu"])
@pytest.mark.parametrize("model", ["configural", "metric", "scalar"])
def test_thirteen_countries_match_lavaan(dim, model):
    """The bundled sample, one dimension x target, 13 countries (lavaan_sample.R):
    ``cfa("f =~ USA_mor1 + ... + USA_mor4", data=sp, group="country", group.equal=...)``."""
    sp = reference_data("softpower_sample_items")
    items = [f"{dim}{i}" for i in range(1, 5)]
    equal = {"configural": (), "metric": ("loadings",),
             "scalar": ("loadings", "intercepts")}[model]
    res = fit_cfa(sp, {"f": items}, group="country", equal=equal)
    ref = SAMPLE[f"{dim}_{model}"]
    assert res.converged
    assert res.groups == ref["group_labels"]
    np.testing.assert_allclose(res.n, ref["nobs"])
    _check_fit(res.fit, ref["fitMeasures"])


def test_equal_residuals_are_shared(hs):
    """group.equal="residuals" on top of loadings: 9 fewer parameters than metric (hand count:
    one residual variance per item is shared instead of one per group)."""
    metric = fit_cfa(hs, M3, group="school", equal=("loadings",))
    strict = fit_cfa(hs, M3, group="school", equal=("loadings", "residuals"))
    assert metric.fit["npar"] - strict.fit["npar"] == 9
    assert strict.fit["chisq"] > metric.fit["chisq"]
    p = strict.parameters
    th = p[(p["op"] == "~~") & (p["lhs"] == "x1")]
    assert th["est"].nunique() == 1


@pytest.mark.parametrize("factors, kw, match", [
    ({"f": ["x1"]}, {}, "at least 2"),
    ({"f": ["x1", "x2"], "g": ["x2", "x3"]}, {}, "two factors"),
    ({"f": ["x1", "nope"]}, {}, "not found"),
    ({"f": ["x1", "x2", "x3"]}, {"equal": ("slopes",)}, "equal accepts"),
    ({"f": ["x1", "x2", "x3"]}, {"group": "school", "std_lv": True}, "single group"),
])
def test_bad_models_are_refused(hs, factors, kw, match):
    with pytest.raises(EstimationError, match=match):
        fit_cfa(hs, factors, **kw)


def test_too_few_cases_and_singular_groups(hs):
    small = hs.iloc[:40].copy()
    small["school"] = ["a"] * 38 + ["b"] * 2
    with pytest.raises(EstimationError, match="'b' has 2 complete case"):
        fit_cfa(small, {"f": ["x1", "x2", "x3"]}, group="school")
    const = hs.copy()
    const["x2"] = 1.0
    with pytest.raises(EstimationError, match="singular"):
        fit_cfa(const, {"f": ["x1", "x2", "x3"]})
