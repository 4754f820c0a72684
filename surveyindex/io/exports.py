"""Files exported by KoboToolbox and ODK Central: group paths in headers, meta columns, labels.

Data collected with the instrument's own XLSForm (:func:`surveyindex.fieldwork.write_xlsform`) comes
back with each question under its group's path and with the server's meta columns beside the
answers. The shapes handled (as the tools' documentation and code describe them):

- KoboToolbox CSV/XLSX exports: group paths joined with ``/`` by default ("include groups in
  headers", group separator ``/``; any separator is recognised), or question labels as headers when
  exported with labels ("Labels" header format, in any of the form's languages); meta columns
  ``start``, ``end``, ``_id``, ``_uuid``, ``_submission_time``, ``_validation_status``,
  ``_notes``, ``_status``, ``_submitted_by``, ``__version__``, ``_tags``, ``_index``.
- ODK Central CSV: group paths joined with ``-`` (``target_USA-USA_mor1``), ``SubmissionDate``
  first, ``meta-instanceID`` where the form's meta group is, then ``KEY``, ``SubmitterID``,
  ``SubmitterName``, ``AttachmentsPresent``, ``AttachmentsExpected``, ``Status``,
  ``ReviewState``, ``DeviceID``, ``Edits``, ``FormVersion``.

Headers are renamed to the instrument's column names (the report notes how many); meta columns
keep their names and stay available as respondent attributes; with ``start`` and ``end`` (or the
submission time) the interview length in seconds becomes the column ``interview_seconds``, which the
speeder rule uses when no other duration column is declared.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pycountry

from ..instrument import Instrument
from .recode import normalise

KOBO_META = ("start", "end", "today", "deviceid", "username", "_id", "_uuid", "_submission_time",
             "_validation_status", "_notes", "_status", "_submitted_by", "__version__", "_tags",
             "_index", "meta/instanceID", "formhub/uuid", "meta/rootUuid", "meta/deprecatedID")
ODK_META = ("SubmissionDate", "meta-instanceID", "meta-instanceName", "KEY", "SubmitterID",
            "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status", "ReviewState",
            "DeviceID", "Edits", "FormVersion")
#: The derived interview length (seconds from ``start`` to ``end`` or the submission).
DURATION = "interview_seconds"
_SEPARATORS = "/-.:"


def export_kind(columns) -> str | None:
    """``"kobo"``, ``"odk"`` or None: which tool's meta columns the header has.

    >>> export_kind(["start", "target_USA/USA_fav", "_id", "_uuid", "_submission_time"])
    'kobo'
    >>> export_kind(["SubmissionDate", "USA_fav", "meta-instanceID", "KEY"]), export_kind(["a"])
    ('odk', None)
    """
    cols = set(map(str, columns))
    if {"_uuid", "_submission_time"} <= cols or {"_id", "_uuid"} <= cols:
        return "kobo"
    if "KEY" in cols and ("SubmissionDate" in cols or "meta-instanceID" in cols):
        return "odk"
    return None


def header_names(columns, inst: Instrument) -> dict[str, str]:
    """File header -> instrument column, for headers carrying a group path or a question label.

    A header that already is an instrument column is left alone. Otherwise the longest tail after
    a separator (``/``, ``-``, ``.``, ``:``) that names a column is taken (``target_USA/USA_fav``,
    ``target_USA-USA_fav``), and failing that the header is compared with the questions' labels in
    every language of the form, alone or under their group's label. Tails or labels that two
    headers share are not renamed (the missing-column check then names them).

    >>> import surveyindex as si
    >>> inst = si.load_instrument("favourability")
    >>> header_names(["resp_id", "target_USA/USA_fav", "target_CHN-CHN_fav", "Gender"], inst)
    {'target_USA/USA_fav': 'USA_fav', 'target_CHN-CHN_fav': 'CHN_fav', 'Gender': 'gender'}
    """
    wanted, labels = _form_names(inst)
    out: dict[str, str] = {}
    for c in map(str, columns):
        if c in wanted:
            continue
        name = next((c[m.end():] for m in re.finditer(f"[{re.escape(_SEPARATORS)}]", c)
                     if c[m.end():] in wanted), None)
        if name is None:
            name = labels.get(normalise(c))
        if name is not None:
            out[c] = name
    taken = pd.Series(list(out.values()))
    clash = set(taken[taken.duplicated()]) | (set(out.values()) & set(map(str, columns)))
    return {k: v for k, v in out.items() if v not in clash}


def _form_names(inst: Instrument) -> tuple[set[str], dict[str, str]]:
    """The form's question names, and normalised label (and group/label) -> name."""
    from ..errors import InstrumentError
    from ..fieldwork import xlsform_tables  # fieldwork depends on io for nothing

    try:
        survey = xlsform_tables(inst)["survey"]
    except InstrumentError:  # names no form could carry: no export of this instrument exists
        return set(), {}
    label_cols = [c for c in survey.columns if c.startswith("label::")]
    wanted = set(survey["name"].dropna().astype(str))
    labels: dict[str, str] = {}
    ambiguous: set[str] = set()
    group: list[str] = []
    for _, row in survey.iterrows():
        kind, name = str(row["type"]), str(row["name"])
        texts = [str(row[c]) for c in label_cols if isinstance(row[c], str)]
        if kind == "begin_group":
            group = texts
            continue
        if kind == "end_group":
            group = []
            continue
        keys = {normalise(t) for t in texts}
        keys |= {normalise(f"{g}{sep}{t}") for g in group for t in texts for sep in "/-"}
        for k in keys:
            if k in labels and labels[k] != name:
                ambiguous.add(k)
            labels[k] = name
    return wanted, {k: v for k, v in labels.items() if k not in ambiguous}


