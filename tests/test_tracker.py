"""Trackers: changes between waves, their SEs (independent and panel), comparable items, k of n."""

import warnings

import numpy as np
import pandas as pd
import pytest

import surveyindex as si
from surveyindex.errors import EstimationError
from surveyindex.index.waves import compute_tracker, count_interval, restrict_items

DATA = "tests/reference/data/tracker_w{}.csv"
DIMS = ["mor", "com", "cul", "tec", "edu"]


@pytest.fixture(scope="module")
def inst():
    return si.load_instrument("softpower")


def _design(df, inst):
    return si.make_design(si.read_responses(df, inst)).with_replicates("JKn")


def _composite(df, target, drop=()):
    """Respondent composite by hand: reverse x4 (6 - x), mean of items, 0-100, mean of dims."""
    scores = []
    for p in DIMS:
        cols = [f"{target}_{p}{j}" for j in range(1, 5) if f"{p}{j}" not in drop]
        if not cols:
            continue
        x = df[cols].to_numpy(float)
        if f"{target}_{p}4" in cols:
            x[:, -1] = 6 - x[:, -1]
        scores.append(25 * (x.mean(axis=1) - 1))
    return np.mean(scores, axis=0)


def test_independent_changes_match_r(inst):
    # R 4.2.2, survey 4.1.1, tests/reference/tracker_waves.R: svyby(svymean) per wave on
    # as.svrepdesign(type="JKn") designs, SE of the change sqrt(se1^2 + se2^2); BRA, JPN.
    ref = {("USA", "mor1"): ([0.033333333333333215, 0.533333333333333659],
                             [0.23724149068873812, 0.29839930561894723]),
           ("USA", "composite"): ([0.125, 4.4583333333333357],
                                  [3.318979511837949, 4.1569786796777057]),
           ("CHN", "composite"): ([-0.9166666666666643, 4.1666666666666643],
                                  [4.0758493461756276, 3.5936432809408561])}
    waves = {w: _design(pd.read_csv(DATA.format(k)), inst) for k, w in ((1, "w1"), (2, "w2"))}
    ch = compute_tracker(waves, audiences=["all"]).changes
    for (target, measure), (change, se) in ref.items():
        got = ch[(ch.target == target) & (ch.measure == measure)].set_index("country")
        assert got.loc[["BRA", "JPN"], "change"].to_numpy() == pytest.approx(change, abs=1e-12)
        assert got.loc[["BRA", "JPN"], "se"].to_numpy() == pytest.approx(se, rel=1e-10)
        assert (got["covariance"] == 0).all() and (got["n_panel"] == 0).all()


