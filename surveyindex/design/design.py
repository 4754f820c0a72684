"""The survey design: who is in the sample and how much each respondent counts.

A :class:`SurveyDesign` is immutable: weighting methods return a new design (as in R ``survey``), and
when the design carries replicate weights every weighting step is applied to each replicate too, so
replicate standard errors include the effect of weighting.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import WeightingError

if TYPE_CHECKING:
    from ..io import Responses


@dataclass(frozen=True, eq=False)
class SurveyDesign:
    """Respondent data with weights, strata, PSUs and optional replicate weights.

    Attributes
    ----------
    data : respondent-level variables (one row per respondent, aligned with the weights).
    weights : the analysis weights, shape (n,).
    strata, psu : integer codes, shape (n,), or None (one stratum; each respondent its own PSU).
    fpc : finite population correction per respondent, shape (n,), or None (sampling with
        replacement): the number of PSUs in the stratum's population, or the sampling fraction
        when at most 1, as R ``svydesign(fpc=)`` takes it (single-stage designs).
    replicate_weights : shape (n, R) or None.
    replicate_type : e.g. ``"bootstrap"``; ``replicate_scale`` multiplies the sum of squared
        deviations of replicate estimates (1/(R-1) for the bootstrap, as R ``survey``).
    responses : the validated responses the design was built from (carries the instrument).
    steps : a record of the weighting steps applied, for the report's methodology sheet.
    """

    data: pd.DataFrame
    weights: np.ndarray
    strata: np.ndarray | None = None
    psu: np.ndarray | None = None
    fpc: np.ndarray | None = None
    replicate_weights: np.ndarray | None = None
    replicate_type: str | None = None
    replicate_scale: float = 1.0
    responses: Responses | None = None
    steps: tuple = field(default_factory=tuple)

    def __post_init__(self) -> None:
        n = len(self.data)
        w = np.asarray(self.weights, dtype=float)
        if w.shape != (n,):
            raise WeightingError(f"weights have shape {w.shape}; expected ({n},), one per respondent")
        if not np.all(np.isfinite(w)) or (w < 0).any():
            bad = int(np.flatnonzero(~np.isfinite(w) | (w < 0))[0])
            raise WeightingError(
                f"weights must be finite and non-negative; respondent at position {bad} has {w[bad]}"
            )
        if self.replicate_weights is not None and self.replicate_weights.shape[0] != n:
            raise WeightingError(
                f"replicate weights have {self.replicate_weights.shape[0]} rows; expected {n}"
            )
        object.__setattr__(self, "weights", w)
        for a in (self.weights, self.strata, self.psu, self.fpc, self.replicate_weights):
            if a is not None:
                a.setflags(write=False)

    @property
    def n(self) -> int:
        """Number of respondents."""
        return len(self.data)

    @property
    def n_replicates(self) -> int:
        """Number of replicate weight columns (0 without replicates)."""
        return 0 if self.replicate_weights is None else self.replicate_weights.shape[1]

    def all_weights(self) -> np.ndarray:
        """The analysis weights followed by the replicate weights, shape (n, 1 + R)."""
        if self.replicate_weights is None:
            return self.weights[:, None]
        return np.column_stack([self.weights, self.replicate_weights])

    def with_weights(self, weights: np.ndarray, replicate_weights: np.ndarray | None = None,
                     step: dict | None = None) -> SurveyDesign:
        """A copy with new weights (and replicate weights), recording ``step``."""
        steps = self.steps + ((step,) if step else ())
        rep = self.replicate_weights if replicate_weights is None else replicate_weights
        return replace(self, weights=np.asarray(weights, float), replicate_weights=rep, steps=steps)

    # Weighting verbs, so a design reads as a pipeline: design.rake(...).trim(...)
    def rake(self, margins, by: str | None = "country", **kwargs) -> SurveyDesign:
        """Rake to population margins; see :func:`surveyindex.design.rake`."""
        from .rake import rake

        return rake(self, margins, by=by, **kwargs)

    def with_replicates(self, method: str = "bootstrap", n: int = 200, seed: int | None = None
                        ) -> SurveyDesign:
        """Add replicate weights; see :func:`surveyindex.design.bootstrap_replicates`."""
        from .replicates import bootstrap_replicates

        if method != "bootstrap":
            raise WeightingError(f"replicate method {method!r} is not available; use 'bootstrap'")
        return bootstrap_replicates(self, n=n, seed=seed)

    def diagnostics(self, by: str | None = "country") -> pd.DataFrame:
        """Weighting diagnostics per group; see :func:`surveyindex.design.weight_diagnostics`."""
        from .diagnostics import weight_diagnostics

        return weight_diagnostics(self, by=by)


def make_design(responses: Responses | pd.DataFrame, weights: str | np.ndarray | None = None,
                strata: str | None = "country", psu: str | None = None,
                fpc: str | None = None) -> SurveyDesign:
    """Build a design from validated responses (or a respondent DataFrame).

    ``weights`` is a column name, an array, or None for the file's weight column if the instrument
    names one, else equal weights of 1 (design weights of a self-weighting sample). ``strata``
    defaults to the country: each country's sample is drawn independently. ``psu`` and ``fpc`` name
    the cluster and finite-population-correction columns, as in R ``svydesign(ids=, fpc=)``.

    >>> import surveyindex as si
    >>> inst = si.load_instrument("softpower")
    >>> r = si.read_responses(si.sample_paths()["responses"], inst)
    >>> d = si.make_design(r)
    >>> d.n == r.n, float(d.weights.sum()) == r.n
    (True, True)
    """
    resp = responses if not isinstance(responses, pd.DataFrame) else None
    data = responses.respondents if resp is not None else responses.reset_index(drop=True)
    n = len(data)
    if weights is None:
        w = data["weight"].to_numpy(float) if "weight" in data.columns else np.ones(n)
    elif isinstance(weights, str):
        if weights not in data.columns:
            raise WeightingError(f"weight column {weights!r} not found; columns: {list(data.columns)}")
        w = pd.to_numeric(data[weights], errors="coerce").to_numpy(float)
    else:
        w = np.asarray(weights, float)
    return SurveyDesign(
        data=data, weights=w,
        strata=_codes(data, strata), psu=_codes(data, psu), responses=resp,
        fpc=None if fpc is None else _numeric(data, fpc),
        steps=({"step": "design", "weights": weights if isinstance(weights, str) else
                ("file" if weights is None and "weight" in data.columns else
                 "equal" if weights is None else "array"),
                "strata": strata, "psu": psu},),
    )


def _codes(data: pd.DataFrame, column: str | None) -> np.ndarray | None:
    if column is None:
        return None
    if column not in data.columns:
        raise WeightingError(f"design column {column!r} not found; columns: {list(data.columns)}")
    codes, _ = pd.factorize(data[column], sort=True)
    if (codes < 0).any():
        raise WeightingError(f"design column {column!r} has missing values")
    return codes


def _numeric(data: pd.DataFrame, column: str) -> np.ndarray:
    if column not in data.columns:
        raise WeightingError(f"design column {column!r} not found; columns: {list(data.columns)}")
    x = pd.to_numeric(data[column], errors="coerce").to_numpy(float)
    if np.isnan(x).any() or (x <= 0).any():
        raise WeightingError(f"design column {column!r} must be positive numbers throughout")
    return x
