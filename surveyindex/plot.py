"""Plots of a run's tables: paired differences, dimension profiles, rank intervals, weights.

Each function takes the tidy tables a run returns (``res.index.comparison``, ``res.design``...)
and returns a :class:`matplotlib.figure.Figure` built without pyplot, so it works headless, in a
script or a notebook (where it displays itself), and never touches global plotting state. Save one
with ``fig.savefig("forest.png", dpi=200)``. Needs matplotlib: ``pip install 'surveyindex[plot]'``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import MissingDependencyError, ReportError
from .report import PALETTE, Labels, dimension_profile

#: Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), as the workbook.
_COLOURS = [f"#{c}" for c in PALETTE]


def forest_plot(comparison: pd.DataFrame, measure: str = "composite", audience: str = "all",
                labels: Labels | None = None):
    """Paired difference (target A minus target B) by country with its interval.

    Countries are sorted by the difference; filled markers are significant after Holm's
    adjustment, open ones are not; the dashed line is no difference.

    Parameters
    ----------
    comparison : DataFrame
        ``res.index.comparison`` (country, audience, measure, target_a, target_b, difference,
        ci_low, ci_high, significant).
    measure : str
        ``"composite"`` or a dimension id.
    audience : str
        The audience to show.
    labels : Labels, optional
        Names of countries, targets, audiences and dimensions
        (``surveyindex.report.Labels.from_instrument(res.instrument)``; default: country names
        from ISO 3166, other codes as they are).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import surveyindex as si
    >>> res = si.run_pipeline(replicates=10, seed=1, progress=False)
    >>> fig = forest_plot(res.index.comparison)
    >>> fig.axes[0].get_xlabel()
    'United States − China, composite index (0-100 points)'
    """
    Figure = _figure_class()
    lab = labels or Labels()
    rows = _select(comparison, "comparison", audience=audience, measure=measure)
    rows = rows.sort_values("difference")
    a, b = lab.target(rows["target_a"].iloc[0]), lab.target(rows["target_b"].iloc[0])
    y = np.arange(len(rows))
    fig = Figure(figsize=(7, 0.32 * len(rows) + 1.6), layout="constrained")
    ax = fig.add_subplot()
    d, lo, hi = (rows[c].to_numpy(float) for c in ("difference", "ci_low", "ci_high"))
    sig = rows["significant"].fillna(False).astype(bool).to_numpy()
    ax.hlines(y, lo, hi, color="#555555", lw=1.5)
    ax.scatter(d[sig], y[sig], color=_COLOURS[0], zorder=3, label="significant (Holm)")
    ax.scatter(d[~sig], y[~sig], facecolor="white", edgecolor=_COLOURS[0], zorder=3,
               label="not significant")
    ax.axvline(0, color="black", ls="--", lw=0.8)
    ax.set_yticks(y, rows["country"].astype(str).map(lab.country))
    ax.set_xlabel(f"{a} \u2212 {b}, {lab.dimension(measure).lower()} (0-100 points)")
    ax.set_title(f"{a} minus {b} by country, {lab.audience(audience)}\n"
                 f"right of the line: {a} rated higher")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return fig


def profile_plot(dimensions: pd.DataFrame, audience: str = "all", level: float = 0.95,
                 labels: Labels | None = None):
    """Dot plot of each target's dimension scores: every country, and their mean with its CI.

    One panel per target; grey dots are the countries, the black dot and line the mean of the
    country scores (each country counting equally) and its interval
    (:func:`surveyindex.report.dimension_profile`).

    Parameters
    ----------
    dimensions : DataFrame
        ``res.index.dimensions``.
    audience : str
        The audience to show.
    level : float
        Confidence level of the interval of the mean.
    labels : Labels, optional
        Names for the codes, as :func:`forest_plot`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import surveyindex as si
    >>> res = si.run_pipeline(replicates=10, seed=1, progress=False)
    >>> [ax.get_title() for ax in profile_plot(res.index.dimensions).axes]
    ['United States', 'China']
    """
    Figure = _figure_class()
    lab = labels or Labels()
    rows = _select(dimensions, "dimensions", audience=audience)
    prof = dimension_profile(rows, audience, level)
    targets = list(dict.fromkeys(rows["target"].astype(str)))
    dims = list(dict.fromkeys(rows["dimension"].astype(str)))
    fig = Figure(figsize=(4 * len(targets) + 1, 0.5 * len(dims) + 1.8), layout="constrained")
    axes = fig.subplots(1, len(targets), sharex=True, sharey=True, squeeze=False)[0]
    pos = {d: i for i, d in enumerate(dims)}
    for ax, t in zip(axes, targets):
        r = rows[rows["target"].astype(str) == t]
        ax.scatter(r["score"], r["dimension"].astype(str).map(pos), color="#999999", s=14,
                   alpha=0.7, label="a country")
        p = prof[prof["target"].astype(str) == t]
        yy = p["dimension"].astype(str).map(pos).to_numpy()
        ax.hlines(yy, p["ci_low"], p["ci_high"], color="black", lw=2)
        ax.scatter(p["score"], yy, color="black", s=30, zorder=3, label="mean of countries")
        ax.set_title(lab.target(t))
        ax.set_yticks(range(len(dims)), [lab.dimension(d) for d in dims])
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("score (0-100)")
        ax.grid(axis="x", alpha=0.3)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=2,
               fontsize=8, frameon=False)
    fig.suptitle(f"Dimension profile, {lab.audience(audience)}")
    return fig


def rank_plot(composite: pd.DataFrame, audience: str = "all", labels: Labels | None = None):
    """Each country's rank per target (1 = highest score) with its replicate interval.

    Parameters
    ----------
    composite : DataFrame
        ``res.index.composite`` (country, target, audience, rank, rank_low, rank_high).
    audience : str
        The audience to show.
    labels : Labels, optional
        Names for the codes, as :func:`forest_plot`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import surveyindex as si
    >>> res = si.run_pipeline(replicates=10, seed=1, progress=False)
    >>> [ax.get_title() for ax in rank_plot(res.index.composite).axes]
    ['United States: rank of the composite score', 'China: rank of the composite score']
    """
    Figure = _figure_class()
    lab = labels or Labels()
    rows = _select(composite, "composite", audience=audience)
    targets = list(dict.fromkeys(rows["target"].astype(str)))
    k = rows["country"].nunique()
    fig = Figure(figsize=(4 * len(targets) + 1, 0.32 * k + 1.8), layout="constrained")
    axes = fig.subplots(1, len(targets), squeeze=False)[0]
    for ax, t, colour in zip(axes, targets, _COLOURS * 4):
        r = rows[rows["target"].astype(str) == t].sort_values("rank")
        y = np.arange(len(r))
        ax.hlines(y, r["rank_low"], r["rank_high"], color=colour, lw=2, alpha=0.6)
        ax.scatter(r["rank"], y, color=colour, zorder=3)
        ax.set_yticks(y, r["country"].astype(str).map(lab.country))
        ax.invert_yaxis()
        ax.set_xlim(0.5, k + 0.5)
        ax.set_xlabel("rank among countries (1 = highest)")
        ax.set_title(f"{lab.target(t)}: rank of the composite score")
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"Rank intervals over replicates, {lab.audience(audience)}")
    return fig


def weighting_plot(design, by: str = "country"):
    """Weights by country (relative to the country's mean weight) and sample size vs effective n.

    Parameters
    ----------
    design : SurveyDesign
        The weighted design (``res.design``).
    by : str
        The column the weights were raked within.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import surveyindex as si
    >>> res = si.run_pipeline(replicates=10, seed=1, progress=False)
    >>> [ax.get_title() for ax in weighting_plot(res.design).axes]
    ['Weight / country mean (log scale)', 'Respondents and effective sample size']
    """
    Figure = _figure_class()
    if by not in design.data.columns:
        raise ReportError(f"weighting_plot: {by!r} is not a column of the design's data; "
                          f"columns: {list(design.data.columns)}")
    groups = design.data[by].astype(str).to_numpy()
    w = pd.Series(design.weights, index=groups)
    names = sorted(set(groups))
    rel = [w[g].to_numpy() / w[g].mean() for g in names]
    diag = design.diagnostics(by=by).set_index(by).reindex(names)
    fig = Figure(figsize=(11, 0.32 * len(names) + 2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2, sharey=True)
    # matplotlib 3.10 renamed vert=False to orientation="horizontal" (vert warns from 3.11).
    import matplotlib

    horizontal = ({"orientation": "horizontal"} if _version(matplotlib.__version__) >= (3, 10)
                  else {"vert": False})
    ax1.boxplot(rel, whis=(1, 99), showfliers=False, **horizontal)
    ax1.set_xscale("log")
    ticks = [t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20) if min(map(np.min, rel)) / 2 <= t
             <= 2 * max(map(np.max, rel))]
    ax1.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax1.minorticks_off()
    ax1.axvline(1, color="black", lw=0.8, ls="--")
    # Country codes by name; other groupings (regions, strata) as they are.
    ax1.set_yticks(range(1, len(names) + 1),
                   [Labels().country(g) if by == "country" else g for g in names])
    ax1.invert_yaxis()
    ax1.set_title("Weight / country mean (log scale)")
    ax1.set_xlabel("box: quartiles; whiskers: 1st-99th percentile")
    y = np.arange(1, len(names) + 1)
    ax2.barh(y, diag["n"], color="#cccccc", label="respondents")
    ax2.barh(y, diag["n_eff"], height=0.5, color=_COLOURS[0], label="effective n")
    for yi, deff in zip(y, diag["deff_kish"]):
        ax2.annotate(f"deff {deff:.2f}", (0, yi), xytext=(3, 0), textcoords="offset points",
                     va="center", fontsize=7, color="white")
    ax2.set_title("Respondents and effective sample size")
    ax2.set_xlabel("respondents")
    ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8,
               frameon=False)
    return fig


def _figure_class():
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingDependencyError("plots need matplotlib: pip install 'surveyindex[plot]'") \
            from None
    return Figure


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:2] if p.isdigit())


def _select(df: pd.DataFrame, name: str, **equal) -> pd.DataFrame:
    """Rows of ``df`` whose columns equal the given values, or a ReportError saying what is there."""
    rows = df
    for col, value in equal.items():
        if col not in rows.columns:
            raise ReportError(f"{name} table has no column {col!r}; columns: {list(df.columns)}")
        found = list(dict.fromkeys(rows[col].astype(str)))
        rows = rows[rows[col].astype(str) == str(value)]
        if rows.empty:
            raise ReportError(f"{name} table has no rows with {col} = {value!r}; "
                              f"available: {', '.join(found)}")
    return rows


def trend_plot(estimates: pd.DataFrame, measure: str = "composite", target: str | None = None,
               audience: str = "all", level: float = 0.95):
    """Score by wave for each country, with its interval (a tracker's ``estimates`` table).

    Parameters
    ----------
    estimates : DataFrame
        ``tracker.estimates`` (wave, country, target, audience, measure, estimate, ci_low,
        ci_high).
    measure, target, audience : which line to draw (target: the first one by default).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> est = pd.DataFrame({"wave": ["2022", "2023"] * 2, "country": ["BRA"] * 2 + ["JPN"] * 2,
    ...     "target": "USA", "audience": "all", "measure": "composite",
    ...     "estimate": [50.0, 52.0, 60.0, 58.0], "ci_low": [48.0, 50, 58, 56],
    ...     "ci_high": [52.0, 54, 62, 60]})
    >>> fig = trend_plot(est)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['BRA', 'JPN']
    """
    Figure = _figure_class()
    target = target if target is not None else str(estimates["target"].iloc[0])
    rows = _select(estimates, "estimates", measure=measure, target=target, audience=audience)
    waves = list(dict.fromkeys(rows["wave"].astype(str)))
    x = {w: i for i, w in enumerate(waves)}
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.add_subplot()
    for k, (country, g) in enumerate(rows.groupby("country", sort=True)):
        xs = g["wave"].astype(str).map(x).to_numpy(float) + (k - 0.5 * rows["country"].nunique()) * 0.02
        colour = _COLOURS[k % len(_COLOURS)]
        ax.plot(xs, g["estimate"], marker="o", color=colour, label=str(country), lw=1.2)
        ax.vlines(xs, g["ci_low"], g["ci_high"], color=colour, lw=0.8, alpha=0.7)
    ax.set_xticks(range(len(waves)), waves)
    ax.set_xlabel("wave")
    ax.set_ylabel(f"{measure} (0-100), {level:.0%} CI")
    ax.set_title(f"{measure} of {target} by wave, audience {audience}")
    ax.legend(fontsize=8, frameon=False, ncol=2)
    ax.grid(axis="y", alpha=0.3)
    return fig
