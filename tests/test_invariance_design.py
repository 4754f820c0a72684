"""invariance() with sampling weights (MLR), the partial-invariance search and the per-country
comparability table, on the bundled sample with planted violations (as tests/test_invariance.py).

The statistics themselves are pinned to lavaan in tests/test_robust.py and to sirt in
tests/test_alignment.py; here the wiring is checked: which countries the search frees, what
each country's scores support, and that the weighted analysis uses the scaled statistics.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import surveyindex as si
from surveyindex.errors import EstimationError
from surveyindex.reliability import invariance, reliability_flags
from surveyindex.reliability.robust import sb2001_difference


@pytest.fixture(scope="module")
def planted(inst):
    """Japan answers com2 the wrong way round (a loading of the other sign)."""
    raw = pd.read_csv(si.sample_paths()["responses"])
    jpn = (raw["country"] == "JPN") & (raw["USA_com2"] <= 5)
    raw.loc[jpn, "USA_com2"] = 6 - raw.loc[jpn, "USA_com2"]
    return si.read_responses(raw, inst)


@pytest.fixture(scope="module")
def unweighted(planted):
    return invariance(planted, target="USA", dimensions=["competence"])


@pytest.fixture(scope="module")
def weighted(planted):
    w = np.random.default_rng(5).lognormal(0, 0.4, planted.n)
    return invariance(planted, target="USA", dimensions=["competence"], weights=w)


@pytest.mark.parametrize("which", ["unweighted", "weighted"])
def test_search_frees_the_planted_loading_and_then_holds(request, which):
    res = request.getfixturevalue(which)
    path = res.partial
    assert list(path["model"]) == ["metric", "metric", "scalar"]
    freed = path.iloc[1]
    assert (freed["country"], freed["kind"], freed["item"]) == ("JPN", "loading", "com2")
    assert path["holds"].tolist() == [False, True, True]  # metric then scalar hold
    assert res.summary["verdict"].iloc[0] == "partial scalar invariance: 1 parameter(s) freed"
    comp = res.comparable.set_index("country")
    assert comp.loc["JPN", "comparable"] == "partial" and comp.loc["JPN", "freed"] == "loading com2"
    assert (comp.drop("JPN")["comparable"] == "scalar").all()
    # alignment sees the same item: JPN's com2 departs from the others
    assert "com2" in comp.loc["JPN", "non_invariant"]
    assert comp.loc["ARG", "aligned_mean"] == 0.0 and comp.loc["ARG", "aligned_sd"] == 1.0


def test_weighted_tests_use_scaled_statistics(weighted):
    fit = weighted.fit.set_index("model")
    assert {"chisq_scaled", "chisq_scaling_factor", "cfi_robust", "rmsea_robust"} <= set(fit.columns)
    t = weighted.tests.set_index("step")
    a, b = fit.loc["configural"], fit.loc["metric"]
    want = sb2001_difference(a["chisq"], a["df"], a["chisq_scaling_factor"],
                             b["chisq"], b["df"], b["chisq_scaling_factor"])
    assert t.loc["metric", "chisq_diff"] == pytest.approx(want["chisq_diff"], rel=1e-12)
    assert t.loc["metric", "d_cfi"] == pytest.approx(b["cfi_robust"] - a["cfi_robust"], rel=1e-12)
    assert "cfi_robust" in weighted.partial.columns


def test_flags_say_what_scores_support(unweighted):
    flags = reliability_flags(None, unweighted)
    comp = flags[flags["flag"].str.startswith("scores comparable")]
    assert comp[["country", "dimension"]].values.tolist() == [["JPN", "competence"]]
    assert "loading com2" in comp["flag"].iloc[0]


def test_invariant_dimension_is_scalar_everywhere(sample):
    res = invariance(sample, target="USA", dimensions=["culture"], align=False)
    assert res.partial.empty
    assert (res.comparable["comparable"] == "scalar").all() and len(res.comparable) == 13
    assert "aligned_mean" not in res.comparable.columns


def test_bad_weights(sample):
    with pytest.raises(EstimationError, match="not a respondent column"):
        invariance(sample, weights="wgt")
    with pytest.raises(EstimationError, match="values for"):
        invariance(sample, weights=np.ones(3))
    with pytest.raises(EstimationError, match="must be positive"):
        invariance(sample, weights=np.zeros(sample.n))
