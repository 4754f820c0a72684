"""Tests of surveyindex.reliability.reliability_flags: alpha and invariance flags in one table."""

from __future__ import annotations

import pandas as pd
import pytest

from surveyindex.errors import EstimationError
from surveyindex.reliability import FLAG_COLUMNS, InvarianceResult, reliability_flags
from surveyindex.reliability import reliability_table as reliability


def _invariance(level: str, differs: dict) -> InvarianceResult:
    """A hand-made result: one target x dimension at ``level``, release tests as given."""
    step = "metric" if level == "configural" else "scalar"
    countries = pd.DataFrame({"target": "USA", "dimension": "culture", "step": step,
                              "country": list(differs), "n": 500, "chisq_diff": 1.0,
                              "df_diff": 3.0, "pvalue": 0.01,
                              "p_adjusted": [0.001 if d else 0.9 for d in differs.values()],
                              "differs": list(differs.values())})
    countries = countries if level != "scalar" else countries.iloc[:0]
    tests = pd.DataFrame({"target": "USA", "dimension": "culture", "step": ["metric", "scalar"],
                          "chisq_diff": 1.0, "df_diff": 3.0, "pvalue": 0.5,
                          "d_cfi": [-0.02, -0.03], "d_rmsea": 0.02, "d_srmr": 0.04,
                          "holds": [level != "configural", level == "scalar"]})
    summary = pd.DataFrame({"target": ["USA"], "dimension": ["culture"], "n_groups": [2],
                            "level": [level], "verdict": ["x"], "note": [""]})
    return InvarianceResult(fit=pd.DataFrame(), tests=tests, summary=summary,
                            countries=countries, cutoffs={})


def test_alpha_and_invariance_flags_combine():
    alpha = pd.DataFrame({"country": ["FRA", "JPN", "JPN"], "target": "USA",
                          "dimension": ["culture", "culture", "morality"],
                          "alpha": [0.81, 0.64, float("nan")], "flag": ""})
    inv = _invariance("metric", {"FRA": True, "JPN": False})
    tab = reliability_flags(alpha, inv)
    assert list(tab.columns) == FLAG_COLUMNS
    got = set(map(tuple, tab[["country", "dimension", "flag", "source"]].to_numpy()))
    assert got == {
        ("FRA", "culture", "intercepts differ from other countries", "invariance"),
        ("JPN", "culture", "alpha below .70", "alpha"),
        ("JPN", "culture", "scalar invariance fails across countries", "invariance"),
        ("JPN", "morality", "alpha not estimable", "alpha"),
    }
    assert tab.loc[tab["flag"] == "alpha below .70", "value"].iloc[0] == 0.64
    assert tab.loc[tab["country"] == "FRA", "value"].iloc[0] == 0.001            # adjusted p
    jpn_inv = tab[(tab["country"] == "JPN") & (tab["source"] == "invariance")]
    assert jpn_inv["value"].iloc[0] == -0.03                                     # dCFI, scalar


def test_configural_level_flags_loadings():
    tab = reliability_flags(invariance=_invariance("configural", {"BRA": True, "IND": False}))
    assert tab["flag"].tolist() == ["loadings differ from other countries",
                                    "metric invariance fails across countries"]


def test_nothing_to_flag_gives_an_empty_table(sample):
    """The bundled sample: alpha is .75-.82 everywhere and invariance holds (test_invariance)."""
    alpha = reliability(sample, by=("country", "target"))
    tab = reliability_flags(alpha, _invariance("scalar", {}))
    assert tab.empty and list(tab.columns) == FLAG_COLUMNS
    stricter = reliability_flags(alpha, threshold=0.80)
    assert len(stricter) == (alpha["alpha"] < 0.80).sum() > 0
    assert set(stricter["flag"]) == {"alpha below .80"}


def test_bad_alpha_table():
    with pytest.raises(EstimationError, match="lacks columns"):
        reliability_flags(pd.DataFrame({"country": ["FRA"], "alpha": [0.5]}))
