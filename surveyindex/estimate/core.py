"""The machinery every estimator shares: domains as sorted row blocks, weighted sums in one pass.

Respondents are grouped by domain (``Domains.rows(k)``); estimators gather one domain's rows at
a time, so no full-size reordered copy of the data exists, and replicate weights are materialised
for a block of that domain's rows at a time; the sums for every variable and replicate are then
matrix products over the block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..design import replicate_block
from ..errors import EstimationError


@dataclass(frozen=True)
class Domains:
    """Domain layout: ``order`` lists the rows in a domain sorted by domain, ``bounds[k]`` to
    ``bounds[k + 1]`` is domain ``k``'s slice of it, ``table`` names the domains."""

    table: pd.DataFrame
    order: np.ndarray
    bounds: np.ndarray

    def __len__(self) -> int:
        return len(self.table)

    def rows(self, k: int) -> np.ndarray:
        return self.order[self.bounds[k]:self.bounds[k + 1]]


def domain_layout(design, by, where) -> Domains:
    """Domains of ``by`` (column or columns of the design data) within the ``where`` mask."""
    data = design.data
    if by is None:
        codes = np.zeros(design.n, dtype=np.int64)
        table = pd.DataFrame(index=[0])
    else:
        cols = [by] if isinstance(by, str) else list(by)
        missing = [c for c in cols if c not in data.columns]
        if missing:
            raise EstimationError(f"domain column(s) {missing} not in the design's data; "
                                  f"columns: {list(data.columns)}")
        if len(cols) == 1:      # factorize: several times faster than a groupby on one column
            codes, uniques = pd.factorize(data[cols[0]], sort=True)
            codes = codes.astype(np.int64)
            table = pd.DataFrame({cols[0]: uniques})
        else:
            grouped = data.groupby(cols, sort=True, dropna=True)
            codes = grouped.ngroup().to_numpy(dtype=np.int64)
            table = grouped.size().index.to_frame(index=False)
    if where is not None:
        where = np.asarray(where, dtype=bool)
        if where.shape != (design.n,):
            raise EstimationError(f"'where' mask has shape {where.shape}; expected ({design.n},)")
        codes = np.where(where, codes, -1)
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    start = np.searchsorted(sorted_codes, 0)
    order = order[start:]
    bounds = np.searchsorted(sorted_codes[start:], np.arange(len(table) + 1))
    return Domains(table.reset_index(drop=True), order, bounds)


def as_matrix(values, n: int, prefix: str = "V") -> tuple[list[str], np.ndarray]:
    """Variable names and an (n, V) float matrix from a DataFrame, Series or array."""
    if isinstance(values, pd.Series):
        values = values.to_frame()
    if isinstance(values, pd.DataFrame):
        names = [str(c) for c in values.columns]
        if all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)
               for t in values.dtypes):
            Y = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            Y = values.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    else:
        Y = np.asarray(values, dtype=float)
        Y = Y[:, None] if Y.ndim == 1 else Y
        names = [f"{prefix}{j + 1}" for j in range(Y.shape[1])]
    if Y.shape[0] != n:
        raise EstimationError(f"values have {Y.shape[0]} rows; the design has {n} respondents")
    return names, Y


def resolve_method(design, method: str) -> str:
    if method == "auto":
        return "replicate" if design.replicate_weights is not None else "taylor"
    if method == "replicate" and design.replicate_weights is None:
        raise EstimationError("method='replicate' needs replicate weights: call "
                              "design.with_replicates('bootstrap', n=..., seed=...) first")
    if method not in ("replicate", "taylor"):
        raise EstimationError(f"method must be 'replicate', 'taylor' or 'auto', not {method!r}")
    return method


def domain_sums(design, rows: np.ndarray, mats: list[np.ndarray], replicates: bool,
                budget: int = 1 << 24) -> list[np.ndarray]:
    """Weighted column sums of one domain: for each (n_k, V) matrix in ``mats`` (NaN-free;
    float64, or bool for indicators) holding the rows ``rows`` of the design, in that order.

    Returns a list of arrays (V, 1 + R): column 0 uses the analysis weights, the others the
    replicate weights (when ``replicates``). Replicate weights are materialised for a block of
    rows at a time, all R columns at once (about ``budget`` cells), so each data block is read
    once and multiplied by one well-shaped matrix product, whatever R is.

    >>> import numpy as np, pandas as pd, surveyindex as si
    >>> d = si.make_design(pd.DataFrame({"y": [1.0, 2.0, 4.0]}), strata=None)
    >>> d = d.with_replicates("JK1")
    >>> domain_sums(d, np.arange(3), [np.array([[1.0], [2.0], [4.0]])], True)[0].tolist()
    [[7.0, 9.0, 7.5, 4.5]]
    """
    rows = np.asarray(rows)
    w = design.weights[rows]
    R = design.replicate_weights.shape[1] if replicates else 0
    outs = [np.zeros((m.shape[1], 1 + R)) for m in mats]
    for out, m in zip(outs, mats):
        out[:, 0] = _f64(m).T @ w
    if R and len(rows):
        step = max(1, budget // R)
        for r0 in range(0, len(rows), step):
            W = replicate_block(design.replicate_weights, 0, R, rows[r0:r0 + step])
            for out, m in zip(outs, mats):
                out[:, 1:] += _f64(m[r0:r0 + step]).T @ W
    return outs


def _f64(a: np.ndarray) -> np.ndarray:
    # Indicator matrices may be held as bool (1/8 of float64's memory at millions of rows); one
    # domain slice at a time is cast for BLAS, and 0/1 converts exactly, so sums are unchanged.
    return a if a.dtype == np.float64 else a.astype(np.float64)


def counts(dom: Domains, valid: np.ndarray) -> np.ndarray:
    """Respondents with a valid value, per domain and variable."""
    out = np.zeros((len(dom), valid.shape[1]), dtype=np.int64)
    for k in range(len(dom)):
        out[k] = np.count_nonzero(valid[dom.rows(k)], axis=0)
    return out
