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

LONELY_PSU = ("fail", "certainty", "remove", "adjust", "average")


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
    replicate_rscales : per-replicate multipliers of the squared deviations (JKn: the
        ``(n_h - 1) / n_h`` of the dropped unit's stratum), or None for all ones.
    replicate_mse : centre replicate deviations on the full-sample estimate (True) or on the mean
        of the replicates (False, R ``survey``'s default).
    lonely_psu : what a stratum with a single PSU does to a Taylor variance, as R's
        ``options(survey.lonely.psu=)``: ``"fail"`` (an error naming the stratum, the default),
        ``"certainty"`` or ``"remove"`` (it contributes nothing), ``"adjust"`` (its PSU total
        is a deviation from zero), ``"average"`` (the other strata's variance is scaled up).
    stages, stage_fpc : cluster ids of the second and later sampling stages and their population
        sizes (multi-stage designs, as ``svydesign(id=~psu+ssu, fpc=~N1+N2)``); the later stages
        add to the variance only when the first stage has an fpc, as in R.
    calibration : the linearisation adjustments of weighting steps (post-stratification, raking,
        GREG calibration), applied to influence values before the Taylor variance so that the
        standard errors of a weighted design are R's.

    Replicate weights may be a dense array or a compact
    :class:`~surveyindex.design.repweights.FactorReplicates`; ``np.asarray`` materialises either.
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
    replicate_rscales: np.ndarray | None = None
    replicate_mse: bool = False
    lonely_psu: str = "fail"
    stages: tuple = ()
    stage_fpc: tuple = ()
    calibration: tuple = ()

    def __post_init__(self) -> None:
        n = len(self.data)
        w = np.asarray(self.weights, dtype=float)
        if w.shape != (n,):
            raise WeightingError(f"weights have shape {w.shape}; expected ({n},), one per respondent")
        if not np.all(np.isfinite(w)) or (w < 0).any():
            bad = int(np.flatnonzero(~np.isfinite(w) | (w < 0))[0])
            who = (f"respondent {self.data['resp_id'].iloc[bad]}" if "resp_id" in self.data.columns
                   else f"respondent number {bad + 1}")
            raise WeightingError(f"weights must be finite and non-negative; {who} has {w[bad]}")
        if self.replicate_weights is not None and self.replicate_weights.shape[0] != n:
            raise WeightingError(
                f"replicate weights have {self.replicate_weights.shape[0]} rows; expected {n}"
            )
        if self.lonely_psu not in LONELY_PSU:
            raise WeightingError(f"lonely_psu must be one of {list(LONELY_PSU)}, "
                                 f"not {self.lonely_psu!r}")
        object.__setattr__(self, "weights", w)
        for a in (self.weights, self.strata, self.psu, self.fpc, self.replicate_weights):
            if isinstance(a, np.ndarray):
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
        return np.column_stack([self.weights, np.asarray(self.replicate_weights)])

    def with_weights(self, weights: np.ndarray, replicate_weights: np.ndarray | None = None,
                     step: dict | None = None, calibration=None, **changes) -> SurveyDesign:
        """A copy with new weights (and replicate weights), recording ``step``.

        ``calibration`` is the linearisation adjustment of the weighting step, appended to
        :attr:`calibration`; other keyword arguments replace fields.
        """
        steps = self.steps + ((step,) if step else ())
        rep = self.replicate_weights if replicate_weights is None else replicate_weights
        cal = self.calibration + ((calibration,) if calibration is not None else ())
        return replace(self, weights=np.asarray(weights, float), replicate_weights=rep,
                       steps=steps, calibration=cal, **changes)

    # Weighting verbs, so a design reads as a pipeline: design.rake(...).trim(...)
    def rake(self, margins, by: str | None = "country", **kwargs) -> SurveyDesign:
        """Rake to population margins; see :func:`surveyindex.design.rake`."""
        from .rake import rake

        return rake(self, margins, by=by, **kwargs)

    def with_replicates(self, method: str = "bootstrap", n: int = 200, seed: int | None = None,
                        **kwargs) -> SurveyDesign:
        """Add replicate weights; see :func:`surveyindex.design.replicate_design`."""
        from .replicates import replicate_design

        return replicate_design(self, method, n=n, seed=seed, **kwargs)

    def poststratify(self, population, variables=None, by: str | None = None, **kwargs
                     ) -> SurveyDesign:
        """Post-stratify; see :func:`surveyindex.design.poststratify`."""
        from .poststratify import poststratify

        return poststratify(self, population, variables, by=by, **kwargs)

    def calibrate(self, formula_or_columns=None, population=None, by: str | None = None,
                  **kwargs) -> SurveyDesign:
        """Calibrate to population totals (linear, raking or logit distance, bounds); see
        :func:`surveyindex.design.calibrate`."""
        from .calibrate import calibrate

        return calibrate(self, formula_or_columns, population, by=by, **kwargs)

    def trim(self, upper: float = np.inf, lower: float = -np.inf, **kwargs) -> SurveyDesign:
        """Trim weights with redistribution; see :func:`surveyindex.design.trim`."""
        from .trim import trim

        return trim(self, upper=upper, lower=lower, **kwargs)

    def diagnostics(self, by: str | None = "country") -> pd.DataFrame:
        """Weighting diagnostics per group; see :func:`surveyindex.design.weight_diagnostics`."""
        from .diagnostics import weight_diagnostics

        return weight_diagnostics(self, by=by)

    def _facts(self) -> list[tuple[str, object]]:
        first = self.steps[0] if self.steps else {}

        def col(name, codes):
            if codes is None:
                return "none"
            label = first.get(name)
            label = label if isinstance(label, str) else "+".join(map(str, label or [])) or "array"
            return f"{label} ({len(np.unique(codes))})"
        strata = col("strata", self.strata)
        if first.get("strata_from") == "instrument weighting.by":
            strata += ", the instrument's default (strata=None for none)"
        w = self.weights
        kish = len(w) * float((w ** 2).sum()) / float(w.sum()) ** 2 if w.sum() > 0 else np.nan
        facts = [("n", self.n), ("weights", f"sum {w.sum():.6g}, range {w.min():.4g}-"
                                            f"{w.max():.4g}, Kish deff {kish:.3g}"),
                 ("strata", strata), ("psu", col("psu", self.psu)),
                 ("fpc", "none" if self.fpc is None else first.get("fpc") or "array")]
        if self.stages:
            facts.append(("later stages", len(self.stages)))
        facts.append(("replicates", f"{self.n_replicates} {self.replicate_type}"
                      if self.n_replicates else "none"))
        steps = [s.get("step", "?") for s in self.steps]
        facts.append(("steps", " > ".join(steps)))
        return facts

    def __repr__(self) -> str:
        from ..display import short

        return short("SurveyDesign", [(k, v) for k, v in self._facts() if k != "weights"])

    def _repr_html_(self) -> str:
        from ..display import card

        return card("Survey design", self._facts(),
                    note=".weights, .data, .steps, .diagnostics(); estimates: "
                         "si.estimate_means(design, 'column')")


class _InstrumentDefault:
    """The ``strata`` default: none for a DataFrame; the instrument's ``weighting.by`` (the
    country) for responses read with an instrument."""

    def __repr__(self) -> str:
        return "<instrument default>"


INSTRUMENT_DEFAULT = _InstrumentDefault()


def make_design(responses: Responses | pd.DataFrame, weights: str | np.ndarray | None = None,
                strata: str | None = INSTRUMENT_DEFAULT, psu: str | list[str] | None = None,
                fpc: str | list[str] | None = None, *, lonely_psu: str = "fail",
                replicate_weights: list[str] | np.ndarray | None = None,
                replicate_type: str = "supplied", replicate_scale: float = 1.0,
                replicate_rscales=None, replicate_mse: bool = False) -> SurveyDesign:
    """Build a design from validated responses (or a respondent DataFrame).

    Parameters
    ----------
    weights : a column name, an array, or None: the file's ``weight`` column if there is one;
        else, with ``fpc``, the inverse sampling fractions (as R ``svydesign`` without
        ``weights=``); else 1 for everyone (a self-weighting sample).
    strata : the stratum column, or None for one stratum. By default a DataFrame has no
        strata (as ``svydesign(ids=~1)``), and responses read with an instrument take the
        instrument's ``weighting.by`` (the country: each country sampled independently); the
        design's repr and ``steps[0]["strata_from"]`` say where the strata came from.
    Any column of the data can be named for weights, strata, PSUs and fpc.
    psu : the cluster column, or a list of them for a multi-stage design (``svydesign(id=~a+b)``).
    fpc : the finite population correction column (population count of PSUs in the stratum, or
        the sampling fraction when at most 1), or one per stage, as ``svydesign(fpc=)``.
    lonely_psu : single-PSU strata, see :class:`SurveyDesign`.
    replicate_weights : replicate weight columns supplied in the data (or an (n, R) array), with
        ``replicate_scale``, ``replicate_rscales`` and ``replicate_mse`` as R
        ``svrepdesign(scale=, rscales=, mse=)`` takes them. They are used as analysis weights
        (R's ``combined.weights=TRUE``).

    >>> import surveyindex as si
    >>> inst = si.load_instrument("softpower")
    >>> r = si.read_responses(si.sample_paths()["responses"], inst)
    >>> d = si.make_design(r)
    >>> d.n == r.n, float(d.weights.sum()) == r.n, d.steps[0]["strata_from"]
    (True, True, 'instrument weighting.by')
    >>> import pandas as pd
    >>> si.make_design(pd.DataFrame({"pw": [2.0, 4.0]}), weights="pw").strata is None
    True
    """
    if not isinstance(responses, pd.DataFrame) and not hasattr(responses, "respondents"):
        got = "None" if responses is None else f"a {type(responses).__name__}"
        raise WeightingError("make_design takes Responses (si.read_responses(...)) or a DataFrame, "
                             f"not {got}")
    resp = responses if not isinstance(responses, pd.DataFrame) else None
    data = responses.respondents if resp is not None else responses.reset_index(drop=True)
    strata_from = "argument"
    if strata is INSTRUMENT_DEFAULT:
        inst = getattr(resp, "instrument", None)
        by = getattr(getattr(inst, "weighting", None), "by", None)
        strata = by if by is not None and by in data.columns else None
        strata_from = "instrument weighting.by" if strata is not None else "none (default)"
    n = len(data)
    ids = [psu] if isinstance(psu, str) or psu is None else list(psu)
    fpcs = [fpc] if isinstance(fpc, str) or fpc is None else list(fpc)
    strata_codes = _codes(data, strata)
    id_codes = [_codes(data, c) for c in ids]
    fpc_values = [None if c is None else _numeric(data, c) for c in fpcs]
    if weights is None:
        if "weight" in data.columns:
            w = data["weight"].to_numpy(float)
        elif fpc_values[0] is not None:
            w = _weights_from_fpc(strata_codes, id_codes, fpc_values, n)
        else:
            w = np.ones(n)
    elif isinstance(weights, str):
        if weights not in data.columns:
            raise WeightingError(f"weight column {weights!r} not found; columns: {list(data.columns)}")
        w = pd.to_numeric(data[weights], errors="coerce").to_numpy(float)
        bad = ~np.isfinite(w) | (w < 0)
        if bad.any():  # name the column and quote the cell as it was (not "has nan")
            i = int(np.flatnonzero(bad)[0])
            who = f"respondent {data['resp_id'].iloc[i]}" if "resp_id" in data.columns else \
                f"respondent number {i + 1}"
            cell = data[weights].iloc[i]
            raise WeightingError(f"weight column {weights!r}: {who} has "
                                 f"{'a blank' if pd.isna(cell) else repr(cell)}, expected a "
                                 f"non-negative number ({int(bad.sum())} such respondent(s))")
    else:
        w = np.asarray(weights, float)
    rep = None
    if replicate_weights is not None:
        if isinstance(replicate_weights, (list, tuple)):
            missing = [c for c in replicate_weights if c not in data.columns]
            if missing:
                raise WeightingError(f"replicate weight column(s) {missing} not found; "
                                     f"columns: {list(data.columns)}")
            rep = data[list(replicate_weights)].apply(pd.to_numeric, errors="coerce").to_numpy(
                float, na_value=np.nan)
        else:
            rep = np.asarray(replicate_weights, float)
        if np.isnan(rep).any() or (rep < 0).any():
            raise WeightingError("replicate weights must be non-negative numbers throughout")
    return SurveyDesign(
        data=data, weights=w,
        strata=strata_codes, psu=id_codes[0], responses=resp, fpc=fpc_values[0],
        stages=tuple(id_codes[1:]), stage_fpc=tuple(fpc_values[1:]), lonely_psu=lonely_psu,
        replicate_weights=rep, replicate_type=None if rep is None else replicate_type,
        replicate_scale=replicate_scale, replicate_mse=replicate_mse,
        replicate_rscales=None if replicate_rscales is None else np.asarray(replicate_rscales, float),
        steps=({"step": "design", "weights": weights if isinstance(weights, str) else
                ("file" if weights is None and "weight" in data.columns else
                 "equal" if weights is None else "array"),
                "strata": strata, "strata_from": strata_from, "psu": psu, "fpc": fpc},),
    )


def _weights_from_fpc(strata, ids, fpcs, n) -> np.ndarray:
    """Inverse selection probabilities from the fpc of each stage, as R ``svydesign`` does."""
    w = np.ones(n)
    outer = strata if strata is not None else np.zeros(n, dtype=np.int64)
    for k, f in enumerate(fpcs):
        if f is None:
            break
        unit = ids[k] if k < len(ids) and ids[k] is not None else np.arange(n)
        # Units sampled at this stage within each stratum (first stage) or parent cluster.
        key = np.unique(np.column_stack([outer, unit]), axis=0, return_inverse=True)[1].ravel()
        first_unit = np.unique(key, return_index=True)[1]
        per_parent = np.bincount(outer[first_unit], minlength=int(outer.max()) + 1)
        n_k = per_parent[outer]
        frac = np.where(f <= 1, f, n_k / f)
        w = w / frac
        outer = np.unique(np.column_stack([outer, unit]), axis=0, return_inverse=True)[1].ravel()
    return w


def _codes(data: pd.DataFrame, column: str | None) -> np.ndarray | None:
    if column is None:
        return None
    if column not in data.columns:
        raise WeightingError(f"design column {column!r} not found; columns: {list(data.columns)}")
    codes, _ = pd.factorize(data[column], sort=True)
    if (codes < 0).any():
        blank = np.flatnonzero(codes < 0)
        who = (f"respondent {data['resp_id'].iloc[blank[0]]}" if "resp_id" in data.columns
               else f"respondent number {blank[0] + 1}")
        raise WeightingError(f"design column {column!r} has missing values ({who}"
                             f"{f' and {len(blank) - 1} more' if len(blank) > 1 else ''}); every "
                             "respondent needs one")
    return codes


def _numeric(data: pd.DataFrame, column: str) -> np.ndarray:
    if column not in data.columns:
        raise WeightingError(f"design column {column!r} not found; columns: {list(data.columns)}")
    x = pd.to_numeric(data[column], errors="coerce").to_numpy(float)
    if np.isnan(x).any() or (x <= 0).any():
        raise WeightingError(f"design column {column!r} must be positive numbers throughout")
    return x
