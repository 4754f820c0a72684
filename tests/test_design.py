"""Design and weighting: raking against R survey, replicate weights, diagnostics by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import reference, reference_data

import surveyindex as si
from surveyindex.design import SurveyDesign
from surveyindex.errors import WeightingError

RAKE = reference("survey_rake.json")["cases"]
APICLUS1_POP = pd.DataFrame({
    "variable": ["stype"] * 3 + ["sch.wide"] * 2,
    "category": ["E", "H", "M", "No", "Yes"],
    "count": [4421, 755, 1018, 1072, 5122],
})


def _mean(design, y):
    return float((design.weights * y).sum() / design.weights.sum())


def test_rake_matches_r_survey_apiclus1():
    """R 4.2.2, survey 4.1.1 (tests/reference/survey_rake.R, case rake_tight):
    dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    rake(dclus1, list(~stype,~sch.wide), list(pop.types, pop.schwide),
         control=list(epsilon=1e-12, maxit=500))
    R's default control (epsilon=1) stops after 4 sweeps, before convergence, so the tight run
    is the one to compare fixed points with."""
    apiclus1 = reference_data("apiclus1")
    d = si.make_design(apiclus1, weights="pw", strata=None, psu="dnum")
    raked = si.rake(d, APICLUS1_POP, by=None, tolerance=1e-13, max_iterations=500)
    ref = RAKE["rake_tight"]
    np.testing.assert_allclose(raked.weights, ref["weights"], rtol=1e-10)
    assert _mean(raked, apiclus1.api00) == pytest.approx(ref["svymean_api00"]["estimate"], rel=1e-12)
    assert raked.weights.sum() == pytest.approx(6194, rel=1e-12)
    # calibrate(calfun="raking") reaches the same fixed point (R stops it at epsilon 1e-7).
    np.testing.assert_allclose(raked.weights, RAKE["calibrate_raking"]["weights"], rtol=1e-6)


def test_rake_matches_r_survey_apistrat_from_design_weights():
    """R: dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc);
    rake(dstrat, list(~sch.wide,~comp.imp), <apipop counts>, control=list(epsilon=1e-12,
    maxit=500)) (survey_rake.json, rake_apistrat_tight). Raking starts from the unequal pw."""
    apistrat = reference_data("apistrat")
    ref = RAKE["rake_apistrat_tight"]
    margins = {v: cats for v, cats in ref["population"].items()}
    d = si.make_design(apistrat, weights="pw", strata="stype")
    raked = d.rake(margins, by=None, tolerance=1e-13, max_iterations=500)
    np.testing.assert_allclose(raked.weights, ref["weights"], rtol=1e-10)
    assert _mean(raked, apistrat.api00) == pytest.approx(ref["svymean_api00"]["estimate"], rel=1e-12)


def test_raking_replicates_matches_r_jk1():
    """Replicate weights are raked too. R: rclus1 <- as.svrepdesign(dclus1, type="JK1");
    svymean(~api00, rake(rclus1, ..., control=list(epsilon=1e-12, maxit=500)))
    gave 641.23032092682, SE 26.8739804354671 (R 4.2.2, survey 4.1.1; scale 14/15*(1-15/757)).
    JK1 replicate r drops district r and multiplies the others by 15/14."""
    apiclus1 = reference_data("apiclus1")
    psu, first = np.unique(apiclus1.dnum, return_index=True)
    psu = psu[np.argsort(first)]                       # R orders replicates by first appearance
    n = len(psu)
    drop = apiclus1.dnum.to_numpy()[:, None] == psu[None, :]
    rep = apiclus1.pw.to_numpy()[:, None] * np.where(drop, 0.0, n / (n - 1))
    d = SurveyDesign(data=apiclus1, weights=apiclus1.pw.to_numpy(float), replicate_weights=rep,
                     replicate_type="JK1", replicate_scale=(n - 1) / n * (1 - n / 757))
    raked = d.rake(APICLUS1_POP, by=None, tolerance=1e-13, max_iterations=500)
    est = si.estimate_means(raked, apiclus1[["api00"]])
    assert est.estimate[0, 0] == pytest.approx(641.23032092682, rel=1e-11)
    assert est.se[0, 0] == pytest.approx(26.8739804354671, rel=1e-9)


def test_rake_by_country_hits_every_margin(sample, margins):
    d = si.make_design(sample).with_replicates("bootstrap", n=5, seed=3).rake(margins, by="country")
    data = d.data.assign(w=d.weights)
    for var in ["age_group", "gender", "education", "region"]:
        got = data.groupby(["country", var])["w"].sum() / data.groupby("country")["w"].sum()
        want = margins[margins.variable == var].set_index(["country", "category"])["proportion"]
        got.index.names = want.index.names
        np.testing.assert_allclose(got.sort_index(), want.loc[got.index].sort_index(), atol=1e-7)
    # Each replicate is raked to the same shares of its own total.
    rep = data.assign(r=d.replicate_weights[:, 2])
    share = rep.groupby(["country", "education"])["r"].sum() / rep.groupby("country")["r"].sum()
    want = margins[margins.variable == "education"].set_index(["country", "category"])["proportion"]
    np.testing.assert_allclose(share.to_numpy(), want.loc[share.index].to_numpy(), atol=1e-7)
    # Country totals are kept (proportions scale to the country's weighted total).
    np.testing.assert_allclose(data.groupby("country")["w"].sum(),
                               data.groupby("country").size(), rtol=1e-9)


def test_two_by_two_raking_by_hand():
    """Closed form: a 2x2 table raked to margins with one respondent per cell. Start weights
    (1, 1, 1, 1); rows to (0.5, 0.5) then columns to (0.3, 0.7) -> (0.6, 1.4, 0.6, 1.4)."""
    df = pd.DataFrame({"sex": ["m", "m", "f", "f"], "age": ["y", "o", "y", "o"]})
    r = si.make_design(df, strata=None).rake({"sex": {"m": .5, "f": .5}, "age": {"y": .3, "o": .7}},
                                            by=None)
    np.testing.assert_allclose(r.weights, [0.6, 1.4, 0.6, 1.4])


def _drop_category(m):
    """JPN's margins without region 4, the other regions rescaled to sum to one."""
    m = m[~((m.country == "JPN") & (m.variable == "region") & (m.category == "4"))].copy()
    sel = (m.country == "JPN") & (m.variable == "region")
    m.loc[sel, "proportion"] /= m.loc[sel, "proportion"].sum()
    return m


