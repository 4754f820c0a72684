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
        C = len(cells)
        w0 = self.w0[rows]
        inv_w0 = np.divide(1.0, w0, out=np.zeros_like(w0), where=w0 > 0)
        S = np.asarray(_indicator(local, C, inv_w0) @ Z)          # cell sums of x / w0
        n_c = np.bincount(local, minlength=C).astype(float)
        marg = []
        for m, index in enumerate(self.margin_index):
            F = self.factors[cells, m]
            inv_F = np.divide(1.0, F, out=np.zeros_like(F), where=F != 0)
            codes, mlocal = np.unique(index[cells], return_inverse=True)
            K = len(codes)
            P = np.asarray(_indicator(mlocal, K, inv_F) @ S)
            count = np.bincount(mlocal, n_c, K)[:, None]
            marg.append((mlocal, K, F, n_c * inv_F, P, count))
        # M[j][m] maps margin m's accumulated means to margin j's sums: block-diagonal by group.
        M = [[sparse.csr_matrix((bj * Fm, (lj, lm)), shape=(Kj, Km))
              for lm, Km, Fm, _, _, _ in marg] for lj, Kj, _, bj, _, _ in marg]
        c = [np.zeros_like(P) for _, _, _, _, P, _ in marg]
        for _ in range(10):          # R uses exactly ten sweeps, converged or not
            for j, (_, _, _, _, P, count) in enumerate(marg):
                c[j] += (P - sum(M[j][m] @ c[m] for m in range(len(marg)))) / count
        offsets = np.cumsum([0] + [K for _, K, _, _, _, _ in marg])
        E = sparse.csr_matrix((np.concatenate([F for _, _, F, _, _, _ in marg]),
                               (np.tile(np.arange(C), len(marg)),
                                np.concatenate([lm + o for (lm, *_), o in zip(marg, offsets)]))),
                              shape=(C, offsets[-1]))
        delta = np.asarray(E @ np.concatenate(c))               # sum over margins of F_m c_m
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
    if keep.sum() == len(rows):    # the rows fill their groups: nothing to spread to
        ext, Zx = rows, Z
    else:
        ext = np.flatnonzero(keep)
        Zx = np.zeros((len(ext), Z.shape[1]))
        pos = np.full(design.n, -1, dtype=np.int64)
        pos[ext] = np.arange(len(ext))
        Zx[pos[rows]] = Z
    for adj in design.calibration:
        Zx = adj.adjust(Zx, ext)
    return ext, Zx


def _indicator(codes: np.ndarray, size: int, values: np.ndarray | None = None):
    """(size, len(codes)) sparse matrix summing columns into their code's row (times values)."""
    values = np.ones(len(codes)) if values is None else values
    return sparse.csr_matrix((values, (codes, np.arange(len(codes)))), shape=(size, len(codes)))


def _sum_rows(x: np.ndarray, groups: np.ndarray, size: int) -> np.ndarray:
    return np.asarray(_indicator(groups, size) @ x)
