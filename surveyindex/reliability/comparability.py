"""What a country's dimension scores support after the invariance tests: the partial-invariance
search of a failing dimension and the per-country comparability rows (scalar / partial /
aligned only), with the aligned means beside them (used by :func:`.invariance`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import EstimationError
from .alignment import align_configural
from .cfa import fit_moments
from .partial import partial_search

_SCALAR = ("loadings", "intercepts")


def _search(fits, level, moments, common, cut, robust):
    """Partial metric (if metric failed) then partial scalar invariance by score tests.
    Returns the path rows and the final partial scalar model (None when no partial model
    holds)."""
    path, metric = [], fits["metric"]
    if level == "configural":
        metric, table = partial_search(fits["metric"], against=fits["configural"],
                                       rule=cut["metric"])
        path += [{"model": "metric", **r} for r in table.to_dict("records")]
        if not table["holds"].iloc[-1]:
            return path, None
    start = fits["scalar"] if level == "metric" else robust(fit_moments(
        *moments, equal=_SCALAR, free=metric.spec.free, start=metric, **common))
    final, table = partial_search(start, against=metric, rule=cut["scalar"])
    path += [{"model": "scalar", **r} for r in table.to_dict("records")]
    return path, (final if table["holds"].iloc[-1] else None)



def _comparable(level, groups, labels, final, holds) -> list[dict]:
    """Per group: scalar / partial (own parameters freed) / aligned only."""
    freed = {}
    if final is not None and holds:
        items = final.parameters.loc[final.parameters["op"] == "=~", "rhs"].unique()
        for kind, j, g in sorted(final.spec.free):
            name = {"lam": "loading", "nu": "intercept", "th": "residual"}[kind]
            freed.setdefault(groups[g], []).append(f"{name} {items[j]}")
    rows = []
    for lab in labels:
        if lab not in groups:
            rows.append({"group": lab, "comparable": "not estimable", "freed": ""})
        elif level == "scalar":
            rows.append({"group": lab, "comparable": "scalar", "freed": ""})
        elif final is not None and holds:
            rows.append({"group": lab, "comparable": "partial" if lab in freed else "scalar",
                         "freed": "; ".join(freed.get(lab, []))})
        else:
            rows.append({"group": lab, "comparable": "aligned only", "freed": ""})
    return rows



def _with_alignment(rows, configural) -> list[dict]:
    """Aligned factor mean, SD and non-invariant parameters of each group beside its row."""
    res = next(iter(align_configural(configural).values()))
    by_group = res.groups.set_index("group")
    it = res.items
    bad = {}
    for r in it[it["loading_differs"] | it["intercept_differs"]].itertuples(index=False):
        what = [k for k, f in (("loading", r.loading_differs), ("intercept", r.intercept_differs)) if f]
        bad.setdefault(r.group, []).append(f"{'+'.join(what)} {r.item}")
    out = []
    for row in rows:
        g = row["group"]
        known = g in by_group.index
        out.append({**row, "aligned_mean": float(by_group.loc[g, "mean"]) if known else np.nan,
                    "aligned_sd": float(by_group.loc[g, "sd"]) if known else np.nan,
                    "non_invariant": "; ".join(bad.get(g, []))})
    return out


# -- downstream: the comparability of each score and the aligned means, as tables ---------------

#: The comparability levels of a score, most comparable first (the pipeline's ``comparability``
#: column): ``"scalar"``, ``"partial"``, ``"aligned only"``, ``"not estimable"`` (the country
#: was left out of the models: too few complete cases) and ``"not tested"`` (no invariance
#: result for this dimension: fewer than 3 items, or not among those analysed).
COMPARABILITY = ("scalar", "partial", "aligned only", "not estimable", "not tested")
# A composite is as comparable as its least comparable dimension; a known failure (aligned
# only) outranks a missing verdict, which outranks partial.
_COMPOSITE_RANK = {"scalar": 0, "partial": 1, "not tested": 2, "not estimable": 3,
                   "aligned only": 4}


def with_comparability(table: pd.DataFrame, invariance, by: str = "country",
                       dimensions=None) -> pd.DataFrame:
    """``table`` with the comparability of each row's scores across countries (column
    ``comparability``, one of :data:`COMPARABILITY`).

    Parameters
    ----------
    table : DataFrame
        Rows per ``by`` x ``target`` (x ``dimension``), e.g. an index result's ``dimensions``
        or ``composite`` table (any other columns, such as ``audience``, are kept: invariance is
        tested on every respondent of a country, so each audience gets its country's verdict).
    invariance : InvarianceResult
        The result of :func:`~surveyindex.reliability.invariance` with groups ``by``.
    by : str
        The group column (default ``"country"``).
    dimensions : list of str, optional
        For a table without a ``dimension`` column (a composite): the dimensions it aggregates
        (default: those of ``table``'s invariance result).

    Returns
    -------
    DataFrame
        With a ``dimension`` column: ``comparability`` is that of ``invariance.comparable`` for
        the row's country, target and dimension, ``"not tested"`` where it has no row.
        Without one (a composite): ``comparability`` is the least comparable level of its
        dimensions (``scalar`` only when every dimension is scalar; ``aligned only`` when any
        is; else ``not estimable`` / ``not tested`` / ``partial``) and ``comparability_note``
        names the dimensions that are not scalar (e.g. ``"partial: culture"``).

    Raises
    ------
    EstimationError
        If ``table`` or the invariance result lacks the key columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from surveyindex.reliability import InvarianceResult, with_comparability
    >>> comp = pd.DataFrame({"target": "USA", "dimension": "culture", "country": ["FRA", "JPN"],
    ...                      "comparable": ["scalar", "partial"], "freed": ["", "intercept cul2"]})
    >>> inv = InvarianceResult(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
    ...                        {}, comparable=comp)
    >>> dims = pd.DataFrame({"country": ["FRA", "JPN", "JPN"], "target": "USA",
    ...                      "dimension": ["culture", "culture", "morality"]})
    >>> with_comparability(dims, inv)["comparability"].tolist()
    ['scalar', 'partial', 'not tested']
    >>> comp_table = pd.DataFrame({"country": ["FRA", "JPN"], "target": "USA"})
    >>> with_comparability(comp_table, inv, dimensions=["culture"])[
    ...     ["comparability", "comparability_note"]].values.tolist()
    [['scalar', ''], ['partial', 'partial: culture']]
    """
    comp = _comparable_table(invariance, by)
    keys = [by, "target"]
    missing = [k for k in keys if k not in table.columns]
    if missing:
        raise EstimationError(f"the table lacks columns {missing}: pass a table with one row per "
                              f"{by} x target (x dimension), e.g. result.index.dimensions")
    level = comp.set_index([*keys, "dimension"])["comparable"]
    if "dimension" in table.columns:
        idx = pd.MultiIndex.from_frame(table[[*keys, "dimension"]].astype(str))
        got = level.reindex(idx).fillna("not tested").to_numpy()
        return table.assign(comparability=got)
    dims = list(dict.fromkeys(comp["dimension"])) if dimensions is None else list(dimensions)
    cells = table[keys].astype(str).drop_duplicates()
    grid = cells.merge(pd.DataFrame({"dimension": dims}), how="cross")
    grid["level"] = level.reindex(pd.MultiIndex.from_frame(grid[[*keys, "dimension"]])).fillna(
        "not tested").to_numpy()
    rows = []
    for key, g in grid.groupby(keys, sort=False):
        worst = max(g["level"], key=_COMPOSITE_RANK.__getitem__) if len(g) else "not tested"
        note = "; ".join(f"{lev}: {', '.join(g.loc[g['level'] == lev, 'dimension'])}"
                         for lev in COMPARABILITY[1:] if (g["level"] == lev).any())
        rows.append((*key, worst, note))
    summary = pd.DataFrame(rows, columns=[*keys, "comparability", "comparability_note"])
    out = table.assign(**{k: table[k].astype(str) for k in keys}).merge(summary, on=keys,
                                                                       how="left")
    out.index = table.index
    return out.assign(**{k: table[k] for k in keys})


def aligned_means_table(invariance, by: str = "country") -> pd.DataFrame:
    """The aligned factor means of every country x target x dimension, as a tidy table.

    Alignment (Asparouhov & Muthen 2014; :mod:`.alignment`) of each dimension's configural model
    puts the countries' factor means on one metric without scalar invariance: the reference
    country (the first analysed, in the order of ``invariance.comparable``) has mean 0 and SD 1,
    and the others' means and SDs are in units of its factor SD. They are the means to compare
    where ``comparable`` says ``aligned only`` (or ``partial``). Each target x dimension has its
    own metric: aligned means do not compare across dimensions or targets, nor with the 0-100
    scores.

    Parameters
    ----------
    invariance : InvarianceResult
        From :func:`~surveyindex.reliability.invariance` with ``align=True`` (its default).
    by : str
        The group column (default ``"country"``).

    Returns
    -------
    DataFrame
        One row per ``by`` x target x dimension of ``invariance.comparable``: ``aligned_mean``,
        ``aligned_sd`` (NaN for a country left out of the models), ``reference`` (the reference
        country of that target x dimension), ``comparability`` (the country's level,
        :data:`COMPARABILITY`) and ``non_invariant`` (its aligned loadings and intercepts that
        depart from the common value). The alignment gives point estimates only, so there is
        no SE column (sirt's ``invariance.alignment`` has none either).

    Raises
    ------
    EstimationError
        If the result has no aligned means (``invariance(..., align=False)``).

    Examples
    --------
    >>> import pandas as pd
    >>> from surveyindex.reliability import InvarianceResult, aligned_means_table
    >>> comp = pd.DataFrame({"target": "USA", "dimension": "culture", "country": ["FRA", "JPN"],
    ...                      "comparable": ["scalar", "aligned only"], "freed": "",
    ...                      "aligned_mean": [0.0, 0.42], "aligned_sd": [1.0, 0.9],
    ...                      "non_invariant": ["", "intercept cul2"]})
    >>> inv = InvarianceResult(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
    ...                        {}, comparable=comp)
    >>> aligned_means_table(inv)[["country", "aligned_mean", "reference", "comparability"]]
      country  aligned_mean reference comparability
    0     FRA          0.00       FRA        scalar
    1     JPN          0.42       FRA  aligned only
    """
    comp = _comparable_table(invariance, by)
    if "aligned_mean" not in comp.columns:
        raise EstimationError("the invariance result has no aligned means: run "
                              "invariance(..., align=True) (the default)")
    keys = ["target", "dimension"]
    known = comp[comp["aligned_mean"].notna()]
    ref = known.groupby(keys, sort=False)[by].first().rename("reference").reset_index()
    out = comp.merge(ref, on=keys, how="left")
    return out[[by, "target", "dimension", "aligned_mean", "aligned_sd", "reference",
                "comparable", "non_invariant"]].rename(columns={"comparable": "comparability"})


def _comparable_table(invariance, by: str) -> pd.DataFrame:
    comp = getattr(invariance, "comparable", None)
    if comp is None:
        raise EstimationError("expected an InvarianceResult (surveyindex.reliability.invariance)")
    need = [by, "target", "dimension", "comparable"]
    if not set(need) <= set(comp.columns):
        raise EstimationError(f"invariance.comparable lacks {sorted(set(need) - set(comp.columns))}"
                              f": was invariance() run with by={by!r}?")
    return comp.assign(**{k: comp[k].astype(str) for k in need[:3]})
