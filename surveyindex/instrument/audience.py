"""Evaluate the instrument's named audiences on respondent data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InstrumentError
from .schema import Condition, Instrument


def audience_mask(instrument: Instrument, respondents: pd.DataFrame, name: str) -> np.ndarray:
    """Boolean array: which respondents belong to audience ``name``.

    ``"all"`` is always defined. The conditions of ``filter`` combine with AND, then the
    audiences named in ``all_of`` (AND) and ``any_of`` (OR of them) apply; a respondent whose value
    for a filter variable is missing is outside the audience.

    >>> import pandas as pd, surveyindex as si
    >>> inst = si.load_instrument("softpower")
    >>> df = pd.DataFrame({"country": ["BRA", "NGA", "BRA"], "age": [20, 20, 50]})
    >>> audience_mask(inst, df, "g20_youth").tolist()
    [True, False, False]
    """
    n = len(respondents)
    if name == "all" and "all" not in instrument.audiences:
        return np.ones(n, dtype=bool)
    if name not in instrument.audiences:
        known = sorted(set(instrument.audiences) | {"all"})
        raise InstrumentError(f"audience {name!r} is not defined in the instrument (defined: {known})")
    aud = instrument.audiences[name]
    mask = np.ones(n, dtype=bool)
    for var, cond in aud.filter.items():
        if var not in respondents.columns:
            raise InstrumentError(
                f"audiences.{name} filters on {var!r}, but the responses have no such column"
            )
        mask &= _condition(instrument, respondents[var], cond)
    for other in aud.all_of:
        mask &= audience_mask(instrument, respondents, other)
    if aud.any_of:
        mask &= np.logical_or.reduce([audience_mask(instrument, respondents, o) for o in aud.any_of])
    return mask


def _condition(instrument: Instrument, col: pd.Series, cond: Condition) -> np.ndarray:
    ok = col.notna().to_numpy().copy()
    if cond.min is not None or cond.max is not None:
        x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
        ok &= ~np.isnan(x)
        if cond.min is not None:
            ok &= x >= cond.min
        if cond.max is not None:
            ok &= x <= cond.max
    for values, keep in ((cond.in_, True), (cond.not_in, False)):
        if values is None:
            continue
        if isinstance(values, str):
            values = instrument.country_groups[values]
        hit = _isin(col, values)
        ok &= hit if keep else ~hit
    return ok


def _isin(col: pd.Series, values: list) -> np.ndarray:
    """Membership that treats the code 3 given as 3, 3.0 or "3" alike."""
    numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
    if numbers.notna().all():
        x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
        return np.isin(x, numbers.to_numpy(dtype=float))
    return col.astype(str).str.strip().isin([str(v) for v in values]).to_numpy()
