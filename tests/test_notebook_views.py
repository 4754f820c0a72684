"""Notebook displays and consistent tables (issue 16): short reprs without replicate values,
HTML cards, self-displaying plots, result.plot, scores on 0-100 beside the item scale, columns
named by targets, respondent x item frames, and make_design's strata defaults."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import surveyindex as si


@pytest.fixture(scope="module")
def res():
    return si.run_pipeline(replicates=10, seed=1, progress=False)


def test_short_reprs_and_html_cards(res, sample):
    alpha = si.cronbach_alpha(sample.to_frame(wide=True)[["USA_mor1", "USA_mor2", "USA_mor3"]])
    objects = [res.instrument, res.responses, res.responses.ledger, res.design, res.index, res,
               alpha, si.estimate_means(res.design, "age", by="country")]
    for obj in objects:
        text = repr(obj)
        assert text.startswith("<") and text.endswith(">") and len(text) < 400, text
        assert "\n" not in text
        page = obj._repr_html_()
        assert "<table" in page or "<h" in page
    # no replicate weights in the design's displays; where the strata came from is said
    design = si.make_design(sample).with_replicates("bootstrap", n=10, seed=1)
    assert "instrument's default" in repr(design) and "10 bootstrap" in repr(design)
    assert len(design._repr_html_()) < 3000


def test_plots_display_themselves(res):
    pytest.importorskip("matplotlib")
    for view in (res.plot.forest(), res.plot.profile(), res.plot.ranks(),
                 res.index.plot.forest("CHN", "USA"), res.plot.weighting()):
        assert view._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(view.axes) >= 1                     # the figure's attributes pass through
    # Targets by name (issue 17): China first when CHN - USA is asked for.
    assert res.index.plot.forest("CHN", "USA").axes[0].get_xlabel().startswith("China")


def test_item_scores_on_0_100_beside_the_item_scale(res):
    """softpower items are on 1-5: score = 25 (mean - 1), by hand."""
    items = res.index.items
    np.testing.assert_allclose(items["score"], 25 * (items["mean"] - 1))
    np.testing.assert_allclose(items["se"], 25 * items["mean_se"])
    np.testing.assert_allclose(items["ci_high"], 25 * (items["mean_ci_high"] - 1))
    np.testing.assert_allclose(items["ci_low"], 25 * (items["mean_ci_low"] - 1))
    assert (items["n_eff"] <= items["n"] + 1e-9).all() and (items["n_eff"] > 0).all()
    comp, dims = res.index.composite, res.index.dimensions
    for col in ("score", "se", "ci_low", "ci_high", "n", "n_eff"):
        assert col in comp.columns and col in dims.columns
    key = ["country", "target", "audience"]
    smallest = dims.groupby(key, sort=False)["n_eff"].min()
    np.testing.assert_allclose(comp.set_index(key)["n_eff"], smallest.loc[comp.set_index(key).index])


def test_comparison_and_leads_named_by_targets(res):
    cmp, leads = res.index.comparison, res.index.leads
    a, b = cmp["target_a"].iloc[0], cmp["target_b"].iloc[0]
    assert (a, b) == ("USA", "CHN")
    np.testing.assert_allclose(cmp["difference"], cmp[f"score_{a}"] - cmp[f"score_{b}"],
                               atol=1e-9)
    for suffix in ("", "_ci_low", "_ci_high", "_significant"):
        assert {f"{a}_leads{suffix}", f"{b}_leads{suffix}"} <= set(leads.columns)
    # No positional columns beside the named ones (issue 16): an old name is a KeyError.
    positional = [c for c in [*cmp.columns, *leads.columns]
                  if c.startswith(("a_", "b_")) or c.endswith(("_a", "_b"))]
    assert positional == ["target_a", "target_b", "target_a", "target_b"]
    with pytest.raises(KeyError):
        leads["a_leads"]


def test_wide_frame_is_respondent_by_item(sample):
    wide = sample.to_frame(wide=True)
    inst = sample.instrument
    assert len(wide) == sample.n
    assert list(wide.columns[:len(sample.respondents.columns)]) == list(sample.respondents.columns)
    j = inst.item_ids.index("mor2")
    np.testing.assert_array_equal(wide["CHN_mor2"].to_numpy(), sample.values[:, 1, j])
    assert wide.attrs["labels"]["CHN_mor2"].startswith("CHN: ")
    assert len(sample.to_frame()) == sample.n * len(inst.target_codes) * len(inst.item_ids)


def test_make_design_has_no_strata_unless_asked(sample):
    """R svydesign(ids=~1, weights=~pw): a DataFrame gets no strata, whatever its columns;
    responses take the instrument's weighting.by; any column serves as strata, psu or fpc."""
    df = pd.DataFrame({"country": ["A", "A", "B", "B"], "pw": [1.0, 2, 3, 4],
                       "st": ["x", "y", "x", "y"], "cl": [1, 2, 3, 4], "N": [10.0] * 4})
    d = si.make_design(df, weights="pw")
    assert d.strata is None and d.steps[0]["strata_from"] == "none (default)"
    assert si.make_design(pd.DataFrame({"pw": [1.0, 2]}), weights="pw").n == 2
    d = si.make_design(df, weights="pw", strata="st", psu="cl", fpc="N")
    assert d.strata.tolist() == [0, 1, 0, 1] and d.steps[0]["strata_from"] == "argument"
    r = si.make_design(sample)
    assert r.steps[0]["strata"] == "country"
    assert r.steps[0]["strata_from"] == "instrument weighting.by"
    assert si.make_design(sample, strata=None).strata is None


