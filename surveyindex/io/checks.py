"""Checks on a response frame that already has the instrument's column names.

Each check records its findings in an :class:`~surveyindex.io.validate.Issues` collector with
the action taken; none of them raises, so one read reports every problem at once.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

import pycountry

from .._threads import run_parallel
from ..instrument import Instrument
from .exports import country_codes
from .readers import RawTable, known_values
from .recode import (
    BLANK,
    INVALID,
    closest_labels,
    codes_from_labels,
    column_plan,
    missing_kind_of,
    odd_cells,
    odd_type,
    recode_block,
    recode_column,
    to_number,
)
from .validate import ERROR, EXCLUDED, NOTE, SET_MISSING, Issues, cell_text

_ISO3 = frozenset(c.alpha_3 for c in pycountry.countries)


def _no_names(col: pd.Series) -> bool:
    """True when no cell of a long text column is a country name (each distinct value looked
    up once, as :func:`country_codes` looks up every cell); False when some is, or when the
    column is not one to decide this way."""
    if col.dtype != object or len(col) <= 1000:
        return False
    where, uniques = pd.factorize(col, use_na_sentinel=True)
    if len(uniques) > len(col) // 2:
        return False
    values = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    return not (country_codes(values) != values).any()


def _country_names(col: pd.Series, var: str, issues: Issues, read: bool, labels=None):
    """Country names (Pew's ``sta`` as text, or the value labels of a SPSS/Stata country
    variable's codes), and which rows have one. Read as ISO codes when asked, each distinct name
    noted in the report and warned about once; else left to be excluded, with a warning saying
    how to read them."""
    source = col
    if not labels and _no_names(col):
        return col, np.zeros(len(col), dtype=bool)
    if labels:  # the codes' labels, matched as text: 5, 5.0 and "5" are the same code
        lookup = {k: str(v) for code, v in labels.items() for k in _code_texts(code)}
        text = col.astype(str).str.strip()
        source = col.where(text.isin(_ISO3) | ~text.isin(lookup), text.map(lookup))
    named = country_codes(source)
    changed = (named != col).to_numpy() & col.notna().to_numpy()
    if not changed.any():
        return col, changed
    rows = np.flatnonzero(changed)
    first = pd.Series(rows).groupby(col.to_numpy()[rows]).agg(["first", "size"])
    if not read:
        shown = ", ".join(f"{name!r} ({named.iloc[row]})" for name, (row, _) in
                          first.head(3).iterrows())
        warnings.warn(f"{issues.file}: {var}: {len(rows)} rows have country names (or codes "
                      f"labelled with them), not ISO 3166 codes ({shown}{', ...' if len(first) > 3 else ''}); they are excluded. "
                      "To read names as codes pass country_names='codes' (project file: "
                      "reading: {country_names: codes})", stacklevel=4)
        return col, changed
    for name, (row, n) in first.iterrows():
        label = source.iloc[row]
        text = (f"country name{'' if label == name else f' {label!r} (value label)'} read as the "
                f"ISO 3166 code {named.iloc[row]} ({n} rows)")
        issues.add(np.array([row]), var, col, "an ISO 3166 alpha-3 code such as BRA", text, NOTE)
        warnings.warn(f"{issues.file}: line {issues.lines[row]}: {var} {name!r}: {text}",
                      stacklevel=4)
    return named, np.zeros(len(col), dtype=bool)


def _code_texts(code) -> set[str]:
    texts = {str(code).strip()}
    try:
        f = float(code)
    except (TypeError, ValueError):
        return texts
    return texts | {str(f)} | ({str(int(f))} if f.is_integer() else set())


def required_columns(inst: Instrument) -> list[str]:
    """Columns a wide file must have: respondent id, demographics, every item for every target.

    >>> import surveyindex as si
    >>> cols = required_columns(si.load_instrument("softpower"))
    >>> cols[:3], len(cols)
    (['resp_id', 'country', 'age'], 48)
    """
    cols = [inst.layout.respondent_id, *(v for v, d in inst.demographics.items() if d.required)]
    cols += [c for c in inst.layout.roles().values() if c not in cols]
    cols += [inst.column(t, i) for t in inst.target_codes for i in inst.item_ids]
    return cols + [inst.column(t, s.id) for t in inst.target_codes for s in inst.single_items]


def check_columns(frame: pd.DataFrame, inst: Instrument, issues: Issues) -> str | None:
    """Record each missing required column as an error; returns a headline naming them."""
    missing = [c for c in required_columns(inst) if c not in frame.columns]
    for c in missing:
        close = [k for k in frame.columns if str(k).casefold() == c.casefold()]
        hint = f" (the file has {close[0]!r}: names are case-sensitive)" if close else ""
        issues.add_file(c, None, f"a column named {c!r}{hint}", "missing required column", ERROR)
    if not missing:
        return None
    shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
    return (f"{issues.file}: {len(missing)} column(s) the instrument '{inst.id}' needs are "
            f"missing: {shown}. Item columns follow the pattern {inst.layout.item_column!r}; "
            "give the file's own pattern with pattern= or a mapping with columns=.")


def check_rows(frame: pd.DataFrame, inst: Instrument, issues: Issues, decimal: str,
               country_names: str = "error", value_labels: dict | None = None) -> pd.DataFrame:
    """Respondent id and demographics; returns the frame with categorical labels made codes.

    ``country_names="codes"`` reads country names in the country column (or, in a SPSS/Stata
    file, the value labels of its codes: ``value_labels``) as ISO codes."""
    idcol = inst.layout.respondent_id
    ids = pd.Series(issues.ids, dtype=object)  # as they are: no conversion to a string dtype
    blank = (ids == "").to_numpy()
    issues.add(blank, idcol, frame[idcol], "a respondent id", "missing respondent id", EXCLUDED)
    # one hash pass says whether any id repeats; only then which rows repeat one
    unique = pd.Index(issues.ids, dtype=object).is_unique
    dup = (np.zeros(len(ids), dtype=bool) if unique
           else ids.duplicated(keep="first").to_numpy() & ~blank)
    if dup.any():
        first = ids.reset_index().groupby(0)["index"].transform("min").to_numpy() + 1
        issues.add(dup, idcol, ids, "a respondent id not used before", "duplicate respondent id",
                   EXCLUDED, "duplicate respondent id (first at row " + first.astype(str).astype(object) + ")")
    check_id_forms(issues.ids, idcol, issues)
    frame = frame.copy(deep=False)  # copy-on-write: only the replaced columns are new
    for var, spec in inst.demographics.items():
        if var not in frame.columns:  # a demographic the file may lack (required: false)
            frame[var] = pd.Series(np.nan, index=frame.index, dtype=object)
        col = frame[var]
        if spec.type == "country":
            col, named = _country_names(col, var, issues, read=country_names == "codes",
                                        labels=(value_labels or {}).get(var))
            code = col.astype(str).str.strip().str.upper()
            bad = col.isna().to_numpy() | ~code.isin(_ISO3).to_numpy()
            reason = _got(col, bad, f"{var} not an ISO 3166 alpha-3 code (got '", "')")
            reason[col.isna().to_numpy()] = f"{var} missing"  # a blank cell, not "got 'None'"
            for rows, expected in ((bad & ~named, "an ISO 3166 alpha-3 code such as BRA"),
                                   (bad & named, "an ISO 3166 alpha-3 code such as BRA "
                                    "(country_names='codes' reads a country name as its code)")):
                issues.add(rows, var, col, expected, f"{var} not an ISO 3166 alpha-3 code",
                           EXCLUDED, reason)
            frame[var] = code.where(~bad, None)
            continue
        if spec.type == "categorical":
            x, _ = codes_from_labels(col, spec.codes, decimal,
                                     tuple(t.codes for t in spec.translations.values()))
        else:
            x = to_number(col, decimal)
        odd = odd_cells(col)
        missing = np.isnan(x) & ~odd
        action = EXCLUDED if spec.required else SET_MISSING
        if not spec.required:  # kept with the value missing; text that is not a value is noted
            missing &= col.notna().to_numpy()
        issues.add(missing, var, col, "a number" if spec.type == "numeric" else
                   f"one of the codes {sorted(spec.codes)} or their labels",
                   f"{var} missing or not a number", action)
        if odd.any():  # True would be code 1 and a date a huge number: never read as values
            issues.add(odd, var, col, "a number", f"{var} is a boolean or date, not a number",
                       action, _got(col, odd, f"{var} is a typed value, not a number (got ", ")"))
        if spec.type == "numeric":
            lo = -np.inf if spec.min is None else spec.min
            hi = np.inf if spec.max is None else spec.max
            out = ~np.isnan(x) & ((x < lo) | (x > hi))
            rng, want = f"{lo:g}-{hi:g}", f"in {lo:g}-{hi:g}"
            if not (np.isfinite(lo) and np.isfinite(hi)):  # only one bound declared
                rng = want = f"at least {lo:g}" if np.isfinite(lo) else f"at most {hi:g}"
            issues.add(out, var, col, f"a number {want}", f"{var} outside {rng}", action,
                       _got(col, out, f"{var} outside {rng} (got ", ")"))
        else:
            out = ~np.isnan(x) & ~np.isin(x, list(spec.codes))
            codes = sorted(spec.codes)
            issues.add(out, var, col, f"one of the codes {codes}", f"{var} not one of the codes {codes}",
                       action, _got(col, out, f"{var} not one of the codes {codes} (got ", ")"))
        if not spec.required:
            x = np.where(out, np.nan, x)
        frame[var] = x
    return frame


def _leading_zero(joined: str) -> bool:
    """Whether an id of the ids joined by \\x1f starts with 0 and a digit (str.find is a C
    scan; a regular expression over the whole text would take longer than the join)."""
    at = 0 if joined.startswith("0") else joined.find("\x1f0")
    while at >= 0:
        start = at + (joined[at] == "\x1f")
        if joined[start + 1:start + 2] in _DIGITS:
            return True
        at = joined.find("\x1f0", start + 1)
    return False


_DIGITS = frozenset("0123456789")
_DIGITS_ID = r"^[0-9]+(?:\.[0-9]*)?$"  # an id that writes a number: digits, at most one dot


def _number_text(v: str) -> str:
    """A number's plain text, without leading zeros or trailing decimal zeros.

    >>> _number_text("006"), _number_text("6.0"), _number_text("1.50"), _number_text("0.0")
    ('6', '6', '1.5', '0')
    """
    whole, _, frac = v.partition(".")
    frac = frac.rstrip("0")
    return (whole.lstrip("0") or "0") + ("." + frac if frac else "")


def _number_forms(ids: np.ndarray) -> pd.DataFrame:
    """The rows whose ids write one number in more than one way ('6', '6.0', '006'): columns
    ``row``, ``form`` (the id) and ``number`` (its plain form, '6'), by row.

    The plain forms are made by Arrow's string kernels where pyarrow is installed (a file
    may have millions of decimal ids: '17.0' for every respondent, from a float column), and
    only the rows whose plain form repeats are looked at further.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        s = pd.Series(ids, dtype=object)
        rows = np.flatnonzero(s.str.match(_DIGITS_ID).to_numpy(bool))
        number = pd.Series([_number_text(v) for v in ids[rows]], dtype=object)
        again = number.duplicated(keep=False).to_numpy()
        rows, number = rows[again], number.to_numpy(object)[again]
    else:
        text = pa.array(ids, pa.string())
        digits = pc.match_substring_regex(text, _DIGITS_ID)
        rows = np.flatnonzero(digits.to_numpy(zero_copy_only=False))
        form = text.filter(digits)
        # _number_text, vectorised: leading zeros off; with a dot, trailing zeros and the dot
        plain = pc.utf8_ltrim(form, characters="0")
        plain = pc.if_else(pc.match_substring(form, "."),
                           pc.utf8_rtrim(pc.utf8_rtrim(plain, characters="0"), characters="."),
                           plain)
        plain = pc.if_else(pc.or_(pc.equal(plain, ""), pc.starts_with(plain, ".")),
                           pc.binary_join_element_wise("0", plain, ""), plain)
        counts = pc.value_counts(plain)
        repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
        again = pc.is_in(plain, value_set=repeated)  # an Arrow mask (pyarrow 14 needs one)
        number = plain.filter(again).to_numpy(zero_copy_only=False)
        rows = rows[again.to_numpy(zero_copy_only=False)]
    forms = pd.DataFrame({"row": rows, "form": ids[rows], "number": np.asarray(number, object)})
    return forms[forms.groupby("number")["form"].transform("nunique").to_numpy() > 1]


