"""Plots, drawn headless: each returns a Figure showing exactly the table's numbers."""

from __future__ import annotations

import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

import surveyindex as si  # noqa: E402
from surveyindex import plot  # noqa: E402
from surveyindex.errors import MissingDependencyError, ReportError  # noqa: E402


@pytest.fixture(scope="module")
def res():
    return si.run_pipeline(replicates=20, seed=1, progress=False)


def test_forest_plot_shows_each_difference_and_interval(res):
    fig = plot.forest_plot(res.index.comparison, measure="culture")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    rows = res.index.comparison.query("audience == 'all' and measure == 'culture'")
    rows = rows.sort_values("difference")
    filled, hollow = ax.collections[1], ax.collections[2]
    sig = rows["significant"].to_numpy(bool)
    np.testing.assert_allclose(filled.get_offsets()[:, 0], rows["difference"][sig])
    np.testing.assert_allclose(hollow.get_offsets()[:, 0], rows["difference"][~sig])
    segments = ax.collections[0].get_segments()
    np.testing.assert_allclose([s[0][0] for s in segments], rows["ci_low"])
    np.testing.assert_allclose([s[1][0] for s in segments], rows["ci_high"])
    # Countries by name (ISO 3166), not by code.
    names = [si.report.country_name(c) for c in rows["country"]]
    assert [t.get_text() for t in ax.get_yticklabels()] == names


def test_profile_plot_mean_matches_dimension_profile(res):
    fig = plot.profile_plot(res.index.dimensions)
    prof = si.report.dimension_profile(res.index.dimensions).query("target == 'CHN'")
    means = fig.axes[1].collections[2].get_offsets()[:, 0]
    np.testing.assert_allclose(means, prof["score"])


def test_rank_plot_and_weighting_plot(res):
    fig = plot.rank_plot(res.index.composite, audience="g20_youth")
    usa = res.index.composite.query("audience == 'g20_youth' and target == 'USA'")
    np.testing.assert_allclose(sorted(fig.axes[0].collections[1].get_offsets()[:, 0]),
                               sorted(usa["rank"]))
    fig = plot.weighting_plot(res.design)
    bars = [p.get_width() for p in fig.axes[1].patches]
    n = len(res.weighting)
    np.testing.assert_allclose(bars[n:], res.weighting.sort_values("country")["n_eff"])


def test_unknown_choice_named(res):
    with pytest.raises(ReportError, match="audience = 'teens'; available: all, g20_youth"):
        plot.forest_plot(res.index.comparison, audience="teens")
    with pytest.raises(ReportError, match="'province' is not a column"):
        plot.weighting_plot(res.design, by="province")


def test_missing_matplotlib_names_the_extra(res, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(MissingDependencyError, match=r"surveyindex\[plot\]"):
        plot.rank_plot(res.index.composite)
