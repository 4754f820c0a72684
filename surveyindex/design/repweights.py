"""Replicate weights held compactly: integer draws times per-cell weighting factors.

A Rao-Wu bootstrap replicate weight is ``base_i * unit_i * count[psu_i, r]``, where ``count`` is
how many times the PSU was drawn (a small integer); raking and post-stratification then multiply
it by a factor that is constant within each weighting cell (country x margin category). Stored
that way, 2,000,000 respondents x 200 replicates take about 400 MB (one byte per PSU and replicate)
instead of 3.2 GB of float64, and estimators materialise column blocks on demand
(:meth:`FactorReplicates.columns`). ``np.asarray(design.replicate_weights)`` gives the full
float64 matrix whenever it is wanted.
"""

from __future__ import annotations

import numpy as np


class FactorReplicates:
    """An (n, R) replicate-weight matrix stored as draws x cell factors.

    Parameters
    ----------
    base : shape (n,), the weights the replicate factors multiply (the design weights).
    unit : shape (n,), the per-respondent rescaling (``n_h / (n_h - 1)`` for Rao-Wu).
    psu_of : shape (n,), integer PSU index of each respondent into the rows of ``counts``.
    counts : shape (P, R), small unsigned integers, the times each PSU is drawn.
    layers : ``((cell_of, factor), ...)``: weighting steps, ``cell_of`` shape (n,) and
        ``factor`` shape (C, R), multiplied in.

    >>> import numpy as np
    >>> f = FactorReplicates(np.ones(3), np.full(3, 1.5), np.arange(3),
    ...                      np.array([[2, 0], [0, 1], [0, 1]], dtype=np.uint8))
    >>> np.asarray(f).tolist()
    [[3.0, 0.0], [0.0, 1.5], [0.0, 1.5]]
    >>> f[:, 1].tolist()
    [0.0, 1.5, 1.5]
    """

    ndim = 2
    dtype = np.dtype(float)

    def __init__(self, base, unit, psu_of, counts, layers=()):
        self.base = np.asarray(base, float)
        self.unit = np.asarray(unit, float)
        self.psu_of = np.asarray(psu_of, np.int64)
        self.counts = counts
        self.layers = tuple(layers)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.base), self.counts.shape[1])

    def __len__(self) -> int:
        return len(self.base)

    def with_layer(self, cell_of: np.ndarray, factor: np.ndarray) -> FactorReplicates:
        """A copy with one more per-cell factor (a weighting step) multiplied in."""
        return FactorReplicates(self.base, self.unit, self.psu_of, self.counts,
                                self.layers + ((np.asarray(cell_of, np.int64), factor),))

    def columns(self, start: int = 0, stop: int | None = None,
                rows: np.ndarray | slice | None = None) -> np.ndarray:
        """Replicate columns ``start:stop`` for ``rows`` (all by default), as float64."""
        rows = slice(None) if rows is None else rows
        cols = slice(start, stop)
        psu, scale = self.psu_of[rows], self.base[rows] * self.unit[rows]
        cells = [(cell_of[rows], factor) for cell_of, factor in self.layers]
        out = np.empty((len(psu), len(range(*cols.indices(self.counts.shape[1])))))
        # a few rows at a time, every step on them while they are in cache (the same products,
        # cell by cell, as on the whole block at once)
        step = max(1, _CELLS // max(out.shape[1], 1))
        for r0 in range(0, len(psu), step):
            r1 = r0 + step
            o = out[r0:r1]
            o[...] = self.counts[psu[r0:r1], cols]
            o *= scale[r0:r1, None]
            for cell_of, factor in cells:
                o *= factor[cell_of[r0:r1], cols]
        return out

    def __array__(self, dtype=None, copy=None):
        out = self.columns()
        return out if dtype is None else out.astype(dtype)

    def __getitem__(self, key):
        # Only the rows and columns asked for are materialised: the whole (n, R) matrix is GBs.
        rows, cols = key if isinstance(key, tuple) and len(key) == 2 else (key, slice(None))
        if isinstance(rows, (int, np.integer)):
            return self[[int(rows)], cols][0]
        if isinstance(cols, (int, np.integer)):
            c = int(cols) % self.shape[1]
            return self.columns(c, c + 1, rows)[:, 0]
        if isinstance(cols, slice) and cols.step in (None, 1) and rows is not Ellipsis:
            start, stop, _ = cols.indices(self.shape[1])
            return self.columns(start, stop, rows)
        return np.asarray(self)[key]

    @property
    def nbytes(self) -> int:
        return int(self.counts.nbytes + sum(f.nbytes + c.nbytes for c, f in self.layers)
                   + 3 * self.base.nbytes)


#: Cells of replicate columns made at once (2 MB: 1,300 rows of 200 replicates).
_CELLS = 1 << 18


def replicate_block(rep, start: int, stop: int, rows=None) -> np.ndarray:
    """Columns ``start:stop`` of a replicate matrix (dense array or :class:`FactorReplicates`)."""
    if isinstance(rep, FactorReplicates):
        return rep.columns(start, stop, rows)
    if rows is None:
        return np.asarray(rep[:, start:stop], float)
    return np.asarray(rep[rows, start:stop], float)


def column_chunk(n_rows: int, n_cols: int, budget: int = 1 << 24) -> int:
    """How many replicate columns to materialise at once: about ``budget`` float64 cells."""
    return int(max(1, min(n_cols, budget // max(n_rows, 1))))
