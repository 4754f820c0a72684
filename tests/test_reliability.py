"""Tests of surveyindex.reliability: Cronbach's alpha, item statistics, the reliability table.

Reference numbers come from R 4.2.2 with psych 2.2.9 and survey 4.1.1:
``tests/reference/psych_alpha.R`` -> ``psych_alpha.json`` (psych::alpha on bfi, survey::svycralpha)
and ``tests/reference/psych_alpha_extra.R`` -> ``psych_alpha_extra.json`` (docstring example,
non-positive-definite and singular matrices, a 90% Feldt interval, one group of the bundled
sample). Each JSON case stores the exact R call; the data are ``tests/reference/data/bfi.csv``.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from surveyindex.design import make_design
from surveyindex.errors import EstimationError
from surveyindex.reliability import AlphaResult, cronbach_alpha, item_statistics
from surveyindex.reliability import reliability_table as reliability

REF = Path(__file__).parent / "reference"
PSYCH = json.loads((REF / "psych_alpha.json").read_text())["cases"]
EXTRA = json.loads((REF / "psych_alpha_extra.json").read_text())["cases"]
RTOL = 1e-9  # the JSON holds 17 significant digits; we agree to ~1e-14


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(REF / "data" / "bfi.csv")


# ``sample`` (the bundled responses, read once per session) comes from conftest.py.


def _keyed(bfi: pd.DataFrame, case: dict, columns: list[str]) -> pd.DataFrame:
    """Reverse-key as psych::alpha(keys=) does: (min + max of the whole item matrix) - x."""
    x = bfi[columns].copy()
    rev = [k[1:] for k in case["keys"] if k.startswith("-")]
    x[rev] = case["reversal"]["adjust"] - x[rev]
    return x


def _values(d: dict) -> np.ndarray:
    """Values of an R named vector, in R's (item) order."""
    return np.array(list(d.values()), dtype=float)


# (JSON case, bfi columns, rows, our missing=) -- the *_complete cases are psych::alpha on
# na.omit(bfi[...]), which our listwise deletion must reproduce from the full data, and which our
# pairwise default must reproduce when given the complete cases.
PSYCH_CASES = [
    ("agree_A1rev", ["A1", "A2", "A3", "A4", "A5"], "all", "pairwise"),
    ("consc_C4C5rev", ["C1", "C2", "C3", "C4", "C5"], "all", "pairwise"),
    ("agree_nokeys_A2toA5", ["A2", "A3", "A4", "A5"], "all", "pairwise"),
    ("agree_A1rev_complete", ["A1", "A2", "A3", "A4", "A5"], "all", "listwise"),
    ("consc_C4C5rev_complete", ["C1", "C2", "C3", "C4", "C5"], "all", "listwise"),
    ("agree_A1rev_complete", ["A1", "A2", "A3", "A4", "A5"], "complete", "pairwise"),
    ("consc_C4C5rev_complete", ["C1", "C2", "C3", "C4", "C5"], "complete", "pairwise"),
]


@pytest.mark.parametrize("case, columns, rows, missing", PSYCH_CASES)
def test_alpha_matches_psych(bfi, case, columns, rows, missing):
    """psych 2.2.9 (R 4.2.2), e.g. ``psych::alpha(bfi[,1:5], keys=c("A1"))``: ``$total``
    raw_alpha, std.alpha, average_r and ``$feldt`` lower.ci / upper.ci (psych's n is nrow(x);
    no bfi row misses all the items, so it equals our count of respondents used)."""
    ref = PSYCH[case]
    x = _keyed(bfi, ref, columns)
    if rows == "complete":
        x = x.dropna()
    res = cronbach_alpha(x, missing=missing)
    assert res.n == ref["n_rows"]
    assert res.n_items == len(columns)
    got = [res.alpha, res.alpha_std, res.average_r, res.ci_low, res.ci_high]
    want = [ref["total"]["raw_alpha"], ref["total"]["std.alpha"], ref["total"]["average_r"],
            ref["feldt"]["lower.ci"], ref["feldt"]["upper.ci"]]
    np.testing.assert_allclose(got, want, rtol=RTOL)


