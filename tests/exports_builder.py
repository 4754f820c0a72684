"""Build KoboToolbox and ODK Central exports of a bundled instrument's own XLSForm (test helper).

The group paths come from the form as pyxform compiles it (each question's XPath below the root),
the values from the XLSForm's choices sheet, so an export is what the servers would write for data
collected with :func:`surveyindex.fieldwork.write_xlsform`. Header shapes, from the tools' sources:

- KoboToolbox: group path joined by ``/`` ("include groups in headers", group separator "/", the
  defaults of the KPI export API: KoboconnectR ``kobo_export_create(include_grp="true",
  grp_sep="/")``, https://rdrr.io/cran/KoboconnectR/man/kobo_export_create.html); the meta block
  ``_id, _uuid, _submission_time, _validation_status, _notes, _status, _submitted_by,
  __version__, _tags, _index`` after the questions (kobotoolbox/kpi#2517: ``__version__`` "at the
  beginning of the metadata section", with ``_notes``, ``_tags``, ``_submitted_by``, ``_status``);
  CSV delimited by ``;`` (KoboconnectR ``fsep=";"``); labels as headers and values with the
  "Labels" format (``lang="_xml"`` gives XML names instead).
- ODK Central ``submissions.csv``: ``SubmissionDate`` first, the form's fields with group paths
  joined by ``-`` (``g1-q2``), ``meta-instanceID`` where the meta group sits, then ``KEY,
  SubmitterID, SubmitterName, AttachmentsPresent, AttachmentsExpected, Status, ReviewState,
  DeviceID, Edits, FormVersion`` (getodk/central-backend test/integration/api/submissions.js;
  central-backend#169 added SubmitterID/SubmitterName, #432 FormVersion; ODK Briefcase's
  export-format.md documents SubmissionDate ... KEY).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from surveyindex.fieldwork.xlsform import write_xlsform, xlsform_tables

KOBO_META = ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
             "_submitted_by", "__version__", "_tags", "_index"]
ODK_TAIL = ["KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected",
            "Status", "ReviewState", "DeviceID", "Edits", "FormVersion"]


def plain_file(inst, n: int = 40, seed: int = 0) -> pd.DataFrame:
    """Answers as codes under the instrument's column names, blanks and missing codes included."""
    rng = np.random.default_rng(seed)
    out = {inst.layout.respondent_id: [f"uuid:{seed:02d}-{i:04d}" for i in range(n)]}
    for var, d in inst.demographics.items():
        if d.type == "country":
            out[var] = rng.choice(["BRA", "FRA", "JPN", "NGA"], n)
        elif d.type == "numeric":
            out[var] = rng.integers(int(d.min or 18), int(d.max or 90) + 1, n).astype(str)
        else:
            out[var] = rng.choice([str(c) for c in d.codes], n)
    shown = np.ones((n, len(inst.targets)), bool)
    if inst.targets_rated < len(inst.targets):
        draw = rng.random((n, len(inst.targets)))
        shown = draw.argsort(axis=1).argsort(axis=1) < inst.targets_rated
    questions = [(it.id, d.scale) for d, it in inst.items()]
    questions += [(s.id, s.scale) for s in inst.single_items]
    for t, target in enumerate(inst.targets):
        for qid, scale in questions:
            codes = np.array([str(c) for c in inst.scales[scale].codes] + [""], dtype=object)
            cells = rng.choice(codes, n)
            out[inst.column(target.code, qid)] = np.where(shown[:, t], cells, "")
    return pd.DataFrame(out)


_FIELDS: dict[str, list] = {}


def form_fields(inst) -> list[tuple[str, str]]:
    """(name, path below the root with '/') of every field of the compiled form, in form order."""
    if inst.id not in _FIELDS:
        _FIELDS[inst.id] = _compiled_fields(inst)
    return _FIELDS[inst.id]


def _compiled_fields(inst) -> list[tuple[str, str]]:
    from pyxform.builder import create_survey_from_xls

    path = write_xlsform(inst, Path(tempfile.mkdtemp()) / f"{inst.id}.xlsx")
    survey = create_survey_from_xls(str(path))
    root = survey.get_xpath()
    out = []
    for e in survey.iter_descendants():
        if e is survey or type(e).__name__ == "GroupedSection":
            continue
        out.append((e.name, e.get_xpath()[len(root) + 1:]))
    return out


