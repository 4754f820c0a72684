"""The index: scoring rules, composite arithmetic, paired differences, and recovery of the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import surveyindex as si
from surveyindex.errors import EstimationError


@pytest.fixture(scope="module")
def raked(sample, margins):
    """The bundled sample raked by country with 200 bootstrap replicates, as the demo does."""
    return si.make_design(sample).with_replicates("bootstrap", n=200, seed=1).rake(margins)


@pytest.fixture(scope="module")
def result(raked):
    return si.compute_index(raked)


def _complete_frame(inst, n=400, seed=5):
    """Simulated answers with every item answered (missing codes replaced by 3)."""
    sim = si.simulate_softpower(n_per_country=n, countries=["BRA", "JPN", "ZAF"], seed=seed,
                                problems=False)
    df = sim.responses.copy()
    items = [inst.column(t, i) for t in inst.target_codes for i in inst.item_ids]
    df[items] = df[items].where(df[items].isin([1, 2, 3, 4, 5]), 3)
    return df, sim.margins


def test_scoring_mean_of_valid_items_with_minimum(inst):
    df, _ = _complete_frame(inst, n=2)
    df = df.head(2).copy()
    df[["USA_mor1", "USA_mor2", "USA_mor3", "USA_mor4"]] = [[5, 4, 8, 2], [5, 9, 8, 2]]
    r = si.read_responses(df, inst)
    s = si.index.score_dimensions(r)                    # instrument rule: at least 3 valid of 4
    # mor4 is reverse-keyed: 2 -> 4. Row 1: mean(5, 4, 4) = 13/3; row 2 has only 2 valid items.
    assert s[0, 0, 0] == pytest.approx(13 / 3)
    assert np.isnan(s[1, 0, 0])
    assert si.index.score_dimensions(r, min_valid_items=2)[1, 0, 0] == pytest.approx(4.5)
    with pytest.raises(EstimationError, match="between 1 and 4"):
        si.index.score_dimensions(r, min_valid_items=5)


def test_composite_is_the_mean_of_dimension_scores(result):
    dims = result.dimensions.query("audience == 'all'")
    comp = result.composite.query("audience == 'all'").set_index(["country", "target"])
    mean = dims.groupby(["country", "target"])["score"].mean()
    np.testing.assert_allclose(comp.loc[mean.index, "score"], mean, rtol=1e-12)
    # 0-100 rescaling of the 1-5 response scale: 100 * (mean - 1) / 4
    np.testing.assert_allclose(dims["score"], 100 * (dims["mean"] - 1) / 4, rtol=1e-12)
    np.testing.assert_allclose(dims["se"], 100 * dims["mean_se"] / 4, rtol=1e-12)


def test_paired_difference_se_equals_se_of_respondent_differences(inst):
    """With no missing answers, the difference of the two targets' weighted means equals the
    weighted mean of each respondent's difference, so the index's replicate SE of the paired
    difference must equal the SE estimate_means gives for that respondent-level variable."""
    df, margins = _complete_frame(inst)
    r = si.read_responses(df, inst)
    d = si.make_design(r).with_replicates("bootstrap", n=50, seed=2).rake(margins)
    res = si.compute_index(d, audiences=["all"])
    s = si.index.score_dimensions(r)
    diff = 100 * (s[:, 0, :] - s[:, 1, :]) / 4            # USA minus CHN on 0-100, per dimension
    ref = si.estimate_means(d, pd.DataFrame(diff, columns=inst.dimension_ids), by="country").table()
    got = res.comparison.query("measure != 'composite'").merge(
        ref, left_on=["country", "measure"], right_on=["country", "variable"])
    assert len(got) == 15
    np.testing.assert_allclose(got["difference"], got["estimate"], rtol=1e-10)
    np.testing.assert_allclose(got["se_x"], got["se_y"], rtol=1e-10)


def test_estimates_recover_the_generators_truth(result, truth):
    """About 95% of 95% intervals should cover the truth; require 85% over all 300 cells."""
    dims = result.dimensions.rename(columns={"dimension": "measure"})
    est = pd.concat([
        dims.assign(est=dims["mean"], se_=dims["mean_se"]),
        result.composite.assign(measure="composite", est=result.composite["score"],
                                se_=result.composite["se"]),
    ])[["country", "target", "audience", "measure", "est", "se_"]]
    j = truth.merge(est, on=["country", "target", "audience", "measure"])
    assert len(j) == len(truth) == 300
    covered = (j["value"] - j["est"]).abs() <= 1.96 * j["se_"]
    assert covered.mean() >= 0.85


def test_weighting_removes_the_panel_bias(sample, result, truth):
    """The panel is too young and too educated; unweighted composites are biased, raked are not."""
    unweighted = si.compute_index(si.make_design(sample).with_replicates("bootstrap", n=20, seed=1),
                                  audiences=["all"])
    t = truth.query("measure == 'composite' and audience == 'all'")

    def error(res):
        j = t.merge(res.composite.query("audience == 'all'"), on=["country", "target"])
        return (j["score"] - j["value"]).abs().mean()

    assert error(result) < 0.5 * error(unweighted)


def test_china_leads_on_education_in_some_countries_only(result, truth):
    edu = truth.query("measure == 'education' and audience == 'all'").pivot(
        index="country", columns="target", values="value")
    assert 0 < (edu.CHN > edu.USA).sum() < len(edu)
    lead = result.leads.query("audience == 'all' and measure == 'education'").iloc[0]
    cmp = result.comparison.query("audience == 'all' and measure == 'education'")
    assert lead.target_a == "USA" and lead.target_b == "CHN"
    assert lead.CHN_leads == (cmp["difference"] < 0).sum()
    assert 0 < lead.CHN_leads < lead.n_countries
    assert lead.CHN_leads_ci_low <= lead.CHN_leads <= lead.CHN_leads_ci_high
    assert lead.CHN_leads_significant == ((cmp["difference"] < 0) & cmp["significant"]).sum()


def test_ranks_and_intervals(result):
    c = result.composite.query("audience == 'all' and target == 'USA'").sort_values("score",
                                                                                  ascending=False)
    assert c["rank"].tolist() == list(range(1, len(c) + 1))
    assert ((c["rank_low"] <= c["rank"]) & (c["rank"] <= c["rank_high"])).all()


def test_audience_is_a_domain_of_the_full_design(result):
    youth = result.composite.query("audience == 'g20_youth'")
    assert "NGA" not in set(youth["country"])           # Nigeria is not a G20 member
    assert len(youth) == 2 * 12
    allc = result.composite.query("audience == 'all'")
    assert (youth["n"].to_numpy() < allc[allc.country != "NGA"]["n"].to_numpy()).all()


def test_compare_other_order(result):
    diffs, leads = result.compare("CHN", "USA")
    base = result.comparison
    np.testing.assert_allclose(diffs["difference"], -base["difference"], rtol=1e-12)
    np.testing.assert_allclose(diffs["se"], base["se"], rtol=1e-12)
    with pytest.raises(EstimationError, match="target 'FRA' is not in the index"):
        result.compare("FRA", "USA")


def test_same_seed_same_numbers(sample, margins):
    def run():
        d = si.make_design(sample).with_replicates("bootstrap", n=30, seed=11).rake(margins)
        return si.compute_index(d, audiences=["all"]).composite
    pd.testing.assert_frame_equal(run(), run())


def test_index_needs_replicates(sample):
    with pytest.raises(EstimationError, match="needs replicate weights"):
        si.compute_index(si.make_design(sample))
