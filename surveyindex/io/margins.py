"""Population margins files: read them, and name categories by code or by label.

A margins table has the columns ``[country,] variable, category`` and ``proportion`` (or
``count``). Categories may be the codes the respondents table holds (``2``), the instrument's labels
of those codes (``Female``, ``female``: case does not matter) or the labels of a numeric
variable's groups (``18-29``); a category that matches neither is an error naming it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ResponseDataError, WeightingError
from ..instrument import Instrument
from .readers import read_table
from .recode import normalise, to_number
from .validate import cell_text


def read_margins(source) -> pd.DataFrame:
    """The margins table from a file (or a DataFrame, returned as it is).

    The file is read as response files are (:func:`~surveyindex.io.readers.read_table`): CSV in
    UTF-8 or Windows-1252, ``;``-delimited with decimal commas as European Excel writes it, or
    an Excel sheet. A share or count that is not a number is an error naming its line.

    >>> import surveyindex as si
    >>> list(read_margins(si.sample_paths()["margins"]).columns)
    ['country', 'variable', 'category', 'proportion']
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.csv"
    >>> _ = p.write_text("variable;category;proportion\\ngender;1;0,48\\ngender;2;0,52\\n")
    >>> read_margins(p)["proportion"].tolist()
    [0.48, 0.52]
    """
    if isinstance(source, pd.DataFrame):
        return source
    path = Path(source)
    if not path.exists():
        raise WeightingError(f"{path}: margins file not found")
    try:
        raw = read_table(path)
    except ResponseDataError as exc:
        raise WeightingError(f"{path}: cannot read margins ({exc})") from None
    out = {}
    for name, col in raw.frame.items():
        if name == "category" or name in out:
            out.setdefault(name, col.map(cell_text).astype(object))
            continue
        x = to_number(col, raw.decimal)
        text = col.notna().to_numpy() & np.isnan(x)
        if name in _AMOUNTS and text.any():
            i = int(np.flatnonzero(text)[0])
            raise WeightingError(f"{path}: line {raw.first_line + i}: {name} = "
                                 f"{cell_text(col.iloc[i])!r}, expected a number "
                                 f"({int(text.sum())} such cell(s) in column {name!r})")
        out[name] = x if not text.any() else col.to_numpy(object)
    return pd.DataFrame(out)


_AMOUNTS = ("proportion", "count", "Freq", "total")


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
    # Country codes as the responses are read: " arg" is ARG there, so it is ARG here too.
    for var, d in instrument.demographics.items():
        if d.type == "country" and var in out.columns:
            text = out[var].astype(object)
            out[var] = text.where(text.isna(), text.astype(str).str.strip().str.upper())
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