@pytest.mark.parametrize("case, columns, rows, missing", PSYCH_CASES)
def test_item_statistics_match_psych(bfi, case, columns, rows, missing):
    """psych 2.2.9 ``$item.stats`` (n, mean, sd, r.drop, r.cor) and ``$alpha.drop``
    (raw_alpha, std.alpha) of the same calls as above."""
    ref = PSYCH[case]
    x = _keyed(bfi, ref, columns)
    if rows == "complete":
        x = x.dropna()
    tab = item_statistics(x, missing=missing)
    assert list(tab["item"]) == columns
    stats, drop = ref["item.stats"], ref["alpha.drop"]
    np.testing.assert_array_equal(tab["n"], _values(stats["n"]))
    for ours, theirs in [("mean", "mean"), ("sd", "sd"), ("r_drop", "r.drop"), ("r_cor", "r.cor")]:
        np.testing.assert_allclose(tab[ours], _values(stats[theirs]), rtol=RTOL, err_msg=ours)
    np.testing.assert_allclose(tab["alpha_if_dropped"], _values(drop["raw_alpha"]), rtol=RTOL)
    np.testing.assert_allclose(tab["alpha_std_if_dropped"], _values(drop["std.alpha"]), rtol=RTOL)


@pytest.mark.parametrize("case", ["docstring_complete", "pairwise_not_pd", "singular_duplicate_item"])
def test_extra_cases_match_psych(bfi, case):
    """psych 2.2.9 (R 4.2.2) on the calls stored in psych_alpha_extra.json: the docstring data;
    a pairwise matrix that is not positive definite (psych clips smc > 1 to 1 for r.cor, and
    alpha-if-dropped exceeds 1); a duplicated item, so R is singular (psych's smc uses a
    pseudo-inverse and clips negative values to 0)."""
    ref = EXTRA[case]
    if case == "singular_duplicate_item":  # xdat <- na.omit(bfi[, 2:5]); xdat$A5b <- xdat$A5
        x = bfi[["A2", "A3", "A4", "A5"]].dropna().assign(A5b=lambda d: d["A5"])
    else:
        x = pd.DataFrame({"q1": [4, 5, 3, 2, 4, 5, 3, 4], "q2": [4, 4, 3, 2, 5, 5, 2, 4],
                          "q3": [3, 5, 4, 1, 4, 4, 3, 5]})
        if case == "pairwise_not_pd":
            x = pd.DataFrame({"q1": [1, 2, 3, 4, 5, 3], "q2": [2, 2, 3, 5, 4, 3],
                              "q3": [1, 3, 3, 4, 5, np.nan]})
    res = cronbach_alpha(x)
    np.testing.assert_allclose(
        [res.alpha, res.alpha_std, res.average_r, res.ci_low, res.ci_high],
        [ref["total"]["raw_alpha"], ref["total"]["std.alpha"], ref["total"]["average_r"],
         ref["feldt"]["lower.ci"], ref["feldt"]["upper.ci"]], rtol=RTOL)
    tab = item_statistics(x)
    for ours, theirs in [("n", "n"), ("mean", "mean"), ("sd", "sd"), ("r_drop", "r.drop"),
                         ("r_cor", "r.cor")]:
        np.testing.assert_allclose(tab[ours], _values(ref["item.stats"][theirs]), rtol=RTOL,
                                   err_msg=ours)
    np.testing.assert_allclose(tab["alpha_if_dropped"], _values(ref["alpha.drop"]["raw_alpha"]),
                               rtol=RTOL)
    np.testing.assert_allclose(tab["alpha_std_if_dropped"],
                               _values(ref["alpha.drop"]["std.alpha"]), rtol=RTOL)


def test_feldt_interval_at_90_percent(bfi):
    """``psych::alpha.ci(0.7030184460573041, n.obs = 2800, n.var = 5, p.val = 0.10)``
    (psych 2.2.9): the agreeableness alpha of psych_alpha.json at a 90% level."""
    ref = EXTRA["feldt_90"]
    res = cronbach_alpha(_keyed(bfi, PSYCH["agree_A1rev"], ["A1", "A2", "A3", "A4", "A5"]),
                         level=0.90)
    np.testing.assert_allclose([res.ci_low, res.ci_high], [ref["lower.ci"], ref["upper.ci"]],
                               rtol=RTOL)
    assert res.level == 0.90


@pytest.mark.parametrize("case, reverse_a1", [("svycralpha_A2toA5_weighted", False),
                                               ("svycralpha_A1revA5_weighted", True)])
