"""Read a response file against the instrument: validate, recode, and account for every row."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from ..errors import ResponseDataError, require
from ..instrument import ROLES, Instrument, Layout
from . import checks, mapping
from .exports import DURATION, country_codes, export_kind, interview_length
from .ledger import Ledger
from .quality import QualityRules, flag_quality
from .readers import BLANK_FORMS, RawTable, clean_cells, read_table
from .recode import BLANK, DONT_KNOW, INVALID, REFUSED, VALID, to_number
from .validate import EXCLUDED, NOTE, SET_MISSING, Issues, ResponseValidationError, describe

__all__ = ["BLANK", "DONT_KNOW", "INVALID", "REFUSED", "VALID", "Responses", "read_responses"]


@dataclass(frozen=True, eq=False)
class Responses:
    """Validated responses: respondents, their recoded answers, and the ledger.

    ``values[i, t, j]`` is respondent ``i``'s answer about target ``t`` on item ``j`` (instrument
    order), reverse-keyed items already recoded (``min + max - x``) and missing codes set to NaN;
    ``missing_kind`` says why each missing answer is missing (blank, don't know, refused, invalid).
    ``single[item]`` holds the single items (n x targets), missing codes as NaN.
    """

    instrument: Instrument
    respondents: pd.DataFrame
    values: np.ndarray
    missing_kind: np.ndarray
    single: dict[str, np.ndarray]
    ledger: Ledger
    source: str = "<data frame>"

    def __post_init__(self) -> None:
        for a in (self.values, self.missing_kind, *self.single.values()):
            a.setflags(write=False)

    @property
    def n(self) -> int:
        """Number of respondents kept."""
        return len(self.respondents)

    def to_frame(self, wide: bool = False) -> pd.DataFrame:
        """The recoded answers as a DataFrame: long (:meth:`item_table`), or with ``wide=True``
        one row per respondent and one column per target x item, named as in the response file
        (``USA_mor1``), after the respondent columns; ``.attrs["labels"]`` gives each item
        column's label (``"USA: <item text>"``).

        >>> import surveyindex as si
        >>> r = si.read_responses(si.sample_paths()["responses"], si.load_instrument("softpower"))
        >>> w = r.to_frame(wide=True)
        >>> w.shape[0] == r.n, "USA_mor1" in w.columns, w.attrs["labels"]["USA_mor1"][:5]
        (True, True, 'USA: ')
        """
        if not wide:
            return self.item_table()
        inst = self.instrument
        n, t, j = self.values.shape
        cols = [inst.column(tc, item) for tc in inst.target_codes for item in inst.item_ids]
        items = dict(zip(inst.item_ids, (it for _, it in inst.items())))
        answers = pd.DataFrame(self.values.reshape(n, t * j), columns=cols,
                               index=self.respondents.index)
        out = pd.concat([self.respondents, answers], axis=1)
        out.attrs["labels"] = {inst.column(tc, i): f"{tc}: {_label(items[i])}"
                               for tc in inst.target_codes for i in inst.item_ids}
        return out

    def __repr__(self) -> str:
        inst = self.instrument
        return (f"<Responses {self.n} respondents x {len(inst.target_codes)} targets x "
                f"{len(inst.item_ids)} items ({inst.id} {inst.version}) from {self.source}; "
                f"{self.ledger.rows_excluded} rows excluded>")

    def _repr_html_(self) -> str:
        from ..display import card

        inst = self.instrument
        facts = [("respondents", self.n), ("targets", ", ".join(inst.target_codes)),
                 ("items", len(inst.item_ids)), ("instrument", f"{inst.id} {inst.version}"),
                 ("source", self.source), ("ledger", str(self.ledger))]
        if "country" in self.respondents.columns:
            facts.insert(1, ("countries", self.respondents["country"].nunique()))
        return card("Responses", facts, tables=[("Respondents", self.respondents.head(5))],
                    note=".respondents, .to_frame(wide=True), .item_table(), .ledger")

    def item_table(self) -> pd.DataFrame:
        """Long tidy table: one row per respondent x target x item, with the recoded value.

        >>> import surveyindex as si
        >>> r = si.read_responses(si.sample_paths()["responses"], si.load_instrument("softpower"))
        >>> list(r.item_table().columns)
        ['resp_id', 'country', 'target', 'dimension', 'item', 'value']
        """
        inst = self.instrument
        n, t, j = self.values.shape
        dims = [d.id for d, _ in inst.items()]
        return pd.DataFrame({
            "resp_id": np.repeat(self.respondents["resp_id"].to_numpy(), t * j),
            "country": np.repeat(self.respondents["country"].to_numpy(), t * j),
            "target": np.tile(np.repeat(inst.target_codes, j), n),
            "dimension": np.tile(dims, n * t),
            "item": np.tile(inst.item_ids, n * t),
            "value": self.values.reshape(-1),
        })


def read_responses(source: str | Path | pd.DataFrame, instrument: Instrument, *,
                   sheet: str | int = 0, layout: str = "wide", columns=None,
                   pattern: str | None = None, encoding: str | None = None,
                   delimiter: str | None = None, header_rows: int | None = None,
                   quality: QualityRules | None = None, errors: str = "exclude",
                   unknown_labels: str = "error", value_labels: str = "error",
                   roles: dict | None = None, required=None,
                   country_names: str = "error") -> Responses:
    """Read a response file (CSV, Excel, SPSS, Stata, Parquet) or a DataFrame against the instrument.

    Every input row is kept or excluded with its reasons (``.ledger``); every problem found is
    in the validation report ``.ledger.report()``. Problems with the file as a whole (missing
    columns, duplicated column names with different contents, an unreadable file) stop the read
    with a :class:`~surveyindex.io.validate.ResponseValidationError` whose message summarises
    the report and whose ``.report`` holds it. Answers outside the scale are set to missing and
    listed as warnings.

    Parameters
    ----------
    source : str, Path or DataFrame
        The file (type from its suffix) or a data frame.
    instrument : Instrument
        The questionnaire definition the file is read against.
    sheet : str or int
        Excel sheet name or 0-based position.
    layout : {"wide", "long"}
        ``"wide"``: one row per respondent, item columns named by the instrument's
        ``layout.item_column`` (e.g. ``USA_mor1``) or by ``pattern``. ``"long"``: one row per
        respondent x target x item with columns ``resp_id``, ``target``, ``item``, ``value``
        (plus the demographics); the ledger then counts the file's rows (records), says how
        many respondents they form, and excludes the records it does not use and those of
        excluded respondents.
    columns : dict, DataFrame or path, optional
        Column mapping, file name -> instrument name, or a table with ``file_column`` and
        ``column`` (or ``target`` and ``item``) columns.
    pattern : str, optional
        The file's item column pattern when it differs from the instrument's, e.g.
        ``"{item}_{target}"``.
    encoding, delimiter : str, optional
        For delimited text; detected when omitted (BOM, UTF-8, else Windows-1252).
    header_rows : int, optional
        Rows of header at the top of a CSV/Excel file (2 when question text sits under the
        variable names); detected when omitted.
    quality : QualityRules, optional
        Quality flags and which of them exclude; by default respondents are flagged, not
        excluded.
    errors : {"exclude", "raise"}
        What a row with bad data does: excluded and listed in the ledger, or stop the read with
        the validation report.
    unknown_labels : {"error", "missing"}
        Answer text that is neither a code nor a label of the item's scale (in any of the
        instrument's languages): an error naming the column, the label, its count and the
        closest known labels, or (``"missing"``) set to missing and listed in the ledger.
    value_labels : {"error", "warn"}
        A SPSS/Stata value label contradicting the instrument's label of a code (a reversed
        scale, swapped missing codes): an error, or a warning and a note in the report. Agreeing
        labels are noted as confirmed.
    roles : dict, optional
        Column roles, overriding the instrument's ``layout``: ``respondent_id``, ``country``
        (the file's column of the surveyed country, e.g. ``"sta"``), ``weight``, ``strata``,
        ``psu``, ``fpc``, ``wave``, ``duration``, ``item_column``. Design columns keep their
        names in ``.respondents``, as do the file's other columns that are not items (meta
        columns of KoboToolbox and ODK Central exports among them).
    required : list of str, optional
        The demographics a respondent must have (e.g. ``["country"]``); the others may be
        missing or absent from the file, and weighting margins on them are dropped from the
        instrument's defaults. Default: the instrument's ``required`` flags.
    country_names : {"error", "codes"}
        A country name in the country column (``"Brazil"``, as a labelled SPSS/Stata variable
        or Pew's ``sta`` as text give it): excluded as not an ISO 3166 alpha-3 code, with a
        warning that names it, or (``"codes"``) read as its code, each distinct name noted in the
        report and said in a warning. Exports of KoboToolbox and ODK Central always read the
        form's country labels as codes.

    Returns
    -------
    Responses

    Examples
    --------
    >>> import surveyindex as si
    >>> inst = si.load_instrument("softpower")
    >>> r = si.read_responses(si.sample_paths()["responses"], inst)
    >>> r.ledger.rows_in == r.ledger.rows_kept + r.ledger.rows_excluded
    True
    >>> r.values.shape[1:]
    (2, 20)
    """
    require(source, (str, Path, pd.DataFrame), "the responses", "a file path or a DataFrame",
            ResponseDataError)
    require(instrument, Instrument, "the instrument", "an Instrument (si.load_instrument(...))",
            ResponseDataError)
    if layout not in ("wide", "long"):
        raise ResponseDataError(f"layout={layout!r}: expected 'wide' or 'long'")
    for key, value, allowed in (("errors", errors, ("exclude", "raise")),
                                ("unknown_labels", unknown_labels, ("error", "missing")),
                                ("value_labels", value_labels, ("error", "warn")),
                                ("country_names", country_names, ("error", "codes"))):
        if value not in allowed:
            raise ResponseDataError(f"{key}={value!r}: expected {allowed[0]!r} or {allowed[1]!r}")
    quality = QualityRules() if quality is None else quality
    inst = with_required(with_roles(instrument, roles), required)
    columns = _role_columns(inst, columns)
    raw, frame, lines, issues, records = _instrument_frame(
        source, inst, sheet=sheet, layout=layout, columns=columns, pattern=pattern,
        encoding=encoding, delimiter=delimiter, header_rows=header_rows, value_labels=value_labels)
    name = raw.name

    idcol = inst.layout.respondent_id
    issues.lines, issues.ids = lines, _ids(frame[idcol])
    if layout == "wide":
        checks.check_short_rows(raw, issues, frame.shape[1])
    frame = checks.check_rows(frame, inst, issues, raw.decimal, country_names, raw.value_labels)
    codes, kind = checks.recode_items(frame, inst, raw, issues, unknown_labels)
    singles = {s.id: np.column_stack([
        checks.recode_checked(frame, inst.column(t, s.id), inst.scales[s.scale], raw, issues,
                              s.scale, unknown_labels)[0]
        for t in inst.target_codes]) for s in inst.single_items}
    issues.raise_if()  # unknown labels and typed columns: the file says what the scale does not
    checks.warn_no_answers(issues, stacklevel=2)
    # Where the instrument keeps don't know in the base (Pew's "% favourable"), a respondent who
    # answered only "don't know" still counts: dropping them would inflate every share.
    sc = inst.scoring
    counted = (VALID, *([DONT_KNOW] if sc.dont_know_in_base else []),
               *([REFUSED] if sc.refused_in_base else []))
    if counted == (VALID,) and VALID == 0:  # a valid answer is a kind of 0: one counting pass
        flat = kind.reshape(len(kind), -1)
        no_answer = flat.all(axis=1)  # every kind non-zero: none valid
    else:
        no_answer = ~np.logical_or.reduce([kind == c for c in counted]).any(axis=(1, 2))
    issues.add(no_answer, "(all items)", None, "at least one valid answer",
               "no valid answer to any item", EXCLUDED)
    if errors == "raise":
        issues.raise_if((EXCLUDED,))
    found = issues.table()
    eligible = ~np.isin(np.arange(len(frame)) + 1,
                        found.loc[found["action"] == EXCLUDED, "row"].to_numpy(int))
    checks.check_weights(frame, inst.layout.weight, issues, raw.decimal, eligible)
    issues.raise_if()
    length, unknown = interview_length(frame), None
    if length is not None and DURATION not in frame.columns:
        frame = pd.concat([frame, pd.DataFrame({DURATION: length[0]}, index=frame.index)], axis=1)
        used = quality.duration is None and inst.layout.duration is None
        if used:
            quality = replace(quality, duration=DURATION)
        _warn_unread_times(frame, length[1], issues, used, "speeder" in quality.exclude)
        unknown = length[1] if used else None
    flag_quality(frame, codes, kind, inst, quality, eligible, issues, raw.decimal, unknown)

    _note_empty_countries(frame, inst, issues)
    _warn_blank_like_labels(inst, issues.file)
    found = issues.table(with_reason=True)
    blank = _blank_rows(frame, found)
    ledger = (_ledger(name, len(frame), found, blank) if records is None
              else _long_ledger(name, records, found))
    if ledger.respondents_kept == 0:
        raise ResponseValidationError(
            f"{name}: every one of the {ledger.rows_in} rows is excluded, so nothing is left to "
            f"analyse\n{describe(ledger.report(), name)}", ledger.report())
    # the respondents (rows of frame) excluded: the ledger's rows, or a long file's respondents
    gone = found.loc[found["action"] == EXCLUDED, "row"].dropna().to_numpy(int)
    keep = ~np.isin(np.arange(len(frame)) + 1, gone)
    # At 2M rows each (rows, targets, items) array is ~0.6 GB: reverse keying works in place and
    # rows are selected only when some were excluded, so no second or third copy is made.
    _reverse_in_place(codes, inst)
    kept = (lambda a: a) if keep.all() else (lambda a: np.ascontiguousarray(a[keep]))
    items = {inst.column(t, i) for t in inst.target_codes
             for i in [*inst.item_ids, *(s.id for s in inst.single_items)]}
    wanted = [c for c in frame.columns if c not in items and c != idcol]
    resp = Responses(
        instrument=inst,
        respondents=_respondents(frame.loc[keep, wanted], inst, issues.ids[keep], raw.decimal),
        values=kept(codes),
        missing_kind=kept(kind),
        single={k: kept(v) for k, v in singles.items()},
        ledger=ledger,
        source=name,
    )
    if resp.n != ledger.respondents_kept:  # the ledger's promise, checked rather than assumed
        raise ResponseDataError(f"{name}: {resp.n} respondents kept but the ledger says "
                                f"{ledger.respondents_kept}")
    return resp


# -- helpers ------------------------------------------------------------------------------------

def _instrument_frame(source, inst: Instrument, *, sheet, layout, columns, pattern, encoding,
                      delimiter, header_rows, value_labels="error"):
    """Read the file and give it the instrument's columns, one row per respondent.

    Returns the raw table, the frame, each row's file line, the issues collected so far and,
    for a long file, its records (:class:`~surveyindex.io.mapping.LongRecords`; None for a
    wide one); stops with the report on problems with the file as a whole.
    """
    if isinstance(source, pd.DataFrame):
        frame = source.reset_index(drop=True)
        frame.columns = [str(c).strip() for c in frame.columns]
        raw = RawTable("<data frame>", clean_cells(frame), "frame", 2)
    else:
        raw = read_table(source, sheet=sheet, encoding=encoding, delimiter=delimiter)
        if sheet not in (0, None) and raw.kind != "excel":
            warnings.warn(f"{raw.name}: sheet={sheet!r} is for Excel workbooks; this "
                          f"{Path(raw.name).suffix} file has no sheets, so it is ignored",
                          stacklevel=4)
    again = checks.repeated_header(raw)
    if len(again):
        shown = ", ".join(str(raw.first_line + r) for r in again[:5])
        raise ResponseDataError(
            f"{raw.name}: line{'s' * (len(again) > 1)} {shown}{' ...' if len(again) > 5 else ''} "
            f"repeat{'s' * (len(again) == 1)} the header row (files joined with their headers?); "
            f"delete {'it' if len(again) == 1 else 'them'} and read the file again")
    issues = Issues(raw.name, np.zeros(0, dtype=int), np.zeros(0, dtype=object))
    for note in raw.notes:
        issues.add_file("", None, "", f"read: {note}", NOTE)
    frame = mapping.rename_columns(raw, inst, columns, pattern, issues)
    frame = _export_id(frame, inst, issues)
    if export_kind(frame.columns):
        frame = frame.assign(**{v: country_codes(frame[v]) for v, d in inst.demographics.items()
                                if d.type == "country" and v in frame.columns})
    issues.raise_if()
    records = None
    if layout == "long":
        frame, lines, records = mapping.long_to_wide(frame, raw, inst, issues)
        issues.locate = records.locate  # an error names the file's rows, as the ledger does
    else:
        if raw.kind in ("text", "excel"):
            frame = mapping.drop_header_rows(frame, raw, inst, header_rows, issues)
        lines = raw.first_line + np.arange(len(frame))
    mapping.check_variable_labels(raw, inst, issues)
    mapping.check_value_labels(raw, inst, issues, value_labels)
    headline = checks.check_columns(frame, inst, issues)
    if headline and not set(checks.required_columns(inst)) & set(frame.columns):
        how = f" read as {raw.encoding} text with delimiter {raw.delimiter!r}" if raw.encoding else ""
        ask = ("sheet? (read: " + next(n for n in raw.notes if n.startswith("sheet ")) +
               "; choose one with sheet=, in a project file sheet:)"
               if raw.kind == "excel" and any(n.startswith("sheet ") for n in raw.notes)
               else "encoding and delimiter?" if raw.kind == "text" else "")
        headline += (f" None of them is in the file{how} (its first columns: "
                     f"{[str(c)[:30] for c in frame.columns[:4]]}): is it the right file"
                     f"{', ' + ask if ask else '?'}")
        below = checks.header_further_down(raw, checks.required_columns(inst))
        if below is not None:
            headline += (f" The column names are on line {below}: delete the "
                         f"{below - 1} row{'s' * (below != 2)} above them (a title, merged group cells).")
    issues.raise_if(headline=headline)
    if frame.empty:
        raise ResponseDataError(f"{raw.name}: the file has a header but no data rows")
    return raw, frame, lines, issues, records


def _warn_unread_times(frame: pd.DataFrame, bad: dict, issues: Issues, used: bool,
                       exclude: bool) -> None:
    """An export's start/end cell that is not a date and time: said once per column, with the
    first line and value, as the interview length of those rows is unknown (NaN)."""
    for col, rows in bad.items():
        i = int(np.flatnonzero(rows)[0])
        n = int(rows.sum())
        rows_are = "that row is" if n == 1 else "those rows are"
        what = "excluded (speeders are excluded)" if exclude else "flagged"
        then = (f"{rows_are} {what} as 'interview length unknown', not checked for speeding"
                if used else f"{DURATION} is blank there")
        warnings.warn(f"{issues.file}: {col}: {n} cell{'s' * (n != 1)} not a date and time "
                      f"(first: line {issues.lines[i]}, {frame[col].iloc[i]!r}), so the "
                      f"interview length ({DURATION}) is unknown; {then}", stacklevel=3)


def _warn_blank_like_labels(inst: Instrument, file: str) -> None:
    """A label that reads like a blank cell ("None", "NA") cannot be told from one: the readers
    take such cells as blank before any label is matched, so say so rather than lose them."""
    found = []
    for sid, sc in inst.scales.items():
        for lang, labels in [("", {**sc.labels, **sc.missing}), *sc.translations.items()]:
            found += [(f"scale {sid}", code, text, lang) for code, text in labels.items()
                      if str(text).strip() in BLANK_FORMS]
    for var, d in inst.demographics.items():
        for lang, labels in [("", d.codes or {}),
                             *((k, t.codes) for k, t in d.translations.items())]:
            found += [(var, code, text, lang) for code, text in labels.items()
                      if str(text).strip() in BLANK_FORMS]
    if found:
        shown = "; ".join(f"{where} code {code} {text!r}{f' ({lang})' if lang else ''}"
                          for where, code, text, lang in found[:5])
        warnings.warn(f"{file}: the instrument labels {shown} read like a blank cell: cells with "
                      "that text are read as missing, not as the code. Reword the label in the "
                      "instrument, or deliver the answers as codes", stacklevel=3)


def _note_empty_countries(frame: pd.DataFrame, inst: Instrument, issues: Issues) -> None:
    """A country whose every row is excluded is left out: say so with a warning."""
    var = next((v for v, spec in inst.demographics.items() if spec.type == "country"), None)
    if var is None:
        return
    found = issues.table()
    gone = np.isin(np.arange(len(frame)) + 1,
                   found.loc[found["action"] == EXCLUDED, "row"].to_numpy(int))
    if not gone.any():  # nothing excluded: no country can be empty
        return
    country = frame[var].astype(object).where(frame[var].notna(), "")
    counts = pd.crosstab(country, gone)
    if True not in counts.columns:
        return
    empty = counts.index[(counts.get(False, 0) == 0) & (counts.index != "")].tolist()
    for c in empty:  # the rows themselves are in the ledger, each with its reason
        warnings.warn(f"{issues.file}: {var} {c}: all {int(counts.loc[c, True])} rows excluded, "
                      f"so {c} is left out of the analysis", stacklevel=3)


def _export_id(frame: pd.DataFrame, inst: Instrument, issues) -> pd.DataFrame:
    """Without the id column, an export's submission id (Kobo ``_uuid``, ODK ``KEY``) is used."""
    idcol = inst.layout.respondent_id
    kind = export_kind(frame.columns)
    fallback = {"kobo": "_uuid", "odk": "KEY"}.get(kind)
    if idcol in frame.columns or fallback is None or fallback not in frame.columns:
        return frame
    issues.add_file(fallback, None, "", f"no column {idcol!r}: the export's submission id "
                    f"{fallback!r} is the respondent id", NOTE)
    return frame.assign(**{idcol: frame[fallback]})


def _blank_rows(frame: pd.DataFrame, table: pd.DataFrame) -> np.ndarray:
    """The excluded rows (1-based) in which no cell holds anything: a blank line or an
    export's empty record, said as such rather than as every check it fails."""
    rows = np.unique(table.loc[table["action"] == EXCLUDED, "row"].dropna().to_numpy(int))
    if not len(rows):
        return rows
    return rows[frame.iloc[rows - 1].isna().all(axis=1).to_numpy()]


def _ledger(name: str, rows_in: int, table: pd.DataFrame, blank_rows=()) -> Ledger:
    exc = table[table["action"] == EXCLUDED]
    excluded = (exc.groupby("row", sort=True)
                .agg(line=("line", "first"), resp_id=("resp_id", "first"),
                     reason=("reason", "; ".join))
                .reset_index())
    if len(blank_rows):  # the checks it fails stay in the report
        excluded.loc[excluded["row"].isin(blank_rows), "reason"] = "blank row (no cell filled)"
    excluded["row"] = excluded["row"].astype(int)
    excluded["line"] = excluded["line"].astype(int)
    bad_rows = set(excluded["row"])
    warn = table[(table["action"] == SET_MISSING) & ~table["row"].isin(bad_rows)]
    warnings = warn[["row", "line", "resp_id", "column", "value", "expected", "problem"]]
    return Ledger(name, rows_in, excluded, warnings.reset_index(drop=True),
                  issues=table.drop(columns="reason"))


def _long_ledger(name: str, records: mapping.LongRecords, found: pd.DataFrame) -> Ledger:
    """The ledger of a long file: its rows are the records. A record is excluded when it is not
    used (its reason from the reading) or when its respondent is (the respondent's reasons);
    the report's rows and lines become the file's, each at the record it is about (for an
    answer, the record that gave it; else the respondent's first record)."""
    n = len(records.lines)
    exc = found[found["action"] == EXCLUDED]
    why = exc.groupby("row", sort=True)["reason"].agg("; ".join)  # respondent row -> reasons
    per_respondent = np.full(len(records.first) + 1, "", dtype=object)  # the last: no respondent
    per_respondent[why.index.to_numpy(int) - 1] = why.to_numpy(object)
    theirs = per_respondent[records.respondent]  # -1 (no id) takes the last, empty entry
    own = records.ignored
    reason = np.where((own != "") & (theirs != ""), own + "; " + theirs, own + theirs)
    out = np.flatnonzero(reason != "")
    excluded = pd.DataFrame({"row": out + 1, "line": records.lines[out],
                             "resp_id": records.ids[out], "reason": reason[out]})
    table = pd.concat([records.locate(found), records.report], ignore_index=True)
    table = table.sort_values("row", kind="stable", na_position="first").reset_index(drop=True)
    warn = table[(table["action"] == SET_MISSING) & ~table["row"].isin(set(out + 1))]
    warned = warn[["row", "line", "resp_id", "column", "value", "expected", "problem"]]
    return Ledger(name, n, excluded, warned.reset_index(drop=True),
                  issues=table.drop(columns="reason"), respondents=len(records.first),
                  respondents_excluded=len(why))


def _ids(col: pd.Series) -> np.ndarray:
    """Respondent ids as text: 17.0 from SPSS or Excel becomes '17'; text is kept as it is.

    Whole numbers are written out in full, so 16- to 19-digit ids (int64 in Parquet or Stata)
    stay distinct rather than all becoming '7e+18'.

    >>> _ids(pd.Series([7_000_000_000_000_000_001, 7_000_000_000_000_000_002])).tolist()
    ['7000000000000000001', '7000000000000000002']
    >>> _ids(pd.Series([17.0, 2.5, float("nan"), 1234567890123456.0])).tolist()
    ['17', '2.5', '', '1234567890123456']
    """
    if col.dtype != object:
        num = pd.to_numeric(col, errors="coerce")
        if pd.api.types.is_integer_dtype(num.dtype):  # int64, or nullable Int64: exact
            return num.astype(object).where(num.notna(), "").astype(str).to_numpy(object)
        x = num.to_numpy(dtype=float, na_value=np.nan)
        whole = np.isfinite(x) & (np.floor(x) == x) & (np.abs(x) < 2.0 ** 63)
        out = np.full(len(x), "", dtype=object)
        out[whole] = x[whole].astype(np.int64).astype(str)
        other = np.isfinite(x) & ~whole
        out[other] = np.char.mod("%.15g", x[other])
        return out
    if pd.api.types.infer_dtype(col, skipna=True) == "string":  # text ids: vectorised
        # every reader (and a data frame's path) strips text cells already (clean_cells)
        return col.fillna("").to_numpy(object)
    return col.map(mapping._id_text).to_numpy(object)


def _reverse_in_place(codes: np.ndarray, inst: Instrument) -> None:
    for j, (dim, item) in enumerate(inst.items()):
        if item.reverse:
            sc = inst.scales[dim.scale]
            np.subtract(sc.min + sc.max, codes[:, :, j], out=codes[:, :, j])


def with_roles(instrument: Instrument, roles: dict | None) -> Instrument:
    """The instrument with column roles (``{"country": "sta", "weight": "wgt"}``) in its layout.

    >>> import surveyindex as si
    >>> with_roles(si.load_instrument("favourability"), {"weight": "wgt"}).layout.weight
    'wgt'
    """
    if not roles:
        return instrument
    try:
        layout = Layout.model_validate({**instrument.layout.model_dump(), **dict(roles)})
        return Instrument.model_validate({**instrument.model_dump(by_alias=True),
                                          "layout": layout.model_dump()})
    except ValidationError as exc:
        what = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'roles'}: {e['msg']}"
                         for e in exc.errors()[:3])
        raise ResponseDataError(f"roles={dict(roles)!r}: {what} (roles are "
                                f"{', '.join(ROLES)} and item_column)") from None