def check_id_forms(ids: np.ndarray, column: str, issues: Issues) -> None:
    """Respondent ids that are one number written two ways in one file ('6' and '6.0', '6' and
    '006'): read as text, they would be two respondents; merged, two interviews would be one.
    Neither is done quietly. A decimal form ('6.0': an id passed through a spreadsheet or a
    float column) is an error naming both lines and ids; leading zeros, which an id scheme may
    mean ('006' and '6' as two codes), are a warning and a note, and the ids stay apart.

    Most files have no id with a dot or a leading zero, or only zero-padded ids of one width,
    which one scan of the joined ids (and one of their lengths) shows; only other files have
    their ids' forms worked out (vectorised).
    """
    if not len(ids):
        return
    joined = "\x1f".join(ids)  # one C-level scan instead of a Python loop over the ids
    dot = "." in joined
    if not dot and not _leading_zero(joined):
        return
    if not dot:
        width = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        width = width[width > 0]
        if (width == width[0]).all():  # zero-padded to one width: no two forms of one number
            return
    forms = _number_forms(ids)
    if forms.empty:  # '17.0' for every respondent: one form of each number, nothing to tell apart
        return
    plain = set(forms.loc[forms["form"] == forms["number"], "form"])
    first = forms.drop_duplicates("form")  # each form at its first row
    by_number = first.groupby("number", sort=False)
    decimal = by_number["form"].agg(lambda f: any("." in v for v in f))
    problem = np.full(len(ids), "", dtype=object)
    error = np.zeros(len(ids), dtype=bool)
    zeros = np.zeros(len(ids), dtype=bool)
    # each number's forms with their first rows, its plain form first (the one to name)
    seen = {n: sorted(zip(g["form"], g["row"]), key=lambda fr: fr[0] != n) for n, g in by_number}
    for row, form, number in forms.itertuples(index=False):
        if form in plain:  # the plain '6' itself: the other forms' rows say it
            continue
        other, at = next((f, r) for f, r in seen[number] if f != form)
        where = f"the id {other!r} of line {issues.lines[at]}"
        if decimal[number]:
            problem[row] = f"respondent id {form!r} and {where} are one number written two ways"
            error[row] = True
        else:
            problem[row] = (f"respondent id {form!r} is {where} with leading zeros; read as "
                            "another respondent")
            zeros[row] = True
    issues.add(error, column, ids, "one way of writing each id (the same respondent twice, or "
               "ids written by two programs?): make them consistent in the file", problem, ERROR)
    issues.add(zeros, column, ids, "one way of writing each id", problem, NOTE)
    if zeros.any():
        rows = np.flatnonzero(zeros)
        shown = "; ".join(f"line {issues.lines[i]}: {problem[i].split('; ')[0]}"
                          for i in rows[:3])
        warnings.warn(f"{issues.file}: {len(rows)} respondent id(s) differ from another row's "
                      f"id only by leading zeros ({shown}{'; ...' if len(rows) > 3 else ''}); "
                      "they are read as different respondents. If they are one respondent, "
                      "write the ids alike in the file", stacklevel=4)