@pytest.mark.parametrize("change, message", [
    (lambda m: m.assign(proportion=np.where((m.country == "BRA") & (m.variable == "gender")
                                            & (m.category == "1"), 0.6, m.proportion)),
     r"country BRA: proportions of margin 'gender' sum to 1\.\d+, not 1"),
    (lambda m: m[~((m.country == "JPN") & (m.variable == "region") & (m.category == "4"))],
     "country JPN: proportions of margin 'region' sum to 0.87"),
    (_drop_category, "country JPN: region = '4' in the data but not in the margins"),
    (lambda m: m[m.country != "KOR"], r"no margins given for country \['KOR'\]"),
    (lambda m: m.rename(columns={"proportion": "share"}), "needs columns 'variable', 'category'"),
])
def test_bad_margins_are_errors_with_the_values(sample, margins, change, message):
    d = si.make_design(sample)
    with pytest.raises(WeightingError, match=message):
        d.rake(change(margins), by="country")


def test_empty_cell_names_country_margin_and_category(sample, margins):
    d = si.make_design(sample)
    extra = pd.DataFrame({"country": ["ARG"], "variable": ["gender"], "category": ["3"],
                          "proportion": [0.0]})
    m = margins.copy()
    sel = (m.country == "ARG") & (m.variable == "gender")
    m.loc[sel, "proportion"] = [0.45, 0.45]
    extra["proportion"] = 0.10
    with pytest.raises(WeightingError, match="country ARG: margin 'gender' category '3' has a "
                                             "population target but no respondents"):
        d.rake(pd.concat([m, extra]), by="country")


def test_non_convergence_is_an_error(sample, margins):
    d = si.make_design(sample)
    with pytest.raises(WeightingError, match="did not converge in 1 iterations"):
        d.rake(margins, by="country", tolerance=1e-12, max_iterations=1)


def test_bootstrap_is_seeded_and_rao_wu():
    df = pd.DataFrame({"country": ["A"] * 5 + ["B"] * 3})
    d = si.make_design(df, strata="country")
    a = d.with_replicates("bootstrap", n=400, seed=7).replicate_weights
    b = d.with_replicates("bootstrap", n=400, seed=7).replicate_weights
    np.testing.assert_array_equal(a, b)
    # Rao-Wu: n_h - 1 draws rescaled by n_h / (n_h - 1), so each stratum keeps its total exactly
    # and each unit's factor is a multiple of n_h / (n_h - 1).
    np.testing.assert_allclose(a[:5].sum(axis=0), 5)
    np.testing.assert_allclose(a[5:].sum(axis=0), 3)
    np.testing.assert_allclose((a[:5] / 1.25) % 1, 0, atol=1e-12)
    with pytest.raises(WeightingError, match="explicit seed"):
        d.with_replicates("bootstrap", n=10)


def test_bootstrap_variance_of_a_mean_is_about_srs():
    """For an SRS, the rescaled bootstrap variance of a mean is unbiased for s^2/n; with 2000
    replicates the SE is within a few percent of the closed form."""
    rng = np.random.default_rng(0)
    y = rng.normal(size=400)
    d = si.make_design(pd.DataFrame({"y": y}), strata=None).with_replicates("bootstrap", n=2000,
                                                                            seed=1)
    se = si.estimate_means(d, y).se[0, 0]
    assert se == pytest.approx(y.std(ddof=1) / np.sqrt(400), rel=0.05)


def test_kish_diagnostics_by_hand():
    """deff = n sum(w^2) / sum(w)^2 = 4 * 22 / 64 = 1.375; n_eff = 4 / 1.375."""
    d = si.make_design(pd.DataFrame({"country": ["A"] * 4 + ["B"] * 2}),
                       weights=np.array([1, 1, 2, 4, 3, 3.0]))
    t = d.diagnostics().set_index("country")
    assert t.loc["A", "deff_kish"] == pytest.approx(1.375)
    assert t.loc["A", "n_eff"] == pytest.approx(4 / 1.375)
    assert t.loc["A", "weight_ratio"] == 4 and t.loc["B", "deff_kish"] == 1


def test_design_rejects_bad_weights():
    df = pd.DataFrame({"country": ["A", "A"]})
    with pytest.raises(WeightingError, match="finite and non-negative"):
        si.make_design(df, weights=np.array([1.0, -1.0]))
    with pytest.raises(WeightingError, match="weight column 'w' not found"):
        si.make_design(df, weights="w")


def test_weighting_returns_a_new_design(sample, margins):
    d = si.make_design(sample)
    r = d.rake(margins, by="country")
    assert (d.weights == 1).all() and not np.allclose(r.weights, 1)
    assert [s["step"] for s in r.steps] == ["design", "rake"]