def with_required(instrument: Instrument, required) -> Instrument:
    """The instrument with only the demographics in ``required`` required.

    >>> import surveyindex as si
    >>> inst = with_required(si.load_instrument("favourability"), ["country"])
    >>> [v for v, d in inst.demographics.items() if d.required], inst.weighting.margins
    (['country'], [])
    """
    if required is None:
        return instrument
    required = [required] if isinstance(required, str) else list(required)
    unknown = [v for v in required if v not in instrument.demographics]
    if unknown:
        raise ResponseDataError(f"required={required!r}: {unknown} not demographics of the "
                                f"instrument (they are {list(instrument.demographics)})")
    data = instrument.model_dump(by_alias=True)
    optional = set()
    for var, d in data["demographics"].items():
        d["required"] = var in required
        if not d["required"]:
            optional |= {var, *([d["groups"]["name"]] if d.get("groups") else [])}
    data["weighting"]["margins"] = [m for m in data["weighting"]["margins"] if m not in optional]
    return Instrument.model_validate(data)


def _role_columns(inst: Instrument, columns):
    """The column mapping with the file's country column renamed to the country demographic."""
    src = inst.layout.country
    var = next((v for v, d in inst.demographics.items() if d.type == "country"), None)
    if src is None or var is None or src == var:
        return columns
    table = mapping.mapping_table(columns)
    return {**table, src: table.get(src, var)}


