"""Running the replicate-heavy steps on a ``dask.distributed`` cluster (optional extra ``[dask]``).

With ``client=`` (a ``dask.distributed.Client``, or a scheduler address), the steps whose cost
grows with respondents x replicates are cut into tasks by country (the raking groups, the index
domains) and by block of replicate columns, and run on the cluster's workers; the small results
(cell totals, domain sums) come back and the rest of the computation is the local code, unchanged.
No scheduler of our own: dask schedules the tasks.

Same numbers as the local run: a task adds up the same respondents in the same order as the
local code, so the raking cell totals are bit-identical; the domain means of the index sum row
blocks whose size depends on how many replicate columns a task holds, so they can differ from the
local run by rounding in the last bits (relative differences below 1e-12).
"""

from __future__ import annotations

import numpy as np

from ..errors import MissingDependencyError, WeightingError
from .repweights import FactorReplicates, column_chunk, replicate_block

REPLICATE_BLOCK = 250


def require_distributed():
    """The ``dask.distributed`` module, or an error saying how to install it.

    >>> require_distributed().__name__
    'distributed'
    """
    try:
        import distributed
    except ImportError:
        raise MissingDependencyError(
            "running on a cluster needs dask.distributed: pip install 'surveyindex[dask]' "
            "(or run without client= / a project file's compute: section)") from None
    return distributed


def get_client(client):
    """A ``dask.distributed.Client`` from a client, a scheduler address or a project file's
    ``compute:`` mapping (``{"scheduler": "tcp://host:8786"}`` or ``{"workers": 2,
    "threads_per_worker": 1, "processes": False}`` for a LocalCluster on this machine);
    None stays None (run locally)."""
    if client is None:
        return None
    distributed = require_distributed()
    if isinstance(client, distributed.Client):
        return client
    if isinstance(client, str):
        return distributed.Client(client)
    if isinstance(client, dict):
        if client.get("scheduler"):
            return distributed.Client(client["scheduler"])
        cluster = distributed.LocalCluster(
            n_workers=int(client.get("workers", 2)),
            threads_per_worker=int(client.get("threads_per_worker", 1)),
            processes=bool(client.get("processes", True)),
            memory_limit=client.get("memory_limit", "auto"), dashboard_address=":0")
        return distributed.Client(cluster)
    raise WeightingError(f"client must be a dask.distributed.Client, a scheduler address or a "
                         f"compute mapping, not {type(client).__name__}")


def replicate_rows(rep, rows: np.ndarray, start: int = 0, stop: int | None = None):
    """Rows ``rows`` and columns ``start:stop`` of a replicate matrix, in the same compact form
    (a :class:`FactorReplicates` keeps its draws and cell factors, restricted), so a task
    carries only its country's share.

    >>> f = FactorReplicates(np.ones(3), np.full(3, 1.5), np.arange(3),
    ...                      np.array([[2, 0], [0, 1], [0, 1]], dtype=np.uint8))
    >>> np.asarray(replicate_rows(f, np.array([1, 2]), 1, 2)).tolist()
    [[1.5], [1.5]]
    """
    stop = rep.shape[1] if stop is None else stop
    if not isinstance(rep, FactorReplicates):
        return np.asarray(rep[rows, start:stop], float)
    psus, psu_of = np.unique(rep.psu_of[rows], return_inverse=True)
    layers = []
    for cell_of, factor in rep.layers:
        cells, local = np.unique(cell_of[rows], return_inverse=True)
        layers.append((local.ravel(), np.ascontiguousarray(factor[cells, start:stop])))
    return FactorReplicates(rep.base[rows], rep.unit[rows], psu_of.ravel(),
                            np.ascontiguousarray(rep.counts[psus, start:stop]), layers)


def cell_totals(design, indicator, groups: np.ndarray, client) -> np.ndarray:
    """Weighted totals per raking cell, column 0 the weights and then every replicate, computed
    on the cluster: one task per raking group (country) x block of replicate columns.

    Each cell belongs to one group, so a task's totals are final for its cells; the task sums
    the same respondents in the same order as :func:`surveyindex.design.rake`'s local loop,
    and the totals are identical to the local ones.
    """
    rep = design.replicate_weights
    R = 0 if rep is None else rep.shape[1]
    T0 = np.zeros((indicator.shape[0], 1 + R))  # cells no respondent falls in stay 0
    T0[:, 0] = indicator @ design.weights
    if not R:
        return T0
    csc = indicator.tocsc()
    futures, where = [], []
    step = column_chunk(design.n, R)
    block = min(REPLICATE_BLOCK, R)
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        cells = np.unique(csc[:, rows].indices)
        part = indicator[cells][:, rows]
        piece = client.scatter((part, replicate_rows(rep, rows)), direct=True)
        for c0 in range(0, R, block):
            futures.append(client.submit(_cell_block, piece, c0, min(R, c0 + block), step,
                                         pure=False))
            where.append((cells, c0))
    for (cells, c0), out in zip(where, client.gather(futures)):
        T0[cells, 1 + c0:1 + c0 + out.shape[1]] = out
    return T0


def _cell_block(piece, c0: int, c1: int, step: int) -> np.ndarray:
    # The local loop's column chunks (``step`` columns at a time), restricted to this block.
    part, rep = piece
    out = np.empty((part.shape[0], c1 - c0))
    for a in range(c0, c1, step):
        b = min(c1, a + step)
        out[:, a - c0:b - c0] = part @ replicate_block(rep, a, b)
    return out