def test_weighted_alpha_matches_svycralpha(bfi, case, reverse_a1):
    """survey 4.1.1 (R 4.2.2): ``b <- na.omit(bfi[,1:5]); w <- rep(1:3, length.out=nrow(b));
    dbfi <- svydesign(ids=~1, weights=~w, data=data.frame(b,w))`` then
    ``svycralpha(~A2+A3+A4+A5, dbfi)`` = 0.7187088789393545 and
    ``svycralpha(~I(7-A1)+A2+A3+A4+A5, dbfi)`` = 0.7066701233620902."""
    ref = PSYCH[case]
    b = bfi[["A1", "A2", "A3", "A4", "A5"]].dropna()
    w = np.resize([1.0, 2.0, 3.0], len(b))
    x = b.assign(A1=7 - b["A1"]) if reverse_a1 else b[["A2", "A3", "A4", "A5"]]
    for missing in ("pairwise", "listwise"):  # no missing answer: both must agree with R
        res = cronbach_alpha(x, missing=missing, weights=w)
        assert res.n == ref["n"]
        np.testing.assert_allclose(res.alpha, ref["value"], rtol=RTOL)
    # svyvar's item variances are the diagonal of our weighted covariance: sd**2
    sd = item_statistics(x, weights=w)["sd"].to_numpy()
    np.testing.assert_allclose(sd**2, _values(ref["svyvar_items_diag"]), rtol=RTOL)


def test_two_items_closed_form():
    """Hand case. x1 = 1,2,3,4 and x2 = 2,6,4,8: v1 = 5/3, v2 = 20/3, c = 8/3, so
    alpha = 2 (1 - (v1 + v2) / (v1 + v2 + 2c)) = 2 (1 - 25/41) = 32/41;
    r = c / sqrt(v1 v2) = 0.8, alpha_std = 2r / (1 + r) = 8/9; Feldt with df1 = 3, df2 = 3."""
    from scipy.stats import f

    x = np.array([[1, 2], [2, 6], [3, 4], [4, 8]], dtype=float)
    res = cronbach_alpha(x)
    assert isinstance(res, AlphaResult)
    assert (res.n, res.n_items, res.n_eff) == (4, 2, 4.0)
    np.testing.assert_allclose([res.alpha, res.alpha_std, res.average_r], [32 / 41, 8 / 9, 0.8],
                               rtol=1e-12)
    np.testing.assert_allclose(
        [res.ci_low, res.ci_high],
        [1 - (9 / 41) * f.ppf(0.975, 3, 3), 1 - (9 / 41) * f.ppf(0.025, 3, 3)], rtol=1e-12)
    tab = item_statistics(x)
    assert list(tab["item"]) == [0, 1]
    np.testing.assert_allclose(tab["r_drop"], [0.8, 0.8], rtol=1e-12)  # the rest is the other item
    assert tab["alpha_if_dropped"].isna().all()


def test_frequency_weights_equal_repeated_rows(bfi):
    """Integer weights act as repeated rows for alpha, alpha_std and average_r: the weighted
    covariance differs from the repeated-rows one by one factor, which cancels."""
    x = bfi[["A2", "A3", "A4", "A5"]].dropna().iloc[:300]
    w = np.resize([1, 2, 3, 1, 1], len(x))
    weighted = cronbach_alpha(x, weights=w, missing="listwise")
    repeated = cronbach_alpha(x.loc[x.index.repeat(w)], missing="listwise")
    np.testing.assert_allclose(
        [weighted.alpha, weighted.alpha_std, weighted.average_r],
        [repeated.alpha, repeated.alpha_std, repeated.average_r], rtol=1e-12)
    np.testing.assert_allclose(weighted.n_eff, w.sum() ** 2 / (w**2).sum())
    # equal weights change nothing, whatever their scale
    a = cronbach_alpha(bfi[["A2", "A3", "A4", "A5"]])
    b = cronbach_alpha(bfi[["A2", "A3", "A4", "A5"]], weights=np.full(len(bfi), 2.5))
    np.testing.assert_allclose([a.alpha, a.ci_low, a.ci_high], [b.alpha, b.ci_low, b.ci_high],
                               rtol=1e-12)


@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
def test_agrees_with_pingouin(bfi, missing):
    """pingouin.cronbach_alpha uses the same definitions (pandas pairwise covariances, n = all
    rows, Feldt with df1 = n - 1, df2 = (n - 1)(k - 1)); it rounds the interval to 3 decimals."""
    x = _keyed(bfi, PSYCH["agree_A1rev"], ["A1", "A2", "A3", "A4", "A5"])
    pg_alpha, pg_ci = pg.cronbach_alpha(data=x, nan_policy=missing)
    res = cronbach_alpha(x, missing=missing)
    np.testing.assert_allclose(res.alpha, pg_alpha, rtol=1e-12)
    np.testing.assert_allclose([res.ci_low, res.ci_high], pg_ci, atol=5e-4 + 1e-12)