def _respondents(kept: pd.DataFrame, inst: Instrument, ids: np.ndarray,
                 decimal: str) -> pd.DataFrame:
    out = pd.DataFrame({"resp_id": _text_ids(ids)})
    for var, spec in inst.demographics.items():
        col = kept[var]
        if spec.type == "country":
            out[var] = col.astype(str).array  # the codes' text, as to_numpy() gives it
        elif spec.type == "numeric":
            out[var] = col.to_numpy(dtype=float)
            if spec.groups is not None:
                g = spec.groups
                cut = pd.cut(out[var], bins=[*g.breaks, np.inf], labels=g.labels, right=False)
                out[g.name] = _spread([*cut.cat.categories.astype(object)], cut.cat.codes.to_numpy())
        else:
            x = col.to_numpy(dtype=float)
            # the code as text ("2"), made once per distinct code
            where, uniq = pd.factorize(x, use_na_sentinel=True)
            out[var] = _spread([str(int(v)) for v in uniq], where)
    if inst.layout.weight and inst.layout.weight in kept.columns:
        out["weight"] = to_number(kept[inst.layout.weight], decimal)
    # Design, wave and meta columns (and any other the instrument does not declare) keep their
    # names, numbers as numbers, so make_design(resp, psu="psu") and filters can use them.
    for c in kept.columns:
        if c not in out.columns and c not in inst.demographics:
            out[c] = _as_read(kept[c], decimal)
    return out


