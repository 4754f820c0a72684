"""Evaluate the instrument's named audiences on respondent data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InstrumentError
from .schema import Instrument


def audience_mask(instrument: Instrument, respondents: pd.DataFrame, name: str) -> np.ndarray:
    """Boolean array: which respondents belong to audience ``name``.

    ``"all"`` is always defined. Conditions combine with AND; a respondent whose value for a filter
    variable is missing is outside the audience.

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
    mask = np.ones(n, dtype=bool)
    for var, cond in instrument.audiences[name].filter.items():
        if var not in respondents.columns:
            raise InstrumentError(
                f"audiences.{name} filters on {var!r}, but the responses have no such column"
            )
        col = respondents[var]
        if cond.min is not None or cond.max is not None:
            x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
            ok = ~np.isnan(x)
            if cond.min is not None:
                ok &= x >= cond.min
            if cond.max is not None:
                ok &= x <= cond.max
            mask &= ok
        if cond.in_ is not None:
            allowed = cond.in_
            if isinstance(allowed, str):
                allowed = instrument.country_groups[allowed]
            mask &= col.astype(str).isin([str(a) for a in allowed]).to_numpy()
    return mask