def interview_seconds(frame: pd.DataFrame, kind: str | None) -> np.ndarray | None:
    """Seconds from ``start`` to ``end`` (or to the submission time); None without them.

    >>> f = pd.DataFrame({"start": ["2024-05-01T10:00:00.000+02:00"],
    ...                   "end": ["2024-05-01T10:12:30.000+02:00"]})
    >>> interview_seconds(f, "kobo").tolist()
    [750.0]
    """
    found = interview_length(frame)
    return None if found is None else found[0]


def interview_length(frame: pd.DataFrame) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """Seconds from ``start`` to ``end`` (or to the submission time), and for each of the two
    columns the rows whose cell is filled but not a date and time (NaN seconds there: the
    length is unknown, which the read warns about and the speeder rule flags); None without
    the columns. A blank cell leaves the length blank, as a blank duration cell does.

    >>> f = pd.DataFrame({"start": ["2024-05-01T10:00:00+02:00", "05/01/2024 10:00"],
    ...                   "end": ["2024-05-01T10:12:30+02:00", "2024-05-01T10:12:30+02:00"]})
    >>> seconds, bad = interview_length(f)
    >>> seconds.tolist(), {c: m.tolist() for c, m in bad.items()}
    ([750.0, nan], {'start': [False, True]})
    """
    stop = next((c for c in ("end", "_submission_time", "SubmissionDate") if c in frame.columns),
                None)
    if "start" not in frame.columns or stop is None:
        return None
    times, bad = {}, {}
    for col in ("start", stop):
        times[col] = pd.to_datetime(frame[col], errors="coerce", utc=True, format="ISO8601")
        unread = (times[col].isna() & frame[col].notna()).to_numpy()
        if unread.any():
            bad[col] = unread
    seconds = (times[stop] - times["start"]).dt.total_seconds().to_numpy(dtype=float)
    return seconds, bad


def country_codes(col: pd.Series) -> pd.Series:
    """Country names (the form's choice labels, in a labelled export) as ISO 3166 alpha-3 codes.

    Only exports get this: elsewhere a name in the country column is an error to report.

    >>> country_codes(pd.Series([" BRA", "United States", "Viet Nam", "Atlantis"])).tolist()
    [' BRA', 'USA', 'VNM', 'Atlantis']
    """
    text = col.astype(str).str.strip().str.casefold()
    found = text.map(_BY_NAME)
    return col.where(found.isna() | col.isna(), found)


_BY_NAME = {name.casefold(): c.alpha_3 for c in pycountry.countries
            for name in {c.name, getattr(c, "common_name", c.name)}}