def _spread(values: list, where: np.ndarray):
    """``values[where]`` (-1: None) as the column pandas makes of that object array (its
    string dtype where it has one), typed once for the distinct values and then taken, rather
    than inferred over every cell.

    >>> s = pd.Series(_spread(["1", "2"], np.array([1, -1, 0])))
    >>> s.isna().tolist(), s.dropna().tolist()
    ([False, True, False], ['2', '1'])
    """
    table = pd.Series(np.array([*values, None], dtype=object))  # the dtype an object array gets
    return table.array.take(np.where(where < 0, len(values), where))


def _text_ids(ids: np.ndarray):
    """The ids (text) as the column ``pd.DataFrame({"resp_id": ids.astype(str)})`` makes, with
    pandas' string dtype built from the objects directly: no fixed-width copy in between. An id
    ending in NUL (which that copy drops) takes the copy's way."""
    dtype = pd.Series(np.array([""], dtype=str)).dtype
    if dtype == object:
        return ids.astype(str)
    col = pd.array(ids, dtype=dtype)
    return ids.astype(str) if pd.Series(col).str.endswith("\x00").any() else col


def _label(item) -> str:
    return str(getattr(item, "label", None) or getattr(item, "id", ""))


def _as_read(col: pd.Series, decimal: str):
    """A column numeric when every filled cell is a number, else as read."""
    if col.dtype != object:
        return col.to_numpy()
    x = to_number(col, decimal)
    filled = col.notna().to_numpy()
    return x if np.all(np.isfinite(x) | ~filled) else col.to_numpy(object)
