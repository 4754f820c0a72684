"""Tests of surveyindex.reliability.response_styles: acquiescence, extreme, midpoint, don't know.

Expected values are hand-worked in the comments (Baumgartner and Steenkamp 2001 definitions on
the answers as given; the balanced acquiescence index averages the regular and reverse-keyed
items' deviations from the midpoint).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import surveyindex as si
from surveyindex.errors import EstimationError
from surveyindex.reliability import response_styles


@pytest.fixture(scope="module")
def three(inst):
    """Three respondents with hand-made answers (columns as in the bundled file)."""
    raw = pd.read_csv(si.sample_paths()["responses"], nrows=3)
    items = [c for c in raw.columns if c[:4] in ("USA_", "CHN_") and not c.endswith("_fav")]
    rev = {f"{t}_{it.id}" for t in inst.target_codes for _, it in inst.items() if it.reverse}
    raw[items] = 0
    raw.loc[0, items] = 5                                       # agrees with everything
    raw.loc[1, items] = 3                                       # always the midpoint
    for c in items:                                             # means what they say
        usa = c.startswith("USA_")
        raw.loc[2, c] = (1 if usa else 2) if c in rev else (5 if usa else 4)
    raw.loc[2, "USA_mor1"] = 8                                  # one "don't know"
    return si.read_responses(raw, inst)


def test_hand_worked_respondents(three):
    tab = response_styles(three, by="resp_id")
    a, m, c = (tab.iloc[i] for i in range(3))
    # all 5s: regular and reversed items both +1 from the midpoint -> acquiescence (1 + 1)/2 = 1
    assert (a["acquiescence"], a["agreement"], a["extreme"], a["midpoint"]) == (1, 1, 1, 0)
    # all 3s: no deviation; every answer at the midpoint
    assert (m["acquiescence"], m["agreement"], m["extreme"], m["midpoint"]) == (0, 0, 0, 1)
    # consistent: USA regular 5 (+1), reversed 1 (-1) -> 0; CHN 4 (+.5) and 2 (-.5) -> 0
    assert c["acquiescence"] == pytest.approx(0.0, abs=1e-15)
    # agreement: USA 14 of 19 valid answers (one don't know), CHN 15 of 20 -> mean over targets
    assert c["agreement"] == pytest.approx((14 / 19 + 15 / 20) / 2)
    assert c["extreme"] == pytest.approx((1 + 0) / 2)          # USA all at 1 or 5; CHN none
    assert c["midpoint"] == 0
    assert c["dont_know"] == pytest.approx(1 / 40)              # 1 of 2 x 20 items
    assert tab["n"].tolist() == [1, 1, 1]


def test_by_target_and_overall(three):
    t = response_styles(three, by=("resp_id", "target"))
    assert t["target"].tolist()[:2] == ["USA", "CHN"]
    c = t[t["resp_id"] == t["resp_id"].iloc[4]]
    assert c["agreement"].tolist() == pytest.approx([14 / 19, 15 / 20])
    overall = response_styles(three, by=())
    assert overall["n"].iloc[0] == 3
    assert overall["acquiescence"].iloc[0] == pytest.approx((1 + 0 + 0) / 3)


def test_weights(three):
    """Weights 2, 1, 1: the weighted mean of the respondents' indices."""
    tab = response_styles(three, by=(), weights=np.array([2.0, 1.0, 1.0]))
    assert tab["acquiescence"].iloc[0] == pytest.approx(2 / 4)
    assert tab["midpoint"].iloc[0] == pytest.approx(1 / 4)


def test_sample_and_a_planted_acquiescent_country(sample, inst):
    """The simulator has no acquiescence: every country is near 0. Making half of Turkey's
    respondents answer one category higher on every item (as given, capped at 5) raises Turkey's
    acquiescence by about .5 * (1/2) * P(answer < 5) and leaves the others unchanged."""
    base = response_styles(sample).set_index("country")
    assert base["acquiescence"].abs().max() < 0.05
    assert base["midpoint"].between(0.2, 0.45).all() and base["extreme"].between(0.1, 0.35).all()
    raw = pd.read_csv(si.sample_paths()["responses"])
    items = [c for c in raw.columns if c[:4] in ("USA_", "CHN_") and not c.endswith("_fav")]
    tur = np.flatnonzero(raw["country"] == "TUR")[::2]
    block = raw.loc[tur, items]
    raw.loc[tur, items] = block.where(block > 5, np.minimum(block + 1, 5))
    tab = response_styles(si.read_responses(raw, inst)).set_index("country")
    assert tab.loc["TUR", "acquiescence"] - base.loc["TUR", "acquiescence"] > 0.15
    others = tab.index != "TUR"
    np.testing.assert_allclose(tab.loc[others, "acquiescence"], base.loc[others, "acquiescence"])
    assert tab["acquiescence"].idxmax() == "TUR"


def test_bad_by(sample):
    with pytest.raises(EstimationError, match="not respondent columns"):
        response_styles(sample, by="nation")
