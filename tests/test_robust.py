"""Design-weighted CFA (pseudo-ML, MLR), scaled difference tests, score tests and the partial
invariance path, pinned to lavaan 0.6.14 (R 4.2.2): tests/reference/lavaan_robust.R, on
HolzingerSwineford1939 with the made-up weight ``w = 0.5 + ((7 id) mod 11) / 4``. Every R call
is stored in lavaan_robust.json next to its numbers. Tolerances: lavaan stops its optimiser
at about 1e-6 in the estimates, which moves the statistics in the 6th-7th digit; the baseline
scaling factor, which needs no optimiser, agrees to 1e-9.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import reference, reference_data
from lavaan_checks import check_fit_measures, check_sb2001, matched_parameters

from surveyindex.errors import EstimationError
from surveyindex.reliability import fit_cfa
from surveyindex.reliability.partial import partial_search, score_tests

REF = reference("lavaan_robust.json")["cases"]
M3 = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
MODELS = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts")}


@pytest.fixture(scope="module")
def hs():
    d = reference_data("HolzingerSwineford1939")
    return d.assign(w=0.5 + ((7 * d["id"]) % 11) / 4)


@pytest.fixture(scope="module")
def fits(hs):
    out = {"single_unweighted": fit_cfa(hs, M3, estimator="MLR"),
           "single_weighted": fit_cfa(hs, M3, weights="w")}
    for name, eq in MODELS.items():
        out[name] = fit_cfa(hs, M3, group="school", weights="w", equal=eq)
    return out


@pytest.mark.parametrize("case", ["single_unweighted", "single_weighted", *MODELS])
def test_mlr_fit_measures_match_lavaan(fits, case):
    fit = fits[case]
    assert fit.groups == (REF[case]["group_labels"] or [None])
    check_fit_measures(fit, REF[case])


@pytest.mark.parametrize("case", ["single_unweighted", "single_weighted", "configural", "scalar"])
def test_robust_standard_errors_match_lavaan(fits, case):
    m = matched_parameters(fits[case], REF[case])
    np.testing.assert_allclose(m["est_y"], m["est_x"], atol=1e-5)
    np.testing.assert_allclose(m["se_y"], m["se_x"], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("case, a, b", [("sb2001_config_metric", "configural", "metric"),
                                        ("sb2001_metric_scalar", "metric", "scalar")])
def test_satorra_bentler_2001_difference(fits, case, a, b):
    check_sb2001(fits[a].fit, fits[b].fit, REF[case])


@pytest.mark.parametrize("case, kw", [("score_ml", {}), ("score_mlr", {"weights": "w"})])
def test_score_tests_match_lavTestScore(hs, case, kw):
    fit = fit_cfa(hs, M3, group="school", equal=MODELS["scalar"], **kw)
    st = score_tests(fit)
    ref = REF[case]
    assert len(st) == len(ref["X2"]) == 15  # 6 loadings + 9 intercepts of Grant-White
    want = {}
    for where, x2 in zip(ref["rhs_par"], ref["X2"]):
        g, lhs, op, *rhs = where.split(" ")
        want[(fit.groups[int(g) - 1], lhs, op, rhs[0] if rhs else "")] = x2
    got = {(r.group, r.lhs, r.op, r.rhs): r.X2 for r in st.itertuples()}
    assert set(got) == set(want)
    for k in want:
        assert got[k] == pytest.approx(want[k], rel=2e-5, abs=3e-5), k  # lavaan stops at ~1e-6
    assert list(st["X2"]) == sorted(st["X2"], reverse=True)


def test_partial_path_matches_lavaan(fits):
    """R frees the largest score test three times with group.partial; each step's fit."""
    final, path = partial_search(fits["scalar"], alpha=1.0, max_free=2)
    steps = REF["partial_path"]["steps"]
    assert [f"{i} ~1" for i in path["item"][1:]] == [s["freed"] for s in steps[:2]]
    np.testing.assert_allclose(path["X2"][1:], [s["max_X2"] for s in steps[:2]], rtol=2e-5)
    for k in range(3):
        ref = steps[k]["fit"]
        assert path["df"][k] == ref["df"]
        assert path["chisq"][k] == pytest.approx(ref["chisq"], rel=1e-7)
        assert path["chisq_scaled"][k] == pytest.approx(ref["chisq.scaled"], rel=2e-6)
        assert path["cfi_robust"][k] == pytest.approx(ref["cfi.robust"], rel=2e-6)
    assert final.fit["df"] == 58


def test_weights_need_mlr_and_must_be_positive(hs):
    with pytest.raises(EstimationError, match="need estimator='MLR'"):
        fit_cfa(hs, M3, weights="w", estimator="ML")
    with pytest.raises(EstimationError, match="zero or negative"):
        fit_cfa(hs.assign(w=hs["w"] - 1), M3, weights="w")
    with pytest.raises(EstimationError, match="not found"):
        fit_cfa(hs, M3, weights="weight")


