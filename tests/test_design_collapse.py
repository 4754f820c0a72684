"""Opt-in collapsing of sparse or empty margin categories / post-strata (rake and poststratify).

The rule (per group and margin, categories in the margin's order): the sparsest category below
min_n merges with its adjacent category that has fewer respondents, population values summed,
until none is below min_n. A collapsed margin must give exactly the weights of raking to the
same margin merged by hand, in every replicate too; without the option an empty category is
still an error naming the country, margin and category.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import reference, reference_data

import surveyindex as si
from surveyindex.design.rake import collapse_blocks
from surveyindex.errors import WeightingError
from surveyindex.estimate import estimate_means

REF = reference("survey_collapse_quantiles.json")["cases"]


def _sample_with_gaps(sample):
    """The bundled sample without DEU's 18-24s, so DEU has an empty age group; BRA has 20
    respondents aged 55-64 (sparse at min_n=30) next to 81 aged 45-54 and 52 aged 65+."""
    data = sample.respondents
    keep = ~((data["country"] == "DEU") & (data["age_group"] == "18-24"))
    return data[keep].reset_index(drop=True)


def _merge_by_hand(data, margins):
    """The same data and margins with DEU 18-24 + 25-34 and BRA 55-64 + 65+ merged by hand."""
    merges = {"DEU": ["18-24", "25-34"], "BRA": ["55-64", "65+"]}
    data, margins = data.copy(), margins.copy()
    for country, cats in merges.items():
        name = "+".join(cats)
        rows = (data["country"] == country) & data["age_group"].isin(cats)
        data.loc[rows, "age_group"] = name
        sel = ((margins["country"] == country) & (margins["variable"] == "age_group")
               & margins["category"].isin(cats))
        merged = margins[sel].iloc[:1].assign(category=name,
                                              proportion=margins.loc[sel, "proportion"].sum())
        margins = pd.concat([margins[~sel], merged], ignore_index=True)
    return data, margins


def test_empty_category_is_still_an_error_without_the_option(sample, margins):
    data = _sample_with_gaps(sample)
    with pytest.raises(WeightingError, match=r"country DEU: margin 'age_group' category "
                                             r"'18-24' has a population target but no "
                                             r"respondents.*collapse"):
        si.make_design(data).rake(margins, by="country")


def test_collapsed_margin_equals_margin_merged_by_hand(sample, margins):
    data = _sample_with_gaps(sample)
    raked = si.make_design(data).rake(margins, by="country",
                                      collapse={"min_n": 30, "variables": ["age_group"]})
    hand_data, hand_margins = _merge_by_hand(data, margins)
    hand = si.make_design(hand_data).rake(hand_margins, by="country")
    np.testing.assert_allclose(raked.weights, hand.weights, rtol=1e-12)
    # Each country's other age groups still meet their own targets.
    deu = (data["country"] == "DEU").to_numpy()
    share = raked.weights[deu & (data["age_group"] == "35-44").to_numpy()].sum() / \
        raked.weights[deu].sum()
    target = margins.query("country == 'DEU' and variable == 'age_group' and "
                           "category == '35-44'")["proportion"].iloc[0]
    assert share == pytest.approx(target, abs=1e-8)


def test_collapse_record(sample, margins):
    data = _sample_with_gaps(sample)
    raked = si.make_design(data).rake(margins, by="country",
                                      collapse={"min_n": 30, "variables": ["age_group"]})
    step = raked.steps[-1]
    rec = {(r["country"], r["margin"]): r for r in step["collapsed"]}
    assert set(rec) == {("BRA", "age_group"), ("DEU", "age_group")}
    assert rec["DEU", "age_group"]["categories"] == ["18-24", "25-34"]
    assert rec["DEU", "age_group"]["n"] == [0, 199]
    assert rec["BRA", "age_group"]["categories"] == ["55-64", "65+"]
    assert rec["BRA", "age_group"]["n"] == [20, 52]
    m = margins.query("country == 'BRA' and variable == 'age_group'").set_index("category")
    assert rec["BRA", "age_group"]["population"] == pytest.approx(
        m.loc["55-64", "proportion"] + m.loc["65+", "proportion"])
    # A report can list them as a table.
    table = pd.DataFrame(step["collapsed"])
    assert list(table.columns) == ["country", "margin", "categories", "n", "population"]
    # Without sparse categories nothing is recorded.
    assert si.make_design(sample).rake(margins, by="country", collapse=1).steps[-1][
        "collapsed"] == []


def test_collapse_with_replicates_rakes_every_replicate_to_the_same_margins(sample, margins):
    data = _sample_with_gaps(sample)
    d = si.make_design(data).with_replicates("bootstrap", n=8, seed=5)
    raked = d.rake(margins, by="country", collapse={"min_n": 30, "variables": ["age_group"]})
    hand_data, hand_margins = _merge_by_hand(data, margins)
    h = si.make_design(hand_data).with_replicates("bootstrap", n=8, seed=5)
    np.testing.assert_array_equal(np.asarray(h.replicate_weights), np.asarray(d.replicate_weights))
    hand = h.rake(hand_margins, by="country")
    np.testing.assert_allclose(np.asarray(raked.replicate_weights),
                               np.asarray(hand.replicate_weights), rtol=1e-10)
    assert raked.steps[-1]["replicates_raked"] == 8


def test_collapse_matches_r_rake_to_merged_margin():
    """R survey 4.1.1 (survey_collapse_quantiles.R, case rake_collapsed_ell): apistrat's ell in 8
    bands; 1 school in 80-100, 12 in 60-80. By hand in R:
        rake(dstrat, list(~sch.wide, ~ellband2), list(pop.schwide, pop.ell2),
             control=list(epsilon=1e-12, maxit=500))
    with ellband2 merging 60-80 and 80-100; svymean(~api00) SE 6.514012520641099.
    collapse={"min_n": 10} makes the same merge from the 8-band apipop counts."""
    ref = REF["rake_collapsed_ell"]
    st = reference_data("apistrat")
    bands = list(ref["population_ell"])
    st["ellband"] = pd.cut(st["ell"], [-1, 1, 5, 10, 20, 40, 60, 80, 100],
                           labels=bands).astype(str)
    d = si.make_design(st, weights="pw", strata="stype", fpc="fpc")
    margins = {"sch.wide": ref["population_schwide"], "ellband": ref["population_ell"]}
    raked = d.rake(margins, by=None, collapse={"min_n": 10}, tolerance=1e-13,
                   max_iterations=500)
    np.testing.assert_allclose(raked.weights, ref["weights"], rtol=1e-10)
    assert raked.steps[-1]["collapsed"] == [
        {"group": "all", "margin": "ellband", "categories": ["60-80", "80-100"], "n": [12, 1],
         "population": 507.0}]
    m = estimate_means(raked, st[["api00"]])
    assert m.estimate[0, 0] == pytest.approx(ref["svymean_api00"]["estimate"], rel=1e-12)
    assert m.se[0, 0] == pytest.approx(6.514012520641099, rel=1e-9)
    # min_n=15: 60-80 + 80-100 (13) is still sparse and takes in 40-60, its only neighbour.
    more = d.rake(margins, by=None, collapse=15, tolerance=1e-13, max_iterations=500)
    assert more.steps[-1]["collapsed"][0]["categories"] == ["40-60", "60-80", "80-100"]


def test_collapse_rule_by_hand():
    # Sparsest first; it joins the neighbour with fewer respondents; ties go to the earlier one.
    assert collapse_blocks([50, 5, 40, 45], [1] * 4, 10) == [[0], [1, 2], [3]]
    assert collapse_blocks([50, 5, 50], [1] * 3, 10) == [[0, 1], [2]]
    assert collapse_blocks([3, 4, 50], [1] * 3, 10) == [[0, 1, 2]]
    # Categories without a population target take no part.
    assert collapse_blocks([0, 30, 30], [0, 1, 1], 10) == [[1], [2]]
    # Segments (post-strata): only cells of the same segment are neighbours.
    assert collapse_blocks([30, 2, 30, 30], [1] * 4, 10, ["m", "m", "f", "f"]) == \
        [[0, 1], [2], [3]]
    assert collapse_blocks([30, 2], [1, 1], 10, ["m", "f"]) == [[0], [1]]


def test_collapse_option_errors(sample, margins):
    d = si.make_design(sample)
    for bad in ({"n": 3}, {"min_n": 0}, {"min_n": 5, "variables": ["nope"]}, "yes"):
        with pytest.raises(WeightingError, match="collapse"):
            d.rake(margins, by="country", collapse=bad)


def test_poststratify_collapse_by_hand():
    df = pd.DataFrame({"country": ["A"] * 5 + ["B"] * 4,
                       "age": ["y", "y", "m", "o", "o", "y", "y", "m", "o"]})
    pop = {"y": 30, "m": 20, "o": 50}
    d = si.make_design(df)
    with pytest.raises(WeightingError, match=r"country A: population cell\(s\) \['x'\]"):
        d.poststratify(pd.DataFrame({"age": ["y", "m", "o", "x"], "Freq": [30, 20, 40, 10]}),
                       by="country")
    p = d.poststratify(pop, "age", by="country", collapse=2)
    # A: m (1) joins y (2; o also has 2, a tie: the one before); B: m (1) joins o (1).
    rec = {r["country"]: r for r in p.steps[-1]["collapsed"]}
    assert rec["A"]["cells"] == ["y", "m"] and rec["A"]["n"] == [2, 1]
    assert rec["B"]["cells"] == ["m", "o"] and rec["B"]["n"] == [1, 1]
    assert p.weights[:5].tolist() == pytest.approx([50 / 3] * 3 + [25, 25])
    assert p.weights[5:].tolist() == pytest.approx([15, 15, 35, 35])


def test_poststratify_two_variables_merges_within_the_first():
    """Cells adjacent in the table and equal in all but the last variable are neighbours;
    an empty cell is an error without the option."""
    df = pd.DataFrame({"sex": ["m", "m", "f", "f", "f"], "age": ["y", "y", "y", "m", "o"]})
    pop = pd.DataFrame({"sex": list("mmmfff"), "age": ["y", "m", "o"] * 2,
                        "Freq": [10, 5, 20, 12, 6, 18]})
    d = si.make_design(df, strata=None)
    with pytest.raises(WeightingError, match="no respondents"):
        d.poststratify(pop, ["sex", "age"])
    p = d.poststratify(pop, ["sex", "age"], collapse=1)
    assert p.steps[-1]["collapsed"] == [
        {"group": "all", "cells": ["m x y", "m x m", "m x o"], "n": [2, 0, 0],
         "population": 35.0}]
    assert p.weights.tolist() == pytest.approx([17.5, 17.5, 12, 6, 18])


def test_poststratify_collapse_with_replicates():
    df = pd.DataFrame({"country": ["A"] * 6, "age": ["y", "y", "y", "o", "o", "o"]})
    d = si.make_design(df).with_replicates("JK1")
    p = d.poststratify({"y": 40, "m": 10, "o": 50}, "age", by="country", collapse=1)
    rep = np.asarray(p.replicate_weights)
    young = df["age"].eq("y").to_numpy()
    np.testing.assert_allclose(rep[young].sum(axis=0), 50)
    np.testing.assert_allclose(rep[~young].sum(axis=0), 50)
