"""The index's replicate means and its sensitivity draws on a ``dask.distributed`` cluster.

The index's cost is the weighted domain means of every item and dimension score under every
replicate weight column (respondents x replicates); everything after (normalisation, weights,
aggregation, ranks) works on the small (countries x targets x measures x replicates) array. So
the means are computed on the cluster, one task per country x block of replicate columns, each
task running the local estimator (:func:`surveyindex.estimate.means.means_of_blocks`) on its
country's respondents and columns; the blocks are joined and the index proceeds locally. The
sensitivity analysis's index runs (one per combination of methodological choices) are tasks too.

Numbers: a task sums the same respondents in the same order as the local run, but in row blocks
sized for its own number of replicate columns, so means may differ from the local run in the
last bits (below 1e-12 relative); with one block of all replicates they are the same sums.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..design import REPLICATE_BLOCK, SurveyDesign, replicate_rows
from ..estimate import DomainEstimates, domain_layout, means_of_blocks


def distributed_means(design: SurveyDesign, blocks, by: str, where, client,
                      replicate_block: int | None = None) -> DomainEstimates:
    """:func:`~surveyindex.estimate.means.means_of_blocks` with ``method="replicate"``, one
    task per domain of ``by`` x block of ``replicate_block`` replicate columns on ``client``.

    Returns the estimates, replicate estimates, n and effective n (the index needs no more;
    ``se`` is computed from the joined replicates).
    """
    replicate_block = replicate_block or REPLICATE_BLOCK
    dom = domain_layout(design, by, where)
    R = design.replicate_weights.shape[1]
    D = len(dom)
    V = sum(np.shape(b)[1] for b in blocks)
    est = np.full((D, V), np.nan)
    reps = np.full((D, V, R), np.nan)
    n = np.zeros((D, V), dtype=np.int64)
    n_eff = np.full((D, V), np.nan)
    rscales = design.replicate_rscales
    futures, where_to = [], []
    for k in range(D):
        rows = dom.rows(k)
        if not len(rows):
            continue
        values = tuple(np.asarray(b, float)[rows] for b in blocks)
        for c0 in range(0, R, replicate_block):
            c1 = min(R, c0 + replicate_block)
            sub = SurveyDesign(pd.DataFrame(index=range(len(rows))),
                               design.weights[rows], replicate_weights=replicate_rows(
                                   design.replicate_weights, rows, c0, c1),
                               replicate_scale=design.replicate_scale,
                               replicate_rscales=None if rscales is None else rscales[c0:c1],
                               replicate_mse=design.replicate_mse)
            futures.append(client.submit(_domain_block, sub, values, pure=False))
            where_to.append((k, c0, c1))
    for (k, c0, c1), (e, r, nk, ne) in zip(where_to, client.gather(futures)):
        est[k], reps[k, :, c0:c1], n[k], n_eff[k] = e, r, nk, ne
    return DomainEstimates(dom.table, [f"V{j + 1}" for j in range(V)], est,
                           np.full((D, V), np.nan), n, n_eff, reps, "replicate")


def _domain_block(sub: SurveyDesign, values: tuple):
    e = means_of_blocks(sub, values, by=None, method="replicate")
    return e.estimate[0], e.replicates[0], e.n[0], e.n_eff[0]


def map_choices(client, func, choices: list, *args) -> list:
    """``[func(*args, c) for c in choices]`` as tasks on ``client``; the (large) shared
    arguments are sent to the workers once."""
    shared = client.scatter(list(args), broadcast=True)
    return client.gather(client.map(func, *[[s] * len(choices) for s in shared], choices,
                                    pure=False))
