"""What a country's dimension scores support after the invariance tests: the partial-invariance
search of a failing dimension and the per-country comparability rows (scalar / partial /
aligned only), with the aligned means beside them (used by :func:`.invariance`)."""

from __future__ import annotations

import numpy as np

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
