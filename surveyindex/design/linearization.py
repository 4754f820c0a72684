"""How weighting steps change Taylor-linearisation variances, as R ``survey`` computes them.

A weighting step that forces weighted totals to known population values removes part of the
sampling variance. R ``svyrecvar`` accounts for it by replacing each influence value ``x`` before
the variance sum: post-stratification subtracts the post-stratum mean, raking backfits that over
its margins ten times, and GREG calibration takes the residual of a weighted regression on the
calibration variables. Each step here records the same adjustment; weighting ``by`` a group makes
it block-diagonal, so only the groups a domain touches are ever visited.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse


class PostStratAdjustment:
    """``x - oldw * sum_cell(x) / sum_cell(oldw)`` (R ``svyrecvar``, post-strata branch).

    >>> adj = PostStratAdjustment(None, np.array([0, 0, 1]), np.array([1.0, 3.0, 2.0]))
    >>> adj.adjust(np.array([[1.0], [1.0], [5.0]]), np.arange(3)).ravel().tolist()
    [0.5, -0.5, 0.0]
    """

    def __init__(self, groups, cells, oldw):
        self.groups, self.cells, self.oldw = groups, cells, oldw

    def adjust(self, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        cells, local = np.unique(self.cells[rows], return_inverse=True)
        oldw = self.oldw[rows]
        sums = _sum_rows(Z, local, len(cells))
        tot = np.bincount(local, weights=oldw, minlength=len(cells))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nan_to_num(sums / tot[:, None])
        return Z - oldw[:, None] * mean[local]


class RakeAdjustment:
    """Ten backfitting sweeps of ``x - psw * ave(x / psw, margin)`` over the margins.

    ``psw`` are the weights right after each margin was fitted in the last raking sweep (R keeps
    them as the ``weights`` attribute of each post-stratum), stored as cell factors of the start
    weights ``w0``: ``psw_m = w0 * factors[cell_of, m]``.
    """

    def __init__(self, groups, cell_of, w0, margin_index, factors):
        self.groups, self.cell_of, self.w0 = groups, cell_of, w0
        self.margin_index, self.factors = margin_index, factors

    def adjust(self, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        # psw_m = w0 * F_m[cell], so every backfitting step changes x / w0 by a constant per
        # raking cell: the sweeps run on the cell table, exactly, and one pass maps back. The
        # cell-table change is E_m c_m summed over margins, with c_m the accumulated margin
        # means, so the ten sweeps themselves run on the (small) margin-category tables.
        cells, local = np.unique(self.cell_of[rows], return_inverse=True)
        w0 = self.w0[rows]
        inv_w0 = np.divide(1.0, w0, out=np.zeros_like(w0), where=w0 > 0)
        S = _sum_rows(Z * inv_w0[:, None], local, len(cells))
        n_c = np.bincount(local, minlength=len(cells)).astype(float)
        P, B, E, count = [], [], [], []
        for m, index in enumerate(self.margin_index):
            F = self.factors[cells, m]
            inv_F = np.divide(1.0, F, out=np.zeros_like(F), where=F != 0)
            codes, mlocal = np.unique(index[cells], return_inverse=True)
            A = _indicator(mlocal, len(codes))
            P.append(np.asarray(A @ (S * inv_F[:, None])))
            B.append(A @ sparse.diags(n_c * inv_F))
            E.append(sparse.diags(F) @ A.T)
            count.append(np.asarray(A @ n_c)[:, None])
        M = [[(Bj @ Em).toarray() for Em in E] for Bj in B]
        c = [np.zeros_like(p) for p in P]
        for _ in range(10):          # R uses exactly ten sweeps, converged or not
            for j in range(len(P)):
                c[j] += (P[j] - sum(M[j][m] @ c[m] for m in range(len(P)))) / count[j]
        delta = sum(np.asarray(Em @ cm) for Em, cm in zip(E, c))
        out = delta[local]
        out *= w0[:, None]
        np.subtract(Z, out, out=out)
        return out


class GregAdjustment:
    """Residuals of ``x / w`` on ``X sqrt(w0)`` times ``w = g sqrt(w0)`` (R ``calibrate``).

    ``X`` is the calibration model matrix, ``w0`` the weights before calibration and ``g`` the
    calibration factors; with ``groups`` the regression is fitted within each group.
    """

    def __init__(self, groups, X, w0, g):
        self.groups, self.X, self.w0, self.g = groups, X, w0, g

    def adjust(self, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        out = np.empty_like(Z)
        groups = np.zeros(len(rows), dtype=np.int64) if self.groups is None else self.groups[rows]
        for gcode in np.unique(groups):
            sel = np.flatnonzero(groups == gcode)
            r = rows[sel]
            half = np.sqrt(self.w0[r])
            A = self.X[r] * half[:, None]
            w = self.g[r] * half
            u = Z[sel] / w[:, None]
            beta = np.linalg.lstsq(A, u, rcond=None)[0]
            out[sel] = (u - A @ beta) * w[:, None]
        return out


def calibrated_influence(design, rows: np.ndarray, Z: np.ndarray):
    """Apply the design's weighting adjustments to influence values ``Z`` observed at ``rows``.

    ``Z`` is zero outside ``rows``; the adjustments spread it over the weighting groups that the
    rows touch, so the result comes back on a (possibly larger) set of rows.
    """
    if not design.calibration:
        return rows, Z
    keep = np.zeros(design.n, dtype=bool)
    keep[rows] = True
    for adj in design.calibration:
        if adj.groups is None:
            keep[:] = True
            break
        touched = np.zeros(int(adj.groups.max()) + 1, dtype=bool)
        touched[adj.groups[keep]] = True
        keep |= touched[adj.groups]
    ext = np.flatnonzero(keep)
    Zx = np.zeros((len(ext), Z.shape[1]))
    pos = np.full(design.n, -1, dtype=np.int64)
    pos[ext] = np.arange(len(ext))
    Zx[pos[rows]] = Z
    for adj in design.calibration:
        Zx = adj.adjust(Zx, ext)
    return ext, Zx


def _indicator(codes: np.ndarray, size: int):
    return sparse.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))),
                             shape=(size, len(codes)))


def _sum_rows(x: np.ndarray, groups: np.ndarray, size: int) -> np.ndarray:
    return np.asarray(_indicator(groups, size) @ x)