def test_pairwise_equals_listwise_without_missing(bfi):
    x = bfi[["C1", "C2", "C3", "C4", "C5"]].dropna()
    listwise = cronbach_alpha(x, missing="listwise")
    assert cronbach_alpha(x, missing="pairwise") == replace(listwise, missing="pairwise")
    pd.testing.assert_frame_equal(item_statistics(x), item_statistics(x, missing="listwise"))


def test_result_as_series(bfi):
    s = cronbach_alpha(bfi[["A2", "A3", "A4", "A5"]]).to_series()
    assert list(s.index) == ["n", "n_eff", "n_items", "alpha", "alpha_std", "average_r",
                             "ci_low", "ci_high", "level", "missing"]


# -- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, kwargs, match", [
    (pd.DataFrame({"q1": [1.0, 2, 3]}), {}, "at least 2 items"),
    (pd.DataFrame({"q1": [1, 2, np.nan], "q2": [1, np.nan, 3]}), {"missing": "listwise"},
     "only 1 complete case"),
    (pd.DataFrame({"q1": [1, 2, np.nan, np.nan], "q2": [np.nan, np.nan, 3, 4]}), {},
     "items 'q1' and 'q2'.*at least 2"),
    (pd.DataFrame({"q1": [1, 2, 3], "q2": [4, 4, 4]}), {}, "item 'q2' has zero variance"),
    (pd.DataFrame({"q1": [1, 2, 3], "q2": [3, 2, 1]}), {}, "total score has no positive variance"),
    (pd.DataFrame({"q1": [1, 2, 3], "q2": ["a", "b", "c"]}), {}, "must be numeric"),
    (np.ones(5), {}, "2-D array"),
    (np.array([[1.0, 2], [2, np.inf], [3, 1]]), {}, "infinite"),
    (np.array([[1.0, 2], [2, 3], [3, 1]]), {"missing": "all"}, "missing must be one of"),
    (np.array([[1.0, 2], [2, 3], [3, 1]]), {"weights": [1, 2]}, "expected \\(3,\\)"),
    (np.array([[1.0, 2], [2, 3], [3, 1]]), {"weights": [1, -2, 1]}, "non-negative"),
    (np.array([[1.0, 2], [2, 3], [3, 1]]), {"level": 95}, "level must be between"),
])
def test_errors(data, kwargs, match):
    with pytest.raises(EstimationError, match=match):
        cronbach_alpha(data, **kwargs)


def test_item_statistics_errors():
    with pytest.raises(EstimationError, match="zero variance"):
        item_statistics(pd.DataFrame({"q1": [1, 2, 3], "q2": [4, 4, 4]}))


def test_reliability_argument_errors(sample):
    with pytest.raises(EstimationError, match="not respondent columns"):
        reliability(sample, by=("country", "region_x"))
    with pytest.raises(EstimationError, match="weight column 'w' not found"):
        reliability(sample, weights="w")
    with pytest.raises(EstimationError, match="one per respondent"):
        reliability(sample, weights=np.ones(3))
    with pytest.raises(EstimationError, match="missing must be one of"):
        reliability(sample, missing="complete")
    with pytest.raises(EstimationError, match="level must be between 0 and 1"):
        reliability(sample, level=95)


# -- the reliability table ----------------------------------------------------------------------

COLUMNS = ["country", "target", "dimension", "n_items", "n", "n_eff", "alpha", "alpha_std",
           "ci_low", "ci_high", "average_r", "flag"]
FLAGS = {"", "alpha below .70", "alpha above .95: items may be redundant"}