def check_weights(frame: pd.DataFrame, column: str | None, issues: Issues, decimal: str,
                  kept: np.ndarray) -> None:
    """The file's weight column: a blank, text or negative weight of a row that is ``kept``
    stops the read, naming its line (the design would refuse it later without saying where in
    the file it is). Rows excluded for other reasons (a blank row, a total row) do not count."""
    if not column or column not in frame.columns:
        return
    cells = frame[column]
    w = to_number(cells, decimal)
    bad = (~np.isfinite(w) | (w < 0)) & kept
    if bad.any():
        issues.add(bad, column, cells, f"a non-negative number (the weight column {column!r})",
                   f"weight blank, negative or not a number in column {column!r}", ERROR)


def _got(col: pd.Series, mask: np.ndarray, before: str, after: str) -> np.ndarray:
    """Reason texts quoting the cell, for the rows in ``mask`` only (17.0 shown as 17)."""
    out = np.full(len(col), "", dtype=object)
    rows = np.flatnonzero(mask)
    out[rows] = [f"{before}{cell_text(v)}{after}" for v in col.to_numpy(object)[rows]]
    return out


def check_short_rows(raw: RawTable, issues: Issues, n_fields: int) -> None:
    """Rows with fewer fields than the header: a file cut off mid-row, or a broken export."""
    rows = raw.short_rows
    rows = rows[rows < len(issues.lines)]
    issues.add(rows, "(row)", None, f"{n_fields} fields, as in the header",
               "row has fewer fields than the header (file truncated?)", EXCLUDED)