def test_any_column_of_the_file_serves_the_design(inst):
    """Columns the instrument does not declare (weights, PSU, stratum ids) survive
    read_responses and can be named in make_design."""
    df = si.simulate_softpower(n_per_country=10, countries=["ARG", "BRA"], seed=2,
                               problems=False).responses
    df = df.assign(pw=np.arange(len(df)) + 1.0, psu_id=np.arange(len(df)) // 2,
                   stratum=df["country"])
    r = si.read_responses(df, inst)
    d = si.make_design(r, weights="pw", strata="stratum", psu="psu_id")
    np.testing.assert_array_equal(d.weights, r.respondents["pw"].to_numpy(float))
    assert len(np.unique(d.psu)) == 10 and d.steps[0]["strata_from"] == "argument"
    assert "psu psu_id (10)" in repr(d)


def test_categories_carry_the_instruments_labels(sample):
    """gender codes 1/2 are Male/Female in softpower.yaml; shares by hand (unweighted design)."""
    d = si.make_design(sample)
    t = si.estimate_means(d, "gender").table()
    assert t["label"].tolist() == ["Male", "Female"]
    share = (sample.respondents["gender"] == "2").mean()
    assert t.loc[1, "estimate"] == pytest.approx(share, rel=1e-12)


def test_reliability_results_display_briefly():
    from conftest import reference_data

    from surveyindex.reliability.invariance import InvarianceResult

    hs = reference_data("HolzingerSwineford1939")
    m3 = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
    fit = si.reliability.fit_cfa(hs, m3, group="school", equal=("loadings",))
    om = si.omega(hs[["x1", "x2", "x3"]])
    summary = pd.DataFrame({"target": ["USA", "USA"], "dimension": ["mor", "edu"],
                            "level": ["scalar", "metric"], "verdict": ["invariant", "not"]})
    inv = InvarianceResult(pd.DataFrame({"model": ["configural"]}), pd.DataFrame(), summary,
                           pd.DataFrame(), {"d_cfi": 0.01})
    for obj, start in ((fit, "<CFAResult 3 factors, 2 groups, n 301: chisq 124.04 df 54"),
                       (om, "<OmegaResult omega "), (inv, "<InvarianceResult 2 target x "
                                                          "dimension: scalar 1, metric 1")):
        assert repr(obj).startswith(start) and len(repr(obj)) < 200
        assert "<table" in obj._repr_html_()
