"""What estimators accept: column names, lists of names, DataFrames, Series or arrays; and
the ``df=`` argument (a number, ``"design"`` for R's ``degf``, or infinite).

A categorical column (text, ``category`` dtype) becomes one 0/1 indicator per category, named
``"column=category"``, so its mean is the proportion in each category (R ``svymean(~factor)``)
and its total the estimated count (``svytotal(~factor)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..design import SurveyDesign
from ..errors import EstimationError, require
from .variance import degrees_of_freedom


def _item_hint(design, names) -> str:
    """Item columns (``USA_mor1``) are answers, not respondent columns: say how to pass them."""
    resp = design.responses
    if resp is None:
        return ""
    inst = resp.instrument
    items = {inst.column(t, i) for t in inst.target_codes for i in inst.item_ids}
    found = [n for n in names if n in items]
    if not found:
        return ""
    return (f". {found[0]!r} is an item: pass the answers, e.g. "
            f"design.responses.to_frame(wide=True)[{found!r}] (recoded, in the design's row order)")


def resolve_values(design, values, numeric_only: str | None = None):
    """The variables to estimate, as a numeric DataFrame (or array) aligned with the design.

    A text or ``category`` column becomes its category indicators (R's factor), unless
    ``numeric_only`` names the estimator that needs numbers: then it is an error.

    >>> import pandas as pd, surveyindex as si
    >>> d = si.make_design(pd.DataFrame({"y": [1.0, 2.0, 3.0], "g": ["b", "a", None]}))
    >>> resolve_values(d, ["y", "g"]).columns.tolist()
    ['y', 'g=a', 'g=b']
    >>> resolve_values(d, "g")["g=a"].tolist()
    [0.0, 1.0, nan]
    """
    require(design, SurveyDesign, "design", "a SurveyDesign (si.make_design(...))", EstimationError)
    if isinstance(values, str):
        values = [values]
    if isinstance(values, (list, tuple)) and values and all(isinstance(v, str) for v in values):
        missing = [v for v in values if v not in design.data.columns]
        if missing:
            raise EstimationError(f"column(s) {missing} not in the design's data; columns: "
                                  f"{list(design.data.columns)}{_item_hint(design, missing)}")
        values = design.data[list(values)]
    if isinstance(values, np.ndarray) and not (np.issubdtype(values.dtype, np.number)
                                               or values.dtype == bool):
        arr = values[:, None] if values.ndim == 1 else values
        values = pd.DataFrame(arr, columns=[f"V{j + 1}" for j in range(arr.shape[1])])
    if isinstance(values, pd.Series):
        values = values.to_frame(name=values.name if values.name is not None else "V1")
    if isinstance(values, pd.DataFrame):
        cats = [str(c) for c in values.columns if is_categorical(values[c])]
        if numeric_only and cats:
            raise EstimationError(f"{numeric_only} need numeric variables; {cats} are text or "
                                  "categorical (for their shares use si.estimate_means or "
                                  "si.estimate_proportions)")
        return expand_categories(values)
    if not isinstance(values, (np.ndarray, list, tuple)):
        raise EstimationError("the variables must be a column name, a list of names, a DataFrame, a "
                              f"Series or an array, not {values!r}")
    return values


def is_categorical(s: pd.Series) -> bool:
    """Text or ``category`` columns are categorical; numbers and booleans are not."""
    return isinstance(s.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))


def expand_categories(frame: pd.DataFrame) -> pd.DataFrame:
    """Each categorical column replaced by its category indicators (NaN where missing); the
    categories in their ``category`` order, else sorted, as R orders factor levels."""
    if not any(is_categorical(frame[c]) for c in frame.columns):
        return frame
    parts = []
    for col in frame.columns:
        s = frame[col]
        if not is_categorical(s):
            parts.append(s.astype(float).rename(str(col)))
            continue
        cats = (list(s.cat.categories) if isinstance(s.dtype, pd.CategoricalDtype)
                else sorted(s.dropna().unique(), key=str))
        for c in cats:
            parts.append((s == c).astype(float).where(s.notna()).rename(f"{col}={c}"))
    return pd.concat(parts, axis=1)


def category_labels(design, names: list[str]) -> dict[str, str] | None:
    """Labels of ``"column=code"`` variables whose column is a categorical demographic of the
    design's instrument (``gender=2`` -> ``"Female"``), or None when there are none.

    >>> import surveyindex as si
    >>> r = si.read_responses(si.sample_paths()["responses"], si.load_instrument("softpower"))
    >>> category_labels(si.make_design(r), ["age", "gender=1", "gender=2"])
    {'gender=1': 'Male', 'gender=2': 'Female'}
    """
    inst = getattr(design.responses, "instrument", None)
    if inst is None:
        return None
    out = {}
    for name in names:
        col, sep, code = name.partition("=")
        demo = inst.demographics.get(col) if sep else None
        codes = getattr(demo, "codes", None) or {}
        label = codes.get(int(code)) if code.lstrip("-").isdigit() else None
        if label is not None:
            out[name] = label
    return out or None


def resolve_df(design, df, default="inf") -> float | None:
    """``df=`` as a number: ``"design"`` is R's ``degf(design)``; ``"inf"``, ``np.inf`` (or
    None when the default is ``"inf"``) the normal quantile, returned as None.

    >>> import pandas as pd, surveyindex as si
    >>> d = si.make_design(pd.DataFrame({"s": list("AABBB")}), strata="s")
    >>> resolve_df(d, "design"), resolve_df(d, 10), resolve_df(d, None)
    (3.0, 10.0, None)
    """
    df = default if df is None else df
    if isinstance(df, str):
        if df == "design":
            return float(degrees_of_freedom(design))
        if df in ("inf", "normal"):
            return None
        raise EstimationError(f"df must be a number, 'design' (R's degf) or 'inf', not {df!r}")
    try:
        value = float(df)
    except (TypeError, ValueError):
        raise EstimationError(f"df must be a number, 'design' (R's degf) or 'inf', not {df!r}"
                              ) from None
    if not value > 0:
        raise EstimationError(f"df must be positive, not {df!r}")
    return None if np.isinf(value) else value
