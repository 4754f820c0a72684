"""Collapsing sparse margin categories before raking or post-stratifying.

Adjacent categories (in the margin's order) are merged, sparsest first, until each has enough
respondents; see the ``collapse=`` option of :func:`surveyindex.design.rake`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import WeightingError


def collapse_blocks(n, values, min_n, segments=None) -> list[list[int]]:
    """Merge positions ``0..len(n)-1`` (in order) into blocks of adjacent positions until no block
    has fewer than ``min_n`` respondents (or one block is left); positions whose ``values`` are
    not positive take no part. The sparsest block (ties: the first) merges with its adjacent
    block that has fewer respondents (ties: the one before it). With ``segments``, only blocks
    in the same segment are adjacent.

    >>> collapse_blocks([30, 12, 1, 25], [1, 1, 1, 1], 10)
    [[0], [1, 2], [3]]
    >>> collapse_blocks([0, 40, 3, 9], [1, 1, 1, 1], 5)    # 3 joins the smaller neighbour, 9
    [[0, 1], [2, 3]]
    """
    blocks = [[i] for i in range(len(n)) if values[i] > 0]
    seg = [None if segments is None else segments[b[0]] for b in blocks]
    done = set()
    while True:
        sizes = [sum(n[i] for i in b) for b in blocks]
        sparse = [k for k in range(len(blocks)) if sizes[k] < min_n and k not in done]
        if not sparse:
            return blocks
        k = min(sparse, key=lambda k: (sizes[k], k))
        near = [j for j in (k - 1, k + 1) if 0 <= j < len(blocks) and seg[j] == seg[k]]
        if not near:
            done.add(k)           # alone in its segment: nothing to merge with
            continue
        j = min(near, key=lambda j: (sizes[j], j))
        lo, hi = min(j, k), max(j, k)
        blocks[lo:hi + 1] = [blocks[lo] + blocks[hi]]
        seg[lo:hi + 1] = [seg[lo]]
        done = {d if d < lo else d - 1 for d in done if d != hi and d != lo}


def collapse_options(collapse, variables) -> tuple[int, list]:
    """``(min_n, variables to collapse)`` from a ``collapse=`` argument."""
    if isinstance(collapse, (int, np.integer)) and not isinstance(collapse, bool):
        collapse = {"min_n": int(collapse)}
    if not isinstance(collapse, Mapping) or "min_n" not in collapse:
        raise WeightingError(f"collapse must be a dict such as {{'min_n': 20}} or an int, not "
                             f"{collapse!r}")
    unknown = set(collapse) - {"min_n", "variables"}
    if unknown:
        raise WeightingError(f"collapse has unknown key(s) {sorted(unknown)}; use 'min_n' and "
                             "optionally 'variables'")
    min_n = collapse["min_n"]
    if not isinstance(min_n, (int, np.integer)) or isinstance(min_n, bool) or min_n < 1:
        raise WeightingError(f"collapse min_n must be a positive integer, not {min_n!r}")
    chosen = collapse.get("variables")
    chosen = list(variables) if chosen is None else ([chosen] if isinstance(chosen, str)
                                                     else list(chosen))
    bad = [v for v in chosen if v not in variables]
    if bad:
        raise WeightingError(f"collapse variables {bad} are not among the margins {variables}")
    return int(min_n), chosen


def collapse_margins(table, variables, cat_codes, cat_lists, groups, group_names, weights, by,
                      collapse):
    """Merge sparse categories per group and margin (the ``collapse=`` option of
    :func:`~surveyindex.design.rake`); return the new margins table, category codes and lists,
    and the record of merges."""
    min_n, chosen = collapse_options(collapse, variables)
    G = len(group_names)
    key = by or "group"
    record = []
    positive = weights > 0
    for m, v in enumerate(variables):
        if v not in chosen:
            continue
        cats, code = cat_lists[m], cat_codes[m]
        K = len(cats)
        n = np.bincount(groups[positive] * K + code[positive], minlength=G * K).reshape(G, K)
        sub = table[table.variable == v]
        vals = (sub.set_index(["group", "category"])["value"]
                .reindex(pd.MultiIndex.from_product([group_names, cats])).fillna(0.0)
                .to_numpy(float).reshape(G, K))
        new_cats: dict[str, None] = {}
        lut = np.empty((G, K), dtype=object)
        rows = []
        kind = table["kind"].iloc[0]
        for g in range(G):
            blocks = collapse_blocks(n[g], vals[g], min_n)
            for b in blocks:
                label = "+".join(cats[i] for i in b)
                for i in b:
                    lut[g, i] = label
                rows.append((group_names[g], v, label, float(vals[g, b].sum()), kind))
                if len(b) > 1:
                    record.append({key: group_names[g], "margin": v,
                                   "categories": [cats[i] for i in b],
                                   "n": [int(n[g, i]) for i in b],
                                   "population": float(vals[g, b].sum())})
            for i in range(K):
                if lut[g, i] is None:     # no population here: kept, so errors still name it
                    lut[g, i] = cats[i]
                    if vals[g, i] > 0 or n[g, i] > 0:
                        rows.append((group_names[g], v, cats[i], float(vals[g, i]), kind))
        for i in range(K):            # keep the margin's order in the merged list
            for g in range(G):
                new_cats.setdefault(lut[g, i], None)
        new_list = list(new_cats)
        where = {c: j for j, c in enumerate(new_list)}
        lut_codes = np.array([[where[lut[g, i]] for i in range(K)] for g in range(G)],
                             dtype=np.int64)
        cat_codes[m] = lut_codes[groups, code]
        cat_lists[m] = new_list
        table = pd.concat([table[table.variable != v],
                           pd.DataFrame(rows, columns=["group", "variable", "category", "value",
                                                       "kind"])], ignore_index=True)
    return table, cat_codes, cat_lists, record