#: Rows per block when the item arrays are filled: a block of (rows, targets, items) float
#: codes (~5 MB) stays in cache while each column's slice is written into it.
_ROWS = 16384


def recode_items(frame: pd.DataFrame, inst: Instrument, raw: RawTable, issues: Issues,
                 unknown_labels: str = "error"):
    """Codes (before reverse keying) and kinds of every item: (rows, targets, items) arrays.

    Invalid answers are set to missing and recorded; a column with no answer at all is noted.
    Columns of plain numbers and text columns (decoded once per distinct value) are written a
    block of rows at a time, every column of the block together, rather than one strided
    column of the whole array after another; any other column is recoded on its own.
    """
    n, targets, pairs = len(frame), inst.target_codes, inst.items()
    codes = np.empty((n, len(targets), len(pairs)))  # every cell is written below
    kind = np.empty(codes.shape, dtype=np.int8)
    names = {(t, j): inst.column(target, item.id) for j, (_, item) in enumerate(pairs)
             for t, target in enumerate(targets)}
    plans = {tj: column_plan(frame[c], inst.scales[pairs[tj[1]][0].scale],
                             raw.user_missing.get(c), raw.decimal,
                             known_values(frame[c], raw.factorized))
             for tj, c in names.items()}
    filled, invalid = _fill_blocks(codes, kind, plans, [inst.scales[d.scale] for d, _ in pairs])
    for j, (dim, item) in enumerate(pairs):
        for t in range(len(targets)):
            col, plan, scale = names[t, j], plans[t, j], inst.scales[dim.scale]
            if plan is None:
                codes[:, t, j], kind[:, t, j] = recode_checked(
                    frame, col, scale, raw, issues, dim.scale, unknown_labels)
                continue
            # as recode_checked records it, from the kinds already written
            cells = frame[col]
            if not filled[t, j]:
                _no_answers(col, issues)
            if invalid[t, j]:
                unknown = plan[4][plan[1]] if plan[0] == "text" else np.zeros(n, dtype=bool)
                _record_invalid(cells, kind[:, t, j], unknown, col, scale, raw, issues,
                                dim.scale, unknown_labels)
    return codes, kind


