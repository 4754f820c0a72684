"""Tests of surveyindex.reliability.invariance: configural / metric / scalar across countries.

The CFA engine is pinned against lavaan in tests/test_cfa.py; here the fit table of
``invariance()`` on the bundled sample is pinned against lavaan too (tests/reference/
lavaan_sample.R: ``cfa("f =~ USA_mor1 + ...", data=sp, group="country", group.equal=...)``,
lavaan 0.6.14, R 4.2.2), and the verdicts are checked on data invariant by construction (the
simulator gives every country the same loadings and item offsets) and on two planted violations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import reference

import surveyindex as si
from surveyindex.errors import EstimationError
from surveyindex.reliability import CUTOFFS, invariance
from surveyindex.reliability.invariance import step_holds

SAMPLE = reference("lavaan_sample.json")["cases"]


@pytest.fixture(scope="module")
def full(sample):
    return invariance(sample)


def test_bundled_sample_is_invariant(full):
    """13 countries x 2 targets x 5 dimensions, simulated with equal loadings and intercepts:
    every dimension reaches scalar invariance under Chen (2007); no country is singled out."""
    s = full.summary
    assert len(s) == 10 and (s["n_groups"] == 13).all()
    assert (s["level"] == "scalar").all(), s
    assert (s["verdict"] == "invariant").all()
    assert full.countries.empty
    assert full.fit["converged"].all()
    assert list(full.fit["model"][:3]) == ["configural", "metric", "scalar"]
    # one factor, 4 items, 13 groups: df = 13*2, +3*12 equal loadings, +3*12 intercepts (hand count)
    assert list(full.fit["df"][:3]) == [26.0, 62.0, 98.0]


def test_fit_table_matches_lavaan(full):
    """USA morality, from read_responses to the fit table: chisq 13.354 / 54.783 / 90.632,
    df 26 / 62 / 98, and CFI, RMSEA (with CI), SRMR as lavaan::fitMeasures."""
    fit = full.fit[(full.fit["target"] == "USA") & (full.fit["dimension"] == "morality")]
    for _, row in fit.iterrows():
        ref = SAMPLE[f"USA_mor_{row['model']}"]["fitMeasures"]
        assert row["n"] == ref["ntotal"]
        for ours, theirs in [("chisq", "chisq"), ("df", "df"), ("cfi", "cfi"), ("tli", "tli"),
                             ("rmsea", "rmsea"), ("rmsea_ci_high", "rmsea.ci.upper"),
                             ("aic", "aic"), ("bic", "bic")]:
            assert row[ours] == pytest.approx(ref[theirs], rel=1e-6, abs=1e-9), ours
        assert row["srmr"] == pytest.approx(ref["srmr"], abs=1e-6)
    tests = full.tests[(full.tests["target"] == "USA") & (full.tests["dimension"] == "morality")]
    want = [SAMPLE["USA_mor_metric"]["fitMeasures"]["chisq"] - SAMPLE["USA_mor_configural"]["fitMeasures"]["chisq"],
            SAMPLE["USA_mor_scalar"]["fitMeasures"]["chisq"] - SAMPLE["USA_mor_metric"]["fitMeasures"]["chisq"]]
    np.testing.assert_allclose(tests["chisq_diff"], want, rtol=1e-6)
    assert list(tests["df_diff"]) == [36.0, 36.0]


@pytest.fixture(scope="module")
def planted(inst):
    """Two violations planted in the raw answers about the USA: Brazilians answer mor1 two
    categories higher (capped at 5: an intercept shift, with a ceiling that also bends the
    loading), and in Japan com2 is answered the wrong way round (6 - x: a loading of the other
    sign)."""
    raw = pd.read_csv(si.sample_paths()["responses"])
    valid = raw["USA_mor1"] <= 5
    bra = (raw["country"] == "BRA") & valid
    raw.loc[bra, "USA_mor1"] = np.minimum(raw.loc[bra, "USA_mor1"] + 2, 5)
    jpn = (raw["country"] == "JPN") & (raw["USA_com2"] <= 5)
    raw.loc[jpn, "USA_com2"] = 6 - raw.loc[jpn, "USA_com2"]
    resp = si.read_responses(raw, inst)
    return invariance(resp, target="USA", dimensions=["morality", "competence", "culture"])


def test_planted_violations_are_flagged(planted):
    s = planted.summary.set_index("dimension")
    assert s.loc["morality", "level"] != "scalar"
    assert s.loc["competence", "level"] == "configural"
    assert s.loc["culture", "level"] == "scalar"  # untouched: still invariant
    c = planted.countries
    for dim, country in [("morality", "BRA"), ("competence", "JPN")]:
        rows = c[c["dimension"] == dim]
        worst = rows.loc[rows["chisq_diff"].idxmax()]
        assert worst["country"] == country and worst["differs"]
        assert worst["p_adjusted"] < 1e-10
    # a release frees 3 loadings (metric) or 3 loadings + 4 intercepts - 1 latent mean (scalar)
    assert set(c.loc[c["step"] == "metric", "df_diff"]) == {3.0}
    assert set(c.loc[c["step"] == "scalar", "df_diff"]) == {6.0}
    t = planted.tests.set_index(["dimension", "step"])
    assert not t.loc[("competence", "metric"), "holds"]
    assert t.loc[("competence", "metric"), "d_cfi"] < -0.01


def test_step_holds_implements_the_published_rules():
    """Chen (2007): fails only if dCFI < -.010 AND (dRMSEA > .015 or dSRMR > .030 | .010);
    Cheung and Rensvold (2002): dCFI < -.010 alone."""
    chen_m, chen_s = CUTOFFS["chen2007"]["metric"], CUTOFFS["chen2007"]["scalar"]
    assert step_holds(-0.009, 0.5, 0.5, chen_m)            # CFI within: holds whatever else
    assert step_holds(-0.011, 0.010, 0.020, chen_m)        # CFI drop, others small: holds
    assert not step_holds(-0.011, 0.016, 0.0, chen_m)
    assert not step_holds(-0.011, 0.0, 0.031, chen_m)
    assert step_holds(-0.011, 0.0, 0.009, chen_s) and not step_holds(-0.011, 0.0, 0.011, chen_s)
    cr = CUTOFFS["cheung_rensvold"]["metric"]
    assert step_holds(-0.0099, 1, 1, cr) and not step_holds(-0.0101, 0, 0, cr)
    rs = CUTOFFS["rutkowski_svetina"]["metric"]
    assert step_holds(-0.019, 1, 1, rs) and not step_holds(-0.021, 0.031, 0, rs)


def test_cutoff_sets_change_the_verdict(sample):
    """A dict of cut-offs so strict that any CFI drop fails: the invariant data then fail where
    CFI fell at all, and the named sets are accepted."""
    strict = {"metric": {"cfi": -1e-12}, "scalar": {"cfi": -1e-12}}
    res = invariance(sample, target="CHN", dimensions=["competence"], cutoffs=strict)
    d_cfi = res.tests["d_cfi"].to_numpy()
    assert d_cfi[0] < -1e-12  # metric CFI fell by 0.0007 (see the full table)
    assert res.summary["level"].iloc[0] == "configural"
    assert len(res.countries) == 13
    loose = invariance(sample, target="CHN", dimensions=["competence"],
                       cutoffs="rutkowski_svetina")
    assert loose.summary["level"].iloc[0] == "scalar" and loose.cutoffs == CUTOFFS["rutkowski_svetina"]


@pytest.mark.parametrize("kw, match", [
    ({"by": "nation"}, "not a respondent column"),
    ({"target": "RUS"}, "not one of"),
    ({"dimensions": ["charm"]}, "not in the instrument"),
    ({"cutoffs": "hu_bentler"}, "cutoffs must be one of"),
    ({"cutoffs": {"metric": {"cfi": -0.01}}}, "keys 'metric' and 'scalar'"),
    ({"cutoffs": {"metric": {"rmsea": 0.01}, "scalar": {"cfi": -0.01}}}, "must have 'cfi'"),
])
def test_bad_arguments(sample, kw, match):
    with pytest.raises(EstimationError, match=match):
        invariance(sample, **kw)


def test_small_groups_are_left_out_and_named(sample):
    """min_n above every country's complete cases except the largest: fewer than 2 groups."""
    res = invariance(sample, target="USA", dimensions=["culture"], min_n=1200)
    row = res.summary.iloc[0]
    assert row["level"] == "not estimable" and "fewer than 2 groups" in row["note"]
    res = invariance(sample, target="USA", dimensions=["culture"], min_n=1000)
    row = res.summary.iloc[0]
    assert row["n_groups"] < 13 and "left out" in row["note"] and "BRA" in row["note"]
