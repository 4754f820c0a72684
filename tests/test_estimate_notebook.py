"""The estimators' front door (issue 16): names, categorical columns, one result object,
level= / df=, design effects. Expected numbers: tests/reference/survey_notebook.json, made by
tests/reference/survey_notebook.R with R 4.2.2 and survey 4.1.1; each test names the R call.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import reference, reference_data

import surveyindex as si
from surveyindex.errors import EstimationError

NB = reference("survey_notebook.json")["cases"]
EST = reference("survey_estimators.json")["cases"]
REL = 1e-9


@pytest.fixture(scope="module")
def api():
    c1, st = reference_data("apiclus1"), reference_data("apistrat")
    st = st.assign(wn=st["pw"] * len(st) / st["pw"].sum())
    pop = pd.DataFrame({"variable": "stype", "category": ["E", "H", "M"],
                        "count": 183 * np.array([4421, 755, 1018]) / 6194})
    return {
        "dclus1": si.make_design(c1, weights="pw", psu="dnum", fpc="fpc"),
        "dstrat": si.make_design(st, weights="pw", strata="stype", fpc="fpc"),
        "dnofpc": si.make_design(st, weights="pw", strata="stype"),
        "dn": si.make_design(st, weights="wn", strata="stype"),
        # rake(dclus1nf, list(~stype), list(popn), control=list(maxit=100, epsilon=1e-12))
        "draked": si.make_design(c1, weights="pw", psu="dnum").rake(pop, by=None),
    }


def test_a_name_a_list_and_a_frame_give_the_same_estimates(api):
    """svymean(~api00, dclus1): by name, by list, by DataFrame; est["api00"] and float()."""
    d = api["dclus1"]
    ref = EST["svymean_api00_dclus1"]
    for values in ("api00", ["api00"], d.data[["api00"]], d.data["api00"]):
        est = si.estimate_means(d, values)
        assert float(est["api00"]) == pytest.approx(ref["estimate"]["api00"], rel=1e-12)
        assert float(est.se[0, 0]) == pytest.approx(ref["se"]["api00"], rel=REL)
    est = si.estimate_means(d, ["api00", "api99"])
    assert est["api99"].variables == ["api99"] and est.coef.index.tolist() == ["api00", "api99"]
    assert est.SE["api00"] == pytest.approx(ref["se"]["api00"], rel=REL)
    with pytest.raises(KeyError, match="api00"):
        est["nope"]
    with pytest.raises(EstimationError, match="not in the design"):
        si.estimate_means(d, "nope")
    with pytest.raises(EstimationError, match="one estimate"):
        float(est)


def test_categorical_column_gives_category_proportions(api):
    """svymean(~stype, dclus1, deff=TRUE) and svytotal(~stype, dclus1): a text column is a
    factor; its mean is each category's proportion (with R's deff), its total the count."""
    d = api["dclus1"]
    est = si.estimate_means(d, "stype")
    ref = NB["svymean_stype_dclus1"]
    assert est.variables == ["stype=E", "stype=H", "stype=M"]
    for j, c in enumerate("EHM"):
        assert est.estimate[0, j] == pytest.approx(ref["estimate"][f"stype{c}"], rel=1e-12)
        assert est.se[0, j] == pytest.approx(ref["se"][f"stype{c}"], rel=REL)
        assert est.deff[0, j] == pytest.approx(ref["deff"][f"stype{c}"], rel=REL)
    assert est["stype"].estimate.shape == (1, 3)
    tot, ref = si.estimate_totals(d, "stype"), NB["svytotal_stype_dclus1"]
    np.testing.assert_allclose(tot.estimate[0], [ref["estimate"][f"stype{c}"] for c in "EHM"],
                               rtol=1e-12)
    np.testing.assert_allclose(tot.se[0], [ref["se"][f"stype{c}"] for c in "EHM"], rtol=REL)


def test_categorical_by_domain_matches_svyby(api):
    """svyby(~stype, ~awards, dclus1, svymean)."""
    est = si.estimate_means(api["dclus1"], "stype", by="awards")
    ref = NB["svyby_stype_by_awards_dclus1"]
    t = est.table()
    for _, row in t.iterrows():
        key = f"{row['awards']}:stype{row['variable'].split('=')[1]}"
        assert row["estimate"] == pytest.approx(ref["estimate"][key], rel=1e-12)
        assert row["se"] == pytest.approx(ref["se"][key], rel=REL)


def test_svyciprop_interval_as_an_option(api):
    """svyciprop(~I(stype=="E"), dclus1, method="logit", level=0.9): the logit interval with
    degf(dclus1) = 14, from estimate_means(interval="logit") and from estimate_proportions."""
    ref = NB["svyciprop_stypeE_dclus1"]
    for est in (si.estimate_means(api["dclus1"], "stype", interval="logit", level=0.9),
                si.estimate_proportions(api["dclus1"], "stype", level=0.9)):
        row = est.table().iloc[0]
        assert row["variable"] == "stype=E" and row["df"] == ref["df"] == 14
        assert row["estimate"] == pytest.approx(ref["estimate"], rel=1e-9)
        assert [row["ci_low"], row["ci_high"]] == pytest.approx(ref["ci"], rel=1e-9)


@pytest.mark.parametrize("case, fn, design, kw", [
    ("confint_mean_api00_dclus1_degf", si.estimate_means, "dclus1", {"df": "design"}),
    ("confint_mean_api00_dstrat_90_degf", si.estimate_means, "dstrat",
     {"df": "design", "level": 0.9}),
    ("confint_total_enroll_dclus1", si.estimate_totals, "dclus1", {}),
])
def test_t_intervals_match_confint_with_degf(api, case, fn, design, kw):
    """confint(svymean(~api00, D), level=, df=degf(D)); confint(svytotal(~enroll, dclus1))
    (normal, R's default df=Inf)."""
    ref = NB[case]
    var = next(iter(ref["ci_low"]))
    est = fn(api[design], var, **kw)
    lo, hi = est.confint()
    assert lo[0, 0] == pytest.approx(ref["ci_low"][var], rel=1e-12)
    assert hi[0, 0] == pytest.approx(ref["ci_high"][var], rel=1e-12)
    assert est.df == (si.degrees_of_freedom(api[design]) if "df" in kw else None)


def test_ratio_and_domain_intervals_with_degf(api):
    """confint(svyratio(~api00, ~api99, dclus1), df=degf(dclus1)) and
    confint(svyby(~api00, ~stype, dclus1, svymean), df=degf(dclus1))."""
    d = api["dclus1"]
    r = si.estimate_ratios(d, "api00", "api99", df=14).table().iloc[0]
    ref = NB["confint_ratio_dclus1_degf"]
    assert [r["ci_low"], r["ci_high"]] == pytest.approx(
        [ref["ci_low"]["api00/api99"], ref["ci_high"]["api00/api99"]], rel=1e-12)
    t = si.estimate_means(d, "api00", by="stype", df="design").table()
    ref = NB["confint_svyby_dclus1_degf"]
    np.testing.assert_allclose(t["ci_low"], [ref["ci_low"][k] for k in t["stype"]], rtol=1e-12)
    np.testing.assert_allclose(t["ci_high"], [ref["ci_high"][k] for k in t["stype"]], rtol=1e-12)
    # table(level) overrides the stored level; df=inf is the normal
    wide = si.estimate_means(d, "api00", df=np.inf).table(level=0.99).iloc[0]
    assert wide["ci_high"] - wide["estimate"] == pytest.approx(2.5758293035489 * wide["se"])
    with pytest.raises(EstimationError, match="df must be"):
        si.estimate_means(d, "api00", df="R")


@pytest.mark.parametrize("design", ["dnofpc", "dn", "draked"])
@pytest.mark.parametrize("fn, name", [(si.estimate_means, "svymean"),
                                      (si.estimate_totals, "svytotal")])
def test_deff_without_population_size_is_against_srswr(api, design, fn, name):
    """svymean / svytotal(~api00, D, deff="replace") for a design without fpc (dnofpc), with
    weights summing to n (dn: pw scaled to n = 200) and raked to counts summing to n
    (draked: R's deff=TRUE gives Inf for both of those); Kish's deff beside it."""
    d = api[design]
    est = fn(d, "api00")
    ref = NB[f"{name}_api00_{design}_replace"]
    assert est.deff_type == "replace"
    assert est.estimate[0, 0] == pytest.approx(ref["estimate"]["api00"], rel=1e-9)
    assert est.se[0, 0] == pytest.approx(ref["se"]["api00"], rel=1e-9)
    assert est.deff[0, 0] == pytest.approx(ref["deff"]["api00"], rel=1e-9)
    w = d.weights
    kish = len(w) * (w ** 2).sum() / w.sum() ** 2          # n sum(w^2) / (sum w)^2, by hand
    assert est.table()["deff_kish"].iloc[0] == pytest.approx(kish, rel=1e-12)


def test_without_replacement_deff_when_asked(api):
    """deff="noreplace" is R's deff=TRUE (pinned on dnofpc, weights sum to N = 6194); where the
    weights sum to n it warns and gives NaN, never -420 or 3e15."""
    est = si.estimate_means(api["dnofpc"], "api00", deff="noreplace")
    assert est.deff[0, 0] == pytest.approx(
        NB["svymean_api00_dnofpc_noreplace"]["deff"]["api00"], rel=1e-9)
    with pytest.warns(UserWarning, match="population larger than the sample"):
        est = si.estimate_means(api["dn"], "api00", deff="noreplace")
    assert np.isnan(est.deff[0, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = si.make_design(pd.DataFrame({"y": [1.0, 2, 4, 8]}), weights=np.full(4, 1 + 1e-13))
        assert 0 < float(si.estimate_means(d, "y").deff[0, 0]) < 10


def test_quantiles_are_the_same_result_object(api):
    """svyquantile(~api00, dclus1, c(.25,.5,.75)) read through the common object."""
    ref = EST["svyquantile_api00_dclus1"]
    q = si.estimate_quantiles(api["dclus1"], "api00", probs=ref["quantiles"])
    assert isinstance(q, si.DomainEstimates) and q.kind == "quantile"
    t = q.table()
    assert t["quantile"].tolist() == ref["quantiles"]
    np.testing.assert_allclose(q["api00"].estimate[0], ref["estimate"], rtol=1e-12)
    np.testing.assert_allclose(t["ci_low"], ref["ci_lower"], rtol=1e-12)
    with pytest.raises(EstimationError, match="level"):
        q.table(level=0.9)


def test_short_reprs_and_html(api):
    d = api["dclus1"].with_replicates("JK1")
    est = si.estimate_means(d, ["api00", "stype"])
    text = repr(est)
    assert text.startswith("<Means of 4 variables: api00 ") and "15 replicates" in text
    assert len(text) < 300
    html = est._repr_html_()
    assert "<table" in html and "api00" in html and html.count("<tr") == 5
    by = si.estimate_means(d, "api00", by="stype")
    assert "3 domains of stype" in repr(by) and len(repr(by)) < 200


def test_contrast_interval_with_degf(api):
    """confint(svycontrast(svyby(~api00, ~stype, dclus1, svymean, covmat=TRUE), quote(E - H)),
    level=0.9, df=degf(dclus1)); the p-value then uses t(14)."""
    from scipy.stats import t as student_t

    ref = NB["confint_svycontrast_EminusH_dclus1_degf"]
    c = si.domain_contrast(api["dclus1"], "api00", "stype", {"E": 1, "H": -1}, level=0.9,
                           df="design").iloc[0]
    assert [c["ci_low"], c["ci_high"]] == pytest.approx(
        [ref["ci_low"]["contrast"], ref["ci_high"]["contrast"]], rel=1e-10)
    assert c["p_value"] == pytest.approx(2 * student_t.sf(abs(c["z"]), 14), rel=1e-12)
    p = si.paired_contrast(api["dclus1"], ["api00", "api99"], [("api00", "api99")])
    assert p.loc[0, "contrast"] == "api00 - api99" and p.loc[0, "ci_low"] < p.loc[0, "estimate"]
