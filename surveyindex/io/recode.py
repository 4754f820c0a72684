"""Answers to codes: numbers, label text, and the missing values a file declares.

An answer may arrive as a code (``4``, ``"4"``, ``4.0``), as its label (``"Agree"``, ``" agree "``,
``"Don’t know"``), or as a value the SPSS/Stata file declares missing. Each cell gets a code (or
NaN) and a kind: valid, blank, don't know, refused or invalid.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re

import numpy as np
import pandas as pd

# re-exported for the io modules; the kinds are the instrument's
from ..instrument import BLANK, DONT_KNOW, INVALID, REFUSED, VALID  # noqa: F401

_SPACE = re.compile(r"\s+")
# Typed cells (Parquet/Arrow, Stata, a pandas frame) that a float() would silently turn into a code:
# True is 1, and a date is a count of nanoseconds.
_ODD = {"boolean": (bool, np.bool_), "date or time": (dt.date, dt.time, np.datetime64),
        "duration": (dt.timedelta, np.timedelta64)}
_PLAIN = frozenset({"string", "empty", "integer", "floating", "mixed-integer-float", "decimal",
                    "bytes"})


def odd_cells(col: pd.Series) -> np.ndarray:
    """Cells holding a boolean, a date/time or a duration where a code or a number is expected.

    The common case (text or numbers) is decided from the column's type alone, without a pass
    over the cells.

    >>> odd_cells(pd.Series([1, True, "2", pd.Timestamp("2020-01-01"), None], dtype=object)).tolist()
    [False, True, False, True, False]
    """
    if pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_datetime64_any_dtype(col.dtype) \
            or pd.api.types.is_timedelta64_dtype(col.dtype):
        return col.notna().to_numpy()
    if col.dtype != object or pd.api.types.infer_dtype(col, skipna=True) in _PLAIN:
        return np.zeros(len(col), dtype=bool)
    odd = tuple(t for group in _ODD.values() for t in group)
    return np.fromiter((isinstance(v, odd) for v in col.to_numpy(object)), dtype=bool,
                       count=len(col))


def odd_type(value) -> str:
    """What a typed cell is, in words: 'boolean', 'date or time' or 'duration'.

    >>> odd_type(True), odd_type(pd.Timestamp("2020-01-01"))
    ('boolean', 'date or time')
    """
    for name, types in _ODD.items():
        if isinstance(value, types):
            return name
    return type(value).__name__


def normalise(text: pd.Series | str):
    """Label text as compared: case-folded, curly quotes made straight, spaces collapsed.

    >>> normalise("  Don’t   KNOW. ")
    "don't know"
    """
    if isinstance(text, str):
        return _SPACE.sub(" ", text.replace("’", "'").replace("‘", "'")).strip().rstrip(".").casefold()
    s = text.astype(str).str.replace("[’‘]", "'", regex=True)
    return s.str.replace(_SPACE, " ", regex=True).str.strip().str.rstrip(".").str.casefold()


def missing_kind_of(label: str) -> int:
    """DONT_KNOW or REFUSED for a missing code's label (refusals say so; anything else is DK).

    >>> missing_kind_of("Refused") == REFUSED, missing_kind_of("No answer") == DONT_KNOW
    (True, True)
    """
    return REFUSED if "refus" in label.casefold() else DONT_KNOW


def per_value(col: pd.Series, fn, *args):
    """``fn(col, *args)`` for a long object column of text with repeated values, worked out
    once per distinct value and spread to the cells (``fn`` must work cell by cell and return arrays, or a tuple of
    them); None for any other column. A missing cell is passed on as one NaN value, so ``fn``
    sees the same set of values as in the column.

    >>> per_value(pd.Series(["2", None, "2"] * 1000, dtype=object), to_number)[:3].tolist()
    [2.0, nan, 2.0]
    """
    if col.dtype != object or len(col) <= _PER_VALUE_MIN \
            or pd.api.types.infer_dtype(col, skipna=True) != "string":
        return None
    where, uniques = pd.factorize(col, use_na_sentinel=True)
    if len(uniques) > len(col) // 2:  # mostly distinct: no gain (and fn's own column)
        return None
    values = np.asarray(uniques, dtype=object)
    if (where < 0).any():
        values = np.append(values, np.nan)
        where = np.where(where < 0, len(uniques), where)
    out = fn(pd.Series(values, dtype=object), *args)
    return tuple(a[where] for a in out) if isinstance(out, tuple) else out[where]


#: Shorter columns are converted cell by cell (factorising would not pay).
_PER_VALUE_MIN = 1000


def to_number(col: pd.Series, decimal: str = ".") -> np.ndarray:
    """Cells as floats; text that is not a number becomes NaN.

    >>> to_number(pd.Series(["3", " 4 ", "2,5", "x", None, True], dtype=object), ",").tolist()
    [3.0, 4.0, 2.5, nan, nan, nan]
    >>> to_number(pd.Series(["2,5", None], dtype="string"), ",").tolist()
    [2.5, nan]
    """
    once = per_value(col, to_number, decimal)  # text: parsed once per distinct value
    if once is not None:
        return once
    odd = odd_cells(col)
    if odd.any():
        col = col.where(~odd, np.nan).astype(object)
    s = col
    if decimal == "," and (col.dtype == object or pd.api.types.is_string_dtype(col.dtype)):
        s = s.map(lambda v: v.replace(",", ".") if isinstance(v, str) else v)
    # to_numeric may return a nullable dtype (string input under pandas 2): NA -> NaN explicitly;
    # a copy, because under copy-on-write the array can be a read-only view and callers write
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)


def codes_from_labels(col: pd.Series, labels: dict[int, str], decimal: str = ".",
                      translations=()):
    """Numbers, with label text replaced by its code; returns (codes, unknown-text mask).

    ``translations`` are more ``{code: label}`` tables (the labels in other languages, as a
    labelled KoboToolbox export in that language writes them); ``labels`` win a clash.
    Booleans and dates are neither numbers nor text: NaN, and not unknown text.

    >>> c, bad = codes_from_labels(pd.Series(["1", " female", "MALE", "other"], dtype=object),
    ...                            {1: "Male", 2: "Female"})
    >>> c.tolist(), bad.tolist()
    ([1.0, 2.0, 1.0, nan], [False, False, False, True])
    """
    once = per_value(col, codes_from_labels, labels, decimal, translations)
    if once is not None:
        return once
    x = to_number(col, decimal)
    text = col.notna().to_numpy() & np.isnan(x)
    if text.any():
        text &= ~odd_cells(col)
    unknown = np.zeros(len(x), dtype=bool)
    if text.any():
        lookup = {normalise(v): float(k) for table in (*translations, labels)
                  for k, v in table.items()}
        found = normalise(col[text]).map(lookup).to_numpy(dtype=float)
        x[text] = found
        unknown[text] = np.isnan(found)
    return x, unknown


def recode_column(col: pd.Series, scale, declared: dict | None = None, decimal: str = ".",
                  known=None):
    """Codes and kinds of one item column on ``scale``.

    Parameters
    ----------
    col : Series
        The cells (numbers, numeric text or label text).
    scale : Scale
        The item's response scale (valid ``min..max``, labels, missing codes).
    declared : dict, optional
        Values the file declares missing, with their labels (from SPSS/Stata metadata).
    decimal : str
        Decimal separator of numeric text.
    known : tuple, optional
        The column's codes and distinct cleaned values when the reader has them
        (:func:`surveyindex.io.readers.known_values`): it is not factorised again.

    Returns
    -------
    codes : ndarray
        The valid codes, NaN elsewhere.
    kind : ndarray of int8
        VALID, BLANK, DONT_KNOW, REFUSED or INVALID per cell.
    unknown_label : ndarray of bool
        Invalid cells holding text that is neither a number nor a label of the scale.

    Examples
    --------
    >>> from surveyindex.instrument import Scale
    >>> sc = Scale(min=1, max=5, labels={4: "Agree"}, missing={8: "Don't know", 9: "Refused"})
    >>> codes, kind, unk = recode_column(pd.Series([4, "agree ", "DON'T KNOW", 9, 7, "yes"]), sc)
    >>> codes.tolist()[:2], kind.tolist(), unk.tolist()
    ([4.0, 4.0], [0, 0, 2, 3, 4, 4], [False, False, False, False, False, True])
    """
    plan = column_plan(col, scale, declared, decimal, known)
    if plan is not None and plan[0] == "text":
        _, where, ux, ukind, uunknown = plan
        return ux[where], ukind[where], uunknown[where]
    return _recode_cells(col, scale, declared, decimal)


def column_plan(col: pd.Series, scale, declared: dict | None = None, decimal: str = ".",
                known=None):
    """How :func:`recode_column` recodes ``col``, in a form a caller can apply to any block of
    rows: ``("number", values)`` for a column of plain numbers (numpy integers or floats, no
    declared missing values), whose kinds follow from the values alone; ``("text", where,
    codes, kinds, unknown)`` for text, decoded and matched once per distinct value, where row
    ``i`` gets ``codes[where[i]]`` (the last entry of each table is the blank cell's); None for
    anything else (mixed cells, booleans, dates, declared missing values on numbers).

    >>> from surveyindex.instrument import Scale
    >>> sc = Scale(min=1, max=5, labels={4: "Agree"}, missing={8: "Don't know"})
    >>> plan = column_plan(pd.Series(["agree", None, "4", "DK?"], dtype=object), sc)
    >>> plan[0], plan[1].tolist(), plan[2].tolist(), plan[3].tolist()
    ('text', [0, 3, 1, 2], [4.0, 4.0, nan, nan], [0, 0, 4, 1])
    >>> column_plan(pd.Series([4.0, 9.0]), sc)[0]
    'number'

    ``known`` is the ``(codes, values)`` factorisation the reader made of the column
    (:func:`surveyindex.io.readers.known_values`), if any: the same plan without a second pass.
    """
    dtype = col.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iuf" and not declared:
        return "number", col.to_numpy()
    if known is not None:
        codes, values = known
        filled = ~pd.isna(values)
        if not filled.any():  # every cell missing: not a text column (as infer_dtype says)
            return None
        # the filled values (a value may repeat: each is recoded alike), the blank cell last
        uniques = values[filled]
        position = np.append(np.where(filled, np.cumsum(filled) - 1, len(uniques)), len(uniques))
        where = position[codes]  # codes -1 (missing as read): the last entry
    elif pd.api.types.is_string_dtype(dtype) and (
            dtype != object or pd.api.types.infer_dtype(col, skipna=True) == "string"):
        # Text is decoded and matched once per distinct value, then spread to the cells.
        where, uniques = pd.factorize(col, use_na_sentinel=True)
        where = np.where(where < 0, len(uniques), where)  # the blank cell: the tables' last entry
    else:
        return None
    ux, ukind, uunknown = _recode_cells(pd.Series(uniques, dtype=dtype), scale, declared, decimal)
    small = np.int8 if len(uniques) < 127 else np.int16 if len(uniques) < 32767 else np.int32
    return ("text", where.astype(small), np.append(ux, np.nan), np.append(ukind, np.int8(BLANK)),
            np.append(uunknown, False))


def recode_block(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, missing) -> np.ndarray:
    """Kinds of plain numbers ``x`` (rows, ..., items), each item on its scale (``lo``, ``hi``
    and the ``missing`` pairs of (codes, kinds) broadcast over the last axis); ``x`` is set to
    NaN in place where the answer is not valid. The same rules as :func:`recode_column`.

    >>> x = np.array([[1.0, 9.0], [2.5, np.nan]])
    >>> recode_block(x, np.array([1, 0]), np.array([5, 10]), []).tolist(), x.tolist()
    ([[0, 0], [4, 1]], [[1.0, 9.0], [nan, nan]])
    """
    kind = np.full(x.shape, INVALID, dtype=np.int8)
    np.copyto(kind, np.int8(VALID), where=(x >= lo) & (x <= hi) & (np.floor(x) == x))
    np.copyto(kind, np.int8(BLANK), where=np.isnan(x))
    for codes, kinds in missing:
        hit = x == codes
        np.copyto(kind, np.broadcast_to(kinds, x.shape), where=hit)
    np.copyto(x, np.nan, where=kind != VALID)
    return kind


def _recode_cells(col: pd.Series, scale, declared, decimal):
    labels = {**scale.labels, **scale.missing}
    x, unknown = codes_from_labels(col, labels, decimal, tuple(scale.translations.values()))
    blank = col.isna().to_numpy()
    kind = np.full(len(x), INVALID, dtype=np.int8)
    kind[(x >= scale.min) & (x <= scale.max) & (np.floor(x) == x)] = VALID
    kind[blank] = BLANK
    for code, label in scale.missing.items():
        kind[x == code] = missing_kind_of(label)
    for value, label in (declared or {}).items():
        if isinstance(value, str):  # Stata's extended missing values .a-.z arrive as letters
            hit = (col == value).to_numpy()
        else:
            hit = x == float(value)
        if not (isinstance(value, (int, float)) and value in scale.missing):
            kind[hit] = missing_kind_of(label or "")
        unknown &= ~hit
    return np.where(kind == VALID, x, np.nan), kind, unknown


def closest_labels(text: str, labels, n: int = 2) -> list[str]:
    """The known labels most like ``text``: same initials ("DK" for "Don't know"), then difflib.

    >>> closest_labels("DK", ["Agree", "Don't know", "Refused"])
    ["Don't know"]
    >>> closest_labels("Agre", ["Strongly agree", "Agree", "Disagree"])
    ['Agree', 'Disagree']
    """
    want = normalise(str(text))
    scored = []
    for label in dict.fromkeys(labels):
        norm = normalise(label)
        initials = "".join(w[0] for w in re.split(r"[^\w']+", norm) if w)
        score = 1.0 if want.replace(".", "") == initials and len(initials) > 1 else \
            difflib.SequenceMatcher(None, want, norm).ratio()
        scored.append((score, label))
    scored.sort(key=lambda p: -p[0])
    good = [label for score, label in scored if score >= 0.6][:n]
    return good or [label for _, label in scored[:1]]