def _fill_blocks(codes: np.ndarray, kind: np.ndarray, plans: dict, scales: list):
    """Fill ``codes`` and ``kind`` from the columns' plans, a block of rows at a time; returns
    (targets, items) masks: the column has a filled cell, the column has an invalid cell."""
    n, T, J = codes.shape
    lo = np.array([sc.min for sc in scales], dtype=float)
    hi = np.array([sc.max for sc in scales], dtype=float)
    width = max((len(sc.missing) for sc in scales), default=0)
    missing = []
    for m in range(width):  # the m-th missing code of each item's scale (NaN: none)
        pairs = [list(sc.missing.items())[m] if m < len(sc.missing) else (np.nan, INVALID)
                 for sc in scales]
        missing.append((np.array([c for c, _ in pairs], dtype=float),
                        np.array([missing_kind_of(lab) if isinstance(lab, str) else lab
                                  for _, lab in pairs], dtype=np.int8)))
    number = [(t, j, p[1]) for (t, j), p in plans.items() if p is not None and p[0] == "number"]
    text = [(t, j, p[1], p[2], p[3]) for (t, j), p in plans.items()
            if p is not None and p[0] == "text"]
    other = [tj for tj, p in plans.items() if p is None]

    def block(b):
        r0, r1 = b * _ROWS, min((b + 1) * _ROWS, n)
        x, k = codes[r0:r1], kind[r0:r1]  # contiguous blocks
        for t, j, values in number:
            x[:, t, j] = values[r0:r1]
        for t, j in other:  # recoded on their own afterwards
            x[:, t, j] = np.nan
        for t, j, where, ux, _ in text:  # codes already valid or NaN: left as they are
            x[:, t, j] = ux[where[r0:r1]]
        k[...] = recode_block(x, lo, hi, missing)
        for t, j, where, _, ukind in text:
            k[:, t, j] = ukind[where[r0:r1]]
        return (k != BLANK).any(axis=0), (k == INVALID).any(axis=0)

    # blocks write disjoint rows, so they run side by side on the cores
    done = run_parallel(block, -(-n // _ROWS))
    filled = np.zeros((T, J), dtype=bool)
    invalid = np.zeros((T, J), dtype=bool)
    for f, i in done:
        filled |= f
        invalid |= i
    return filled, invalid


NO_ANSWERS = "column has no answers at all"


def _no_answers(col: str, issues: Issues) -> None:
    """A column with no answer at all: a note in the report (:func:`warn_no_answers` says it)."""
    issues.add_file(col, None, "some answers", NO_ANSWERS, NOTE)


def warn_no_answers(issues: Issues, stacklevel: int = 3) -> None:
    """One warning naming the item columns with no answer at all: a whole item empty is more
    often a column mix-up than a question nobody answered (with planned missingness, a target
    nobody was asked about)."""
    tab = issues.table()
    cols = tab.loc[tab["problem"] == NO_ANSWERS, "column"].tolist()
    if cols:
        shown = ", ".join(cols[:6]) + (f" and {len(cols) - 6} more" if len(cols) > 6 else "")
        warnings.warn(f"{issues.file}: {len(cols)} item column(s) have no answers at all "
                      f"({shown}): the right columns, or questions nobody was asked? They count "
                      "as unanswered everywhere", stacklevel=stacklevel + 1)


def recode_checked(frame, col: str, scale, raw: RawTable, issues: Issues, scale_id: str = "",
                   unknown_labels: str = "error"):
    """Recode one item column, recording its invalid cells and a column with no answers.

    Text that is neither a code nor a label of the scale is an error naming the label, its count
    and the closest known labels; with ``unknown_labels="missing"`` it is set to missing instead,
    and the ledger says so. Booleans and dates are never read as codes.
    """
    cells = frame[col]
    codes, kind, unknown = recode_column(cells, scale, raw.user_missing.get(col), raw.decimal,
                                         known_values(cells, raw.factorized))
    if len(cells) and cells.isna().all():
        _no_answers(col, issues)
    _record_invalid(cells, kind, unknown, col, scale, raw, issues, scale_id, unknown_labels)
    return codes, kind


def _record_invalid(cells, kind, unknown, col, scale, raw, issues, scale_id, unknown_labels):
    bad = kind == INVALID
    valid = f"{scale.min}-{scale.max}"
    expected = (f"a code {valid}, a missing code {sorted(scale.missing)} or a label such as "
                f"{next(iter(scale.labels.values()), '')!r}")
    odd = odd_cells(cells) if bad.any() else np.zeros(len(cells), dtype=bool)
    if odd.any():
        _typed(cells, odd, col, f"a code of scale {scale_id or valid}", issues)
    if unknown.any():
        _unknown_labels(cells, unknown, col, scale, scale_id, expected, unknown_labels, issues)
    issues.add(bad & ~unknown & ~odd, col, cells, expected,
               f"not a code of the scale {valid} or a missing code {sorted(scale.missing)}; "
               "set to missing", SET_MISSING)


def _unknown_labels(cells, unknown, col, scale, scale_id, expected, mode, issues) -> None:
    """One record per cell, one problem text per distinct label (so the summary counts cells)."""
    rows = np.flatnonzero(unknown)
    texts = cells.iloc[rows].astype(str).reset_index(drop=True)
    known = [*scale.labels.values(), *scale.missing.values()]
    tail = "; set to missing (unknown_labels='missing')" if mode == "missing" else ""
    problem = np.full(len(cells), "", dtype=object)
    for value, where in texts.groupby(texts, sort=False).indices.items():
        close = ", ".join(repr(c) for c in closest_labels(value, known))
        problem[rows[where]] = (f"{value!r} is not a label of scale {scale_id or 'of ' + col}; "
                                f"closest: {close}{tail}")
    if mode == "missing":
        issues.add(rows, col, cells, expected, problem, SET_MISSING)
    else:
        issues.add(rows, col, cells, expected + " (or read with unknown_labels='missing')",
                   problem, ERROR)


def _typed(cells, odd, col: str, expected: str, issues: Issues) -> None:
    rows = np.flatnonzero(odd)
    what = [odd_type(v) for v in cells.to_numpy(object)[rows]]
    if odd.sum() == cells.notna().sum():  # the whole column is typed: the file is wrong, not a cell
        issues.add_file(col, cell_text(cells.iloc[rows[0]]), expected,
                        f"column holds {what[0]} values (a typed column), not codes", ERROR)
        return
    problem = np.full(len(cells), "", dtype=object)
    problem[rows] = [f"a {w} where a code is expected; set to missing" for w in what]
    issues.add(rows, col, cells, expected, problem, SET_MISSING)


def repeated_header(raw: RawTable) -> np.ndarray:
    """Data rows (0-based) that repeat the header: files joined with each one's header kept.

    Only rows whose first named column holds that column's name are compared in full, so a
    large file costs one column comparison.

    >>> f = pd.DataFrame({"id": ["1", "id", "2"], "q1": ["3", "q1", "4"], "q2": ["5", "q2", "1"]})
    >>> repeated_header(RawTable("f.csv", f, "text")).tolist()
    [1]
    """
    names = [str(c) for c in raw.frame.columns]
    first = next((j for j, c in enumerate(names) if c), None)
    if first is None or raw.kind not in ("text", "excel") or raw.frame.empty:
        return np.zeros(0, dtype=int)
    rows = np.flatnonzero((raw.frame.iloc[:, first] == names[first]).to_numpy(bool))
    if not len(rows):
        return rows
    sub = raw.frame.iloc[rows]
    same = sum((sub.iloc[:, j].astype(str) == c).to_numpy(bool)
               for j, c in enumerate(names) if c)
    return rows[same >= max(2, 0.8 * sum(map(bool, names)))]


def header_further_down(raw: RawTable, wanted: list[str], look: int = 10) -> int | None:
    """The file line of a row among the first ``look`` that holds most ``wanted`` column names
    (title rows or merged group cells above the variable names), else None."""
    want = set(wanted)
    for i in range(min(look, len(raw.frame))):
        cells = {str(v).strip() for v in raw.frame.iloc[i].to_numpy(object) if pd.notna(v)}
        if len(want & cells) >= max(1, len(want) // 2):
            return raw.first_line + i
    return None
