"""The one result object of every estimator: means, totals, ratios, proportions, quantiles.

:class:`DomainEstimates` holds (domains x variables) arrays and gives them back the ways an R
user reaches for them: by name (``est["api00"]``, ``float(est["api00"])`` as ``coef``), as a tidy
table (``est.table()``), as intervals (``est.confint()``), and as a short notebook display. No
display prints the replicate estimates.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.stats import norm
from scipy.stats import t as student_t

from ..errors import EstimationError, UnknownNameError

_KINDS = {"mean": "Means", "total": "Totals", "ratio": "Ratios", "proportion": "Proportions",
          "quantile": "Quantiles"}


@dataclass(frozen=True, eq=False, repr=False)
class DomainEstimates:
    """Estimates of V variables in D domains.

    ``estimate``, ``se``, ``n`` (respondents with a valid value) and ``n_eff`` (Kish effective n of
    those) have shape (D, V); ``replicates`` (D, V, R) holds the replicate estimates when the
    design has replicate weights, so derived quantities (differences, indices, ranks) can get
    their own replicate standard errors. ``deff`` is the design effect against simple random
    sampling: without replacement (R ``deff=TRUE``) when the design knows its population size
    (an fpc) and the weights sum to more than n, else with replacement (R ``deff="replace"``);
    ``deff_type`` says which. :attr:`deff_kish` is Kish's weighting effect ``n / n_eff``.
    ``interval`` is ``"wald"`` (estimate +- t SE) or ``"logit"`` (proportions, as R
    ``svyciprop(method="logit")``); ``df`` the degrees of freedom of the t quantile (None or
    infinite: the normal, as R ``confint``'s default) and ``level`` the default confidence level.
    Quantiles carry their (asymmetric, Woodruff) interval in ``ci`` and the probability of each
    column in ``quantiles``. ``labels`` names the categories of the instrument's categorical
    demographics (``gender=2``: ``"Female"``), shown in ``table()``'s ``label`` column.

    >>> import pandas as pd, surveyindex as si
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 4.0, 5.0], "g": ["a", "b", "a", "b"]})
    >>> est = si.estimate_means(si.make_design(df), ["y", "g"])
    >>> est.variables
    ['y', 'g=a', 'g=b']
    >>> float(est["y"]), est["g"].estimate.tolist()
    (3.0, [[0.5, 0.5]])
    >>> est
    <Means of 3 variables: y 3 (SE 0.913), g=a 0.5 (SE 0.289), g=b 0.5 (SE 0.289); n 4, Taylor>
    """

    domains: pd.DataFrame
    variables: list[str]
    estimate: np.ndarray
    se: np.ndarray
    n: np.ndarray
    n_eff: np.ndarray
    replicates: np.ndarray | None
    method: str
    deff: np.ndarray | None = None
    kind: str = "mean"
    interval: str = "wald"
    df: float | np.ndarray | None = None
    level: float = 0.95
    quantiles: list[float] | None = None
    ci: tuple[np.ndarray, np.ndarray] | None = None
    deff_type: str | None = None
    labels: dict | None = None

    # -- tables and intervals ------------------------------------------------------------------

    def table(self, level: float | None = None) -> pd.DataFrame:
        """Tidy long table: domain columns, variable (and quantile), estimate, se, ci_low,
        ci_high, n, n_eff, cv (se / estimate), deff, deff_kish and df (inf: normal interval).

        >>> import pandas as pd, surveyindex as si
        >>> df = pd.DataFrame({"y": [1.0, 3.0, 2.0, 6.0], "c": ["A", "A", "B", "B"]})
        >>> si.estimate_means(si.make_design(df), "y", by="c").table()[["c", "estimate", "n"]]
          c  estimate  n
        0  A       2.0  2
        1  B       4.0  2
        """
        D, V = self.estimate.shape
        out = self.domains.loc[self.domains.index.repeat(V)].reset_index(drop=True)
        out["variable"] = np.tile(self.variables, D)
        if self.labels:
            out["label"] = [self.labels.get(v, "") for v in out["variable"]]
        if self.quantiles is not None:
            out["quantile"] = np.tile(self.quantiles, D)
        est, se = self.estimate.ravel(), self.se.ravel()
        lo, hi = self.confint(level)
        out["estimate"] = est
        out["se"] = se
        out["ci_low"] = lo.ravel()
        out["ci_high"] = hi.ravel()
        out["n"] = self.n.ravel()
        out["n_eff"] = self.n_eff.ravel()
        with np.errstate(invalid="ignore", divide="ignore"):
            out["cv"] = se / np.abs(est)
        out["deff"] = np.nan if self.deff is None else self.deff.ravel()
        out["deff_kish"] = self.deff_kish.ravel()
        out["df"] = np.broadcast_to(np.inf if self.df is None else self.df, (D, V)).ravel()
        return out

    def confint(self, level: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper confidence limits, shape (D, V) each (R ``confint(est, level, df)``).

        >>> import pandas as pd, surveyindex as si
        >>> d = si.make_design(pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0]}))
        >>> lo, hi = si.estimate_means(d, "y", df=3).confint()   # 2.5 +- t(3) * 0.6455
        >>> round(float(lo[0, 0]), 4), round(float(hi[0, 0]), 4)
        (0.4457, 4.5543)
        """
        if self.ci is not None:
            if level is not None and level != self.level:
                raise EstimationError(f"these quantile intervals are for level {self.level}; "
                                      f"pass level={level} to estimate_quantiles instead")
            return self.ci
        q = critical_value(self.level if level is None else level, self.df)
        if self.interval == "logit":
            p = self.estimate
            with np.errstate(invalid="ignore", divide="ignore"):
                eta = np.log(p / (1 - p))
                half = q * self.se / (p * (1 - p))
            return 1 / (1 + np.exp(-(eta - half))), 1 / (1 + np.exp(-(eta + half)))
        return self.estimate - q * self.se, self.estimate + q * self.se

    @property
    def deff_kish(self) -> np.ndarray:
        """Kish's design effect of unequal weights, ``n / n_eff``, shape (D, V)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.n / self.n_eff

    @property
    def coef(self) -> pd.Series:
        """The estimates as a Series named by variable (and domain), as R ``coef``."""
        return self._series(self.estimate)

    @property
    def SE(self) -> pd.Series:  # noqa: N802 - R's name
        """The standard errors as a Series named like :attr:`coef`, as R ``SE``."""
        return self._series(self.se)

    def _series(self, values) -> pd.Series:
        t = self.table()
        keys = [*self.domains.columns, "variable"]
        keys += ["quantile"] if self.quantiles is not None else []
        return pd.Series(np.asarray(values).ravel(), index=pd.MultiIndex.from_frame(t[keys])
                         if len(keys) > 1 else pd.Index(t[keys[0]], name=keys[0]))

    # -- access by name ------------------------------------------------------------------------

    def __getitem__(self, key):
        """``est["api00"]`` (one variable), ``est["stype"]`` (its categories), a list of names;
        a name of a table column (``est["estimate"]``) or a boolean row mask reads the table."""
        if isinstance(key, str):
            cols = self.columns_of(key)
            if cols:
                return self._subset(cols)
            table = self.table()
            if key in table.columns:
                return table[key]
            raise UnknownNameError(f"{key!r} is not a variable of these estimates; variables: "
                           f"{list(dict.fromkeys(self.variables))}")
        if isinstance(key, (list, tuple)) and all(isinstance(k, str) for k in key):
            cols = [j for k in key for j in self.columns_of(k) or self._missing(k)]
            return self._subset(cols)
        return self.table()[key]

    def columns_of(self, name: str) -> list[int]:
        """Positions of variable ``name``, or of its categories ``name=...``."""
        exact = [j for j, v in enumerate(self.variables) if v == name]
        return exact or [j for j, v in enumerate(self.variables) if v.startswith(f"{name}=")]

    def _missing(self, name):
        raise UnknownNameError(f"{name!r} is not a variable of these estimates; variables: "
                       f"{list(dict.fromkeys(self.variables))}")

    def _subset(self, cols: list[int]) -> DomainEstimates:
        def pick(a):
            return None if a is None else a[:, cols]

        df = self.df if self.df is None or np.ndim(self.df) == 0 else pick(self.df)
        return replace(self, variables=[self.variables[j] for j in cols],
                       estimate=pick(self.estimate), se=pick(self.se), n=pick(self.n),
                       n_eff=pick(self.n_eff), deff=pick(self.deff), df=df,
                       replicates=None if self.replicates is None else self.replicates[:, cols],
                       quantiles=None if self.quantiles is None else
                       [self.quantiles[j] for j in cols],
                       ci=None if self.ci is None else (self.ci[0][:, cols], self.ci[1][:, cols]))

    def __float__(self) -> float:
        if self.estimate.size != 1:
            raise EstimationError(f"float() needs one estimate; these have {self.estimate.size} "
                                  "(select one with est['name'], or read est.table())")
        return float(self.estimate.ravel()[0])

    # DataFrame-like reading of the table, so quantile results read as they always did.
    @property
    def loc(self):
        return self.table().loc

    @property
    def iloc(self):
        return self.table().iloc

    @property
    def columns(self) -> pd.Index:
        return self.table().columns

    def __len__(self) -> int:
        return self.estimate.size

    # -- display -------------------------------------------------------------------------------

    def __repr__(self) -> str:
        D, V = self.estimate.shape
        label = _KINDS.get(self.kind, "Estimates")
        names = list(dict.fromkeys(self.variables))
        what = f"{label} of {len(names)} variable{'s' * (len(names) != 1)}"
        if len(self.domains.columns):
            what += f" in {D} domains of {', '.join(map(str, self.domains.columns))}"
        method = {"taylor": "Taylor", "replicate": f"{self.replicates.shape[2]} replicates"
                  if self.replicates is not None else "replicates"}.get(self.method, self.method)
        if D == 1 and V <= 6:
            cells = ", ".join(f"{v}{_q(self, j)} {_fmt(self.estimate[0, j])} "
                              f"(SE {_fmt(self.se[0, j])})" for j, v in enumerate(self.variables))
            return f"<{what}: {cells}; n {int(self.n.max())}, {method}>"
        return f"<{what}; {method}; .table() for the {D * V} rows>"

    def _repr_html_(self) -> str:
        t = self.table()
        keep = [c for c in t.columns if c not in ("cv", "df") or c == "df" and
                np.isfinite(t["df"]).any()]
        head = html.escape(repr(self).strip("<>").split(":")[0].split(";")[0])
        body = t[keep].head(60).to_html(index=False, float_format=lambda v: f"{v:.4g}")
        more = f"<p>... {len(t) - 60} more rows: .table()</p>" if len(t) > 60 else ""
        return f"<h4>{head}</h4>{body}{more}"


def check_level(level) -> float:
    """``level`` as a confidence level strictly between 0 and 1, or an error saying so.

    >>> check_level(0.9)
    0.9
    >>> check_level("95%")
    Traceback (most recent call last):
    ...
    surveyindex.errors.EstimationError: level must be between 0 and 1 (e.g. 0.95), not '95%'
    """
    ok = isinstance(level, (int, float, np.number)) and not isinstance(level, bool)
    if not ok or not 0 < level < 1:
        raise EstimationError(f"level must be between 0 and 1 (e.g. 0.95), not {level!r}")
    return float(level)


def critical_value(level: float, df) -> float | np.ndarray:
    """The two-sided quantile for ``level``: normal when ``df`` is None or infinite, else t."""
    check_level(level)
    if df is None:
        return float(norm.ppf(0.5 + level / 2))
    df = np.asarray(df, float)
    out = np.where(np.isinf(df), norm.ppf(0.5 + level / 2),
                   student_t.ppf(0.5 + level / 2, np.where(np.isinf(df), 1.0, df)))
    return float(out) if out.ndim == 0 else out


def _fmt(x) -> str:
    return f"{x:.4g}" if np.isfinite(x) else "NA"


def _q(est, j) -> str:
    return "" if est.quantiles is None else f"@{est.quantiles[j]:g}"
