"""Population margins files: read them, and name categories by code or by label.

A margins table has the columns ``[country,] variable, category`` and ``proportion`` (or
``count``). Categories may be the codes the respondents table holds (``2``), the instrument's labels
of those codes (``Female``, ``female``: case does not matter) or the labels of a numeric
variable's groups (``18-29``); a category that matches neither is an error naming it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import WeightingError
from ..instrument import Instrument
from .recode import normalise


def read_margins(source) -> pd.DataFrame:
    """The margins table from a CSV path (or a DataFrame, returned as it is).

    >>> import surveyindex as si
    >>> list(read_margins(si.sample_paths()["margins"]).columns)
    ['country', 'variable', 'category', 'proportion']
    """
    if isinstance(source, pd.DataFrame):
        return source
    path = Path(source)
    if not path.exists():
        raise WeightingError(f"{path}: margins file not found")
    try:
        return pd.read_csv(path, dtype={"category": str})
    except Exception as exc:  # pandas raises many types; the user needs the file and the cause
        raise WeightingError(f"{path}: cannot read margins ({exc})") from None


def margin_codes(margins: pd.DataFrame, instrument: Instrument, source: str = "margins"
                 ) -> pd.DataFrame:
    """The margins with every category as the respondents table holds it (codes as text).

    Categories of a categorical demographic may be given by code (``2``, ``2.0``) or by label in
    any case (``female``); group labels of a numeric one (``18-29``) in any case. Variables the
    instrument does not know, and numbers that are not codes, are left for the weighting step
    to report.

    >>> import pandas as pd, surveyindex as si
    >>> m = pd.DataFrame({"variable": ["gender", "gender", "age_group"],
    ...                   "category": ["male", "FEMALE", "50+"], "proportion": [.5, .5, 1]})
    >>> margin_codes(m, si.load_instrument("favourability"))["category"].tolist()
    ['1', '2', '50+']
    >>> margin_codes(m.assign(category=["male", "women", "50+"]), si.load_instrument("favourability"))
    Traceback (most recent call last):
    ...
    surveyindex.errors.WeightingError: margins: category 'women' of gender matches no code or label of the instrument (codes and labels: 1 Male, 2 Female)
    """
    if not {"variable", "category"} <= set(margins.columns):
        return margins
    lookup = _categories(instrument)
    out = margins.copy()
    var = out["variable"].astype(str).str.strip()
    cat = out["category"].astype(str).str.strip()
    bad = []
    for v in var.unique():
        if v not in lookup:
            continue
        rows = (var == v).to_numpy()
        table = lookup[v]
        found = normalise(cat[rows]).map(table)
        # A number that is not a code is left for the weighting step, which says whether
        # respondents or only the population fall in it.
        numeric = pd.to_numeric(cat[rows], errors="coerce").notna()
        for c in cat[rows][(found.isna() & ~numeric).to_numpy()].unique():
            bad.append((v, c))
        cat[rows] = found.fillna(cat[rows]).to_numpy()
    if bad:
        shown = "; ".join(f"category {c!r} of {v} matches no code or label of the instrument "
                          f"(codes and labels: {_known(instrument, v)})" for v, c in bad[:5])
        raise WeightingError(f"{source}: {shown}")
    out["category"] = cat.to_numpy()
    return out


def _categories(inst: Instrument) -> dict[str, dict[str, str]]:
    """Variable -> {normalised code or label: the category as the respondents table has it}."""
    out: dict[str, dict[str, str]] = {}
    for name, d in inst.demographics.items():
        if d.type == "categorical":
            table = {}
            for code, label in d.codes.items():
                for text in (str(code), f"{code}.0", label,
                             *(t.codes[code] for t in d.translations.values() if code in t.codes)):
                    table.setdefault(normalise(text), str(code))
            out[name] = table
        if d.groups is not None:
            out[d.groups.name] = {normalise(g): g for g in d.groups.labels}
    return out


def _known(inst: Instrument, var: str) -> str:
    d = inst.demographics.get(var)
    if d is not None and d.codes:
        return ", ".join(f"{k} {v}" for k, v in d.codes.items())
    groups = next((x.groups.labels for x in inst.demographics.values()
                   if x.groups is not None and x.groups.name == var), [])
    return ", ".join(groups)