def _labels(inst, language: str | None = None):
    """Question name -> (group label, label) and list name -> {choice name: label}."""
    t = xlsform_tables(inst)
    col = next(c for c in t["survey"].columns if c.startswith("label::")
               and (language is None or c.endswith(f"({language})")))
    names, group = {}, ""
    for _, row in t["survey"].iterrows():
        if row["type"] == "begin_group":
            group = row[col]
        elif row["type"] == "end_group":
            group = ""
        elif isinstance(row[col], str):
            names[row["name"]] = (group, row[col], str(row["type"]))
    choices = {ln: dict(zip(g["name"], g[col])) for ln, g in t["choices"].groupby("list_name")}
    return names, choices


def _times(n: int, rng) -> tuple[list[str], list[str], list[str]]:
    t0 = pd.Timestamp("2024-05-01T09:00:00+02:00") + pd.to_timedelta(rng.integers(0, 86400, n), "s")
    t1 = t0 + pd.to_timedelta(rng.integers(300, 1500, n), "s")
    t2 = t1 + pd.to_timedelta(rng.integers(5, 600, n), "s")
    iso = [x.isoformat(timespec="milliseconds") for x in t0], [
        x.isoformat(timespec="milliseconds") for x in t1]
    return iso[0], iso[1], [x.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S") for x in t2]


def kobo_export(inst, plain: pd.DataFrame, labels: bool = False, seed: int = 0,
                language: str | None = None) -> pd.DataFrame:
    """The KoboToolbox export of ``plain``: XML names with group paths, or labels (in
    ``language``, default the form's first)."""
    rng = np.random.default_rng(seed + 100)
    n = len(plain)
    start, end, submitted = _times(n, rng)
    names, choices = _labels(inst, language)
    cols = {}
    for name, path in form_fields(inst):
        if name == "instanceID":
            continue  # Kobo shows the instance id as _uuid
        if name in ("start", "end"):
            values = start if name == "start" else end
        elif name in plain.columns:
            values = plain[name].to_numpy(object)
        else:
            values = rng.random(n).round(6).astype(str)  # draw_* calculates
        header = path
        if labels and name in names:
            group, label, kind = names[name]
            header = f"{group}/{label}" if "/" in path else label
            if kind.startswith("select_one "):
                lookup = choices[kind.split(" ", 1)[1]]
                values = np.array([lookup.get(v, v) if v else v for v in values], dtype=object)
        cols[header] = values
    frame = pd.DataFrame(cols)
    meta = {"_id": np.arange(1000, 1000 + n), "_uuid": [s.removeprefix("uuid:") + "-k"
                                                       for s in plain[inst.layout.respondent_id]],
            "_submission_time": submitted, "_validation_status": "", "_notes": "",
            "_status": "submitted_via_web", "_submitted_by": "", "__version__": "vH2Gk4Lq",
            "_tags": "", "_index": np.arange(1, n + 1)}
    return pd.concat([frame, pd.DataFrame(meta)], axis=1)


def odk_export(inst, plain: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """The ODK Central ``submissions.csv`` of ``plain`` (group paths joined by '-')."""
    rng = np.random.default_rng(seed + 200)
    n = len(plain)
    start, end, submitted = _times(n, rng)
    cols = {"SubmissionDate": [s + ".000Z" for s in submitted]}
    for name, path in form_fields(inst):
        if name in ("start", "end"):
            values = start if name == "start" else end
        elif name == "instanceID":
            values = plain[inst.layout.respondent_id].to_numpy(object)
        elif name in plain.columns:
            values = plain[name].to_numpy(object)
        else:
            values = rng.random(n).round(6).astype(str)
        cols[path.replace("/", "-")] = values
    tail = {"KEY": plain[inst.layout.respondent_id].to_numpy(object), "SubmitterID": "5",
            "SubmitterName": "enumerator1", "AttachmentsPresent": "0", "AttachmentsExpected": "0",
            "Status": "", "ReviewState": rng.choice(["", "approved", "hasIssues"], n),
            "DeviceID": "collect:Xk3pQ", "Edits": "0", "FormVersion": inst.version}
    return pd.concat([pd.DataFrame(cols), pd.DataFrame(tail, index=range(n))], axis=1)