def test_reliability_on_sample(sample):
    start = time.perf_counter()
    tab = reliability(sample)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    assert list(tab.columns) == COLUMNS
    assert len(tab) == 13 * 2 * 5 == 130
    assert not tab.duplicated(["country", "target", "dimension"]).any()
    assert tab["target"].unique().tolist() == ["USA", "CHN"]
    assert tab["dimension"].unique().tolist() == sample.instrument.dimension_ids
    assert (tab["n_items"] == 4).all()
    for col in ["alpha", "alpha_std", "ci_low", "ci_high", "average_r"]:
        assert np.isfinite(tab[col]).all() and tab[col].between(0, 1).all(), col
    assert ((tab["ci_low"] < tab["alpha"]) & (tab["alpha"] < tab["ci_high"])).all()
    assert set(tab["flag"]) <= FLAGS
    below = tab["alpha"] < 0.70
    assert (tab.loc[below, "flag"] == "alpha below .70").all()
    # n is the count of respondents of the country who answered at least one item
    counts = sample.respondents["country"].value_counts()
    assert (tab["n"] <= tab["country"].map(counts)).all()


def test_reliability_group_matches_psych(sample):
    """psych 2.2.9 (R 4.2.2) on one group of the bundled sample, read and recoded in R
    independently of the Python reader (psych_alpha_extra.R, case sample_ARG_USA_morality:
    ``psych::alpha(xdat)`` with xdat = ARG respondents' USA_mor1..4, mor4 reversed)."""
    ref = EXTRA["sample_ARG_USA_morality"]
    tab = reliability(sample)
    row = tab.query("country == 'ARG' and target == 'USA' and dimension == 'morality'").iloc[0]
    assert row["n"] == ref["n_rows"]
    np.testing.assert_allclose(
        row[["alpha", "alpha_std", "average_r", "ci_low", "ci_high"]].to_numpy(float),
        [ref["total"]["raw_alpha"], ref["total"]["std.alpha"], ref["total"]["average_r"],
         ref["feldt"]["lower.ci"], ref["feldt"]["upper.ci"]], rtol=RTOL)


def test_reliability_group_equals_cronbach_alpha(sample):
    arg = (sample.respondents["country"] == "ARG").to_numpy()
    dim = sample.instrument.dimensions[2]
    cols = [sample.instrument.item_ids.index(it.id) for it in dim.items]
    direct = cronbach_alpha(sample.values[arg, 1][:, cols], missing="listwise")
    tab = reliability(sample, missing="listwise")
    row = tab.query(f"country == 'ARG' and target == 'CHN' and dimension == '{dim.id}'").iloc[0]
    assert row["n"] == direct.n
    np.testing.assert_allclose(row["alpha"], direct.alpha, rtol=1e-12)


def test_reliability_by_and_weights(sample):
    plain = reliability(sample)
    # equal weights from a design give the unweighted table; the file has no weight column
    design = make_design(sample)
    pd.testing.assert_frame_equal(reliability(sample, weights=design), plain)
    w = np.random.default_rng(1).uniform(0.5, 2.0, sample.n)
    weighted = reliability(sample, weights=w)
    assert not np.allclose(weighted["alpha"], plain["alpha"])
    assert (weighted["n_eff"] < weighted["n"]).all()
    with_col = reliability(replace(sample, respondents=sample.respondents.assign(wt=w)),
                           weights="wt")
    pd.testing.assert_frame_equal(with_col, weighted)

    by_target = reliability(sample, by=("target",))
    assert list(by_target.columns[:2]) == ["target", "dimension"] and len(by_target) == 10
    pooled = reliability(sample, by=())
    assert list(pooled.columns[:2]) == ["dimension", "n_items"] and len(pooled) == 5
    # without "target" the ratings of both targets are stacked: one row per respondent x target
    assert pooled["n"].max() <= 2 * sample.n
    flipped = reliability(sample, by=("target", "country"))
    assert flipped["target"].iloc[0] == "USA" and flipped["target"].iloc[-1] == "CHN"
    key = ["country", "target", "dimension"]
    pd.testing.assert_frame_equal(
        flipped.sort_values(key).reset_index(drop=True)[plain.columns],
        plain.sort_values(key).reset_index(drop=True))


def test_reliability_flags_a_group_it_cannot_estimate(sample):
    values = sample.values.copy()
    arg = (sample.respondents["country"] == "ARG").to_numpy()
    values[arg, 0, 0] = 3.0  # ARG answers 3 to the first USA morality item, all of them
    tab = reliability(replace(sample, values=values))
    bad = tab.query("country == 'ARG' and target == 'USA' and dimension == 'morality'").iloc[0]
    assert bad["flag"].startswith("not estimable: item 'mor1' has zero variance")
    assert np.isnan(bad["alpha"]) and bad["n"] > 0
    assert tab.drop(index=bad.name)["alpha"].notna().all()