def test_panel_change_se_is_the_paired_se(inst):
    # Hand case: the same 30 people per country in both waves, every item answered, equal weights,
    # JKn replicates: the SE of the change must be sd(d) / sqrt(n), d the respondent's change
    # (the paired-t SE), because V_a + V_b - 2 Cov = (s_a^2 + s_b^2 - 2 s_ab) / n.
    w1 = pd.read_csv(DATA.format(1))
    w2 = w1.copy()
    rng = np.random.default_rng(5)
    items = [c for c in w1.columns if c[:4] in ("USA_", "CHN_") and c[-1].isdigit()]
    move = rng.random((len(w2), len(items))) < 0.4
    w2[items] = np.clip(w2[items].to_numpy() + move * rng.integers(-1, 2, move.shape), 1, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # with panel_id given, no recurring-id warning
        tr = compute_tracker({"a": _design(w1, inst), "b": _design(w2, inst)}, audiences=["all"],
                             panel_id="resp_id")
    ch = tr.changes.set_index(["country", "target", "measure"]).sort_index()
    for c in ("BRA", "JPN"):
        rows = (w1["country"] == c).to_numpy()
        n = rows.sum()
        for t in ("USA", "CHN"):
            d = _composite(w2[rows], t) - _composite(w1[rows], t)
            row = ch.loc[(c, t, "composite")]
            assert row["change"] == pytest.approx(d.mean(), abs=1e-10)
            assert row["se"] == pytest.approx(d.std(ddof=1) / np.sqrt(n), rel=1e-9)
            assert row["se"] < row["se_independent"]
            dy = w2.loc[rows, f"{t}_cul2"] - w1.loc[rows, f"{t}_cul2"]
            assert ch.loc[(c, t, "cul2"), "se"] == pytest.approx(dy.std(ddof=1) / np.sqrt(n),
                                                                 rel=1e-9)
        assert (ch.loc[c, "n_panel"] == n).all()


def test_recurring_ids_without_panel_id_warn(inst):
    w1 = pd.read_csv(DATA.format(1))
    with pytest.warns(UserWarning, match="panel_id='resp_id'"):
        compute_tracker({"a": _design(w1, inst), "b": _design(w1, inst)}, audiences=["all"])


def test_changes_use_only_comparable_items(inst):
    # Wave 2's instrument version drops mor4, and com1 was reworded (declared not comparable):
    # every change is then computed on the other 18 items in both waves.
    w1, w2 = (pd.read_csv(DATA.format(k)) for k in (1, 2))
    d1 = _design(w1, inst)
    d2 = restrict_items(_design(w2, inst), [i for i in inst.item_ids if i != "mor4"])
    tr = compute_tracker({"w1": d1, "w2": d2}, audiences=["all"], comparable={"com1": False})
    comp = tr.comparability.set_index("item")
    assert not comp.loc["mor4", "in_to"] and not comp.loc["mor4", "used"]
    assert comp.loc["com1", "in_to"] and not comp.loc["com1", "used"]
    assert comp["used"].sum() == 18
    ch = tr.changes.set_index(["country", "target", "measure"])
    assert "mor4" not in ch.index.get_level_values("measure")
    for c in ("BRA", "JPN"):
        r1, r2 = (w1["country"] == c).to_numpy(), (w2["country"] == c).to_numpy()
        hand = (_composite(w2[r2], "USA", drop=("mor4", "com1")).mean()
                - _composite(w1[r1], "USA", drop=("mor4", "com1")).mean())
        assert ch.loc[(c, "USA", "composite"), "change"] == pytest.approx(hand, abs=1e-10)
    # Each wave's own estimates keep its full instrument.
    assert "mor4" in set(tr.estimates.query("wave == 'w1'")["measure"])
    assert "mor4" not in set(tr.estimates.query("wave == 'w2'")["measure"])
    # items="all": wave 1's composite uses all 20 items, so the change differs.
    allitems = compute_tracker({"w1": d1, "w2": d2}, audiences=["all"], items="all").changes
    a = allitems.set_index(["country", "target", "measure"]).loc[("BRA", "USA", "composite")]
    assert a["change"] != pytest.approx(ch.loc[("BRA", "USA", "composite"), "change"])


def test_improved_counts_and_trend(inst):
    waves = {w: _design(pd.read_csv(DATA.format(k)), inst) for k, w in ((1, "w1"), (2, "w2"))}
    tr = compute_tracker(waves, audiences=["all"])
    imp = tr.improved.set_index(["target", "measure"])
    ch = tr.changes
    for (t, m), row in imp.iterrows():
        part = ch[(ch.target == t) & (ch.measure == m)]
        assert row["improved"] == (part["change"] > 0).sum()
        assert row["declined"] == (part["change"] < 0).sum()
        assert 0 <= row["improved_ci_low"] <= row["improved_ci_high"] <= row["n_countries"]
    trend = tr.trend("composite")
    assert list(trend.columns[:4]) == ["country", "target", "w1", "w2"]
    got = trend.set_index(["country", "target"])["change w1-w2"]
    assert got.to_numpy() == pytest.approx(trend["w2"] - trend["w1"])


def test_count_interval_poisson_binomial():
    # Hand: p = (0.9, 0.5): P(0) = .05, P(1) = .5, P(2) = .45 -> 80% interval [1, 2] (cdf .05
    # is below .1, so 0 is outside), 95% interval [0, 2].
    assert count_interval(np.array([0.9, 0.5]), 0.8) == (1, 2)
    assert count_interval(np.array([0.9, 0.5]), 0.95) == (0, 2)


def test_tracker_errors(inst):
    d = _design(pd.read_csv(DATA.format(1)), inst)
    with pytest.raises(EstimationError, match="pairs name"):
        compute_tracker({"a": d, "b": d}, pairs=[("a", "c")], audiences=["all"])
    with pytest.raises(EstimationError, match="comparable names"):
        compute_tracker({"a": d, "b": d}, comparable={"nope": False}, audiences=["all"],
                        panel_id="resp_id")


def test_tracker_workbook_and_plot(inst, tmp_path):
    import openpyxl

    waves = {w: _design(pd.read_csv(DATA.format(k)), inst) for k, w in ((1, "w1"), (2, "w2"))}
    tr = compute_tracker(waves, audiences=["all"])
    out = si.report.write_tracker_report(tr, tmp_path / "tracker.xlsx")
    wb = openpyxl.load_workbook(out)
    assert {"Trend", "Changes", "Improved", "Comparability"} <= set(wb.sheetnames)
    ws = wb["Trend"]
    header = [c.value for c in ws[2]]
    assert header[:6] == ["Country", "Target", "Audience", "Measure", "w1", "w2"]
    rows = [r for r in ws.iter_rows(min_row=3, values_only=True) if r[3] == "composite"]
    want = tr.trend("composite").set_index(["country", "target"])
    for r in rows:
        assert r[4] == pytest.approx(want.loc[(r[0], r[1]), "w1"])
        assert r[header.index("change w1-w2")] == pytest.approx(
            want.loc[(r[0], r[1]), "change w1-w2"])
    pytest.importorskip("matplotlib")
    from surveyindex.plot import trend_plot

    fig = trend_plot(tr.estimates, target="CHN")
    assert fig.axes[0].get_title().startswith("composite of CHN")


def test_panel_wave_against_itself_has_zero_se(inst):
    # A raked bootstrap design compared with an identical copy of itself: every change is 0 and,
    # the overlap's correlation being 1, so is its SE (independent samples would give sqrt(2) SE).
    df = pd.read_csv(DATA.format(1))
    m = pd.DataFrame({"country": np.repeat(["BRA", "JPN"], 2), "variable": "gender",
                      "category": ["1", "2"] * 2, "proportion": 0.5})
    d = (si.make_design(si.read_responses(df, inst)).with_replicates("bootstrap", n=40, seed=1)
         .rake(m, by="country"))
    ch = compute_tracker({"a": d, "b": d}, audiences=["all"], panel_id="resp_id").changes
    assert np.abs(ch["change"]).max() < 1e-12
    assert ch["se"].max() < 1e-6 * ch["se_independent"].min()
    assert (ch["se_independent"] > 0).all()


def test_dimension_dropped_in_a_wave(inst):
    # Wave 2's version has no education items: the change's composite is over the other four
    # dimensions in both waves (equal weights), and the trend shows education for wave 1 only.
    w1, w2 = (pd.read_csv(DATA.format(k)) for k in (1, 2))
    edu = [f"edu{j}" for j in range(1, 5)]
    d2 = restrict_items(_design(w2, inst), [i for i in inst.item_ids if i not in edu])
    tr = compute_tracker({"w1": _design(w1, inst), "w2": d2}, audiences=["all"])
    ch = tr.changes.set_index(["country", "target", "measure"])
    assert "education" not in ch.index.get_level_values("measure")
    r1, r2 = (w1["country"] == "JPN").to_numpy(), (w2["country"] == "JPN").to_numpy()
    hand = (_composite(w2[r2], "CHN", drop=edu).mean() - _composite(w1[r1], "CHN", drop=edu).mean())
    assert ch.loc[("JPN", "CHN", "composite"), "change"] == pytest.approx(hand, abs=1e-10)
    trend = tr.trend("education")
    assert trend["w1"].notna().all() and trend["w2"].isna().all()