def test_equal_weights_change_nothing_but_the_test(hs):
    """Constant weights are rescaled to 1: the same estimates as unweighted ML, and MLR equals
    lavaan's unweighted MLR case."""
    a = fit_cfa(hs.assign(w=3.0), M3, weights="w")
    b = fit_cfa(hs, M3, estimator="MLR")
    assert a.fit["chisq_scaled"] == pytest.approx(b.fit["chisq_scaled"], rel=1e-10)


# -- complex designs: tests/reference/lavaan_survey.R (lavaan 0.6.14, survey 4.1.1,
# lavaan.survey 1.1.3.1), strata = school, 15 pseudo-PSUs per school (id mod 15) -------------

SURVEY = reference("lavaan_survey.json")["cases"]


@pytest.fixture(scope="module")
def hs_design(hs):
    return hs.assign(psu=hs["school"] + " " + (hs["id"] % 15).astype(str))


def _check_fit(fit, ref, est_tol=1e-5):
    for key, want in ref["fitMeasures"].items():
        assert fit.fit[key.replace(".", "_")] == pytest.approx(want, rel=2e-6), key
    pe = pd.DataFrame(ref["parameters"])
    t = fit.parameters.copy()
    t["gi"] = [fit.groups.index(g) + 1 for g in t["group"]]
    m = pe.merge(t, left_on=["group", "lhs", "op", "rhs"], right_on=["gi", "lhs", "op", "rhs"])
    assert len(m) == len(pe)
    np.testing.assert_allclose(m["est_y"], m["est_x"], atol=est_tol)
    np.testing.assert_allclose(m["se_y"], m["se_x"], atol=1e-5)


def test_cluster_robust_mlr_matches_lavaan_cluster(hs_design):
    """cfa(..., estimator="MLR", sampling.weights="w", cluster="psu"): scores summed within
    PSUs with the C/(C-1) correction; a mean structure, as lavaan adds with cluster=."""
    fit = fit_cfa(hs_design, M3, weights="w", cluster="psu")
    assert fit.fit["npar"] == 30
    _check_fit(fit, SURVEY["cluster_mlr"])


def test_design_gamma_is_svymean_and_svyvar(hs_design):
    from surveyindex.reliability.design_cfa import design_gamma

    ref = SURVEY["svyvar_x123"]
    x = hs_design[["x1", "x2", "x3"]].to_numpy()
    gamma = design_gamma(x, np.zeros(len(x), int), hs_design["w"].to_numpy(),
                         pd.factorize(hs_design["school"])[0], pd.factorize(hs_design["psu"])[0],
                         1)[0] / len(x)
    np.testing.assert_allclose(gamma[:3, :3], ref["var_mean"]["data"], rtol=1e-10, atol=1e-16)
    r, c = np.tril_indices(3)
    vec = [i * 3 + j for i, j in zip(r, c)]
    np.testing.assert_allclose(gamma[3:, 3:], np.array(ref["var_cov"]["data"])[np.ix_(vec, vec)],
                               rtol=1e-10, atol=1e-16)
    assert (gamma[:3, 3:] == 0).all()  # lavaan.survey: no mean-covariance block


@pytest.mark.parametrize("case, kw", [("survey_single", {}), ("survey_groups", {"group": "school"})])
def test_strata_and_psus_match_lavaan_survey(hs_design, case, kw):
    from surveyindex.reliability.design_cfa import fit_cfa_design

    fit = fit_cfa_design(hs_design, M3, weights="w", strata="school", psu="psu", **kw)
    _check_fit(fit, SURVEY[case])


def test_single_psu_stratum_is_an_error(hs_design):
    from surveyindex.reliability.design_cfa import fit_cfa_design

    lonely = hs_design.assign(psu=np.where(hs_design["school"] == "Pasteur", "one", hs_design["psu"]))
    with pytest.raises(EstimationError, match="single PSU"):
        fit_cfa_design(lonely, M3, weights="w", strata="school", psu="psu")


def test_jkn_replicate_weights_match_lavaan_survey_on_svrepdesign(hs_design):
    """lavaan.survey(cfa(m3, HS), as.svrepdesign(des, type="JKn")); the JKn weights are
    surveyindex's own (design.replicates.jkn_replicates, pinned to R in its tests)."""
    from surveyindex.design import make_design
    from surveyindex.design.replicates import jkn_replicates
    from surveyindex.reliability.design_cfa import fit_cfa_design

    des = jkn_replicates(make_design(hs_design, weights="w", strata="school", psu="psu"))
    fit = fit_cfa_design(hs_design, M3, weights="w",
                         replicate_weights=np.asarray(des.replicate_weights),
                         replicate_scale=des.replicate_scale,
                         replicate_rscales=des.replicate_rscales, replicate_mse=des.replicate_mse)
    _check_fit(fit, SURVEY["survey_jkn"])
