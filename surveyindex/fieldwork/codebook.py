"""The instrument as a codebook: one row per variable of the response file, with DDI-like fields
(name, question text, value labels, missing values, universe), the value sets, the audiences and
the instrument's settings.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..instrument import Audience, Condition, Instrument
from ._sheets import write_sheets


def codebook_tables(instrument: Instrument) -> dict[str, pd.DataFrame]:
    """The codebook's tables: ``Variables``, ``Codes``, ``Audiences`` and ``Instrument``.

    ``Variables`` has one row per column of a wide response file, in file order: variable,
    question (``{target}`` filled in), kind, target, item, dimension, scale (its id or value set),
    valid (range), codes (value labels), missing (missing codes), reverse, weight, universe.

    Examples
    --------
    >>> import surveyindex as si
    >>> t = codebook_tables(si.load_instrument("softpower"))
    >>> row = t["Variables"].set_index("variable").loc["CHN_mor4"]
    >>> row["question"], row["dimension"], row["reverse"], row["missing"]
    ('China uses its power only to serve its own interests.', 'morality', 'yes', "8 = Don't know; 9 = Refused")
    """
    inst = instrument
    rated = inst.targets_rated
    universe = ("all respondents" if rated == len(inst.targets) else
                f"respondents shown this target ({rated} of {len(inst.targets)}, drawn at random)")
    rows = [{"variable": inst.layout.respondent_id, "question": "Respondent identifier",
             "kind": "identifier", "universe": "all respondents"}]
    for var, spec in inst.demographics.items():
        row = {"variable": var, "question": spec.label, "kind": f"demographic ({spec.type})",
               "universe": "all respondents"}
        if spec.codes:
            row.update(scale=f"demo_{var}", codes=_labels(spec.codes))
        if spec.min is not None or spec.max is not None:
            row["valid"] = f"{_num(spec.min)}-{_num(spec.max)}"
        rows.append(row)
        if spec.groups is not None:
            g = spec.groups
            rows.append({"variable": g.name, "question": f"{spec.label or var}, grouped",
                         "kind": "derived group", "universe": "all respondents",
                         "codes": "; ".join(g.labels),
                         "valid": f"from {var}: breaks {', '.join(_num(b) for b in g.breaks)}"})
    items = [(d.id, it, d.scale) for d, it in inst.items()]
    items += [("", s, s.scale) for s in inst.single_items]
    for t in inst.targets:
        for dim, it, sid in items:
            scale = inst.scales[sid]
            rows.append({
                "variable": inst.column(t.code, it.id), "question": it.text.replace("{target}", t.name),
                "kind": "item" if dim else "single item", "target": t.code, "item": it.id,
                "dimension": dim, "scale": sid, "valid": f"{scale.min}-{scale.max}",
                "codes": _labels(scale.labels), "missing": _labels(scale.missing),
                "reverse": "yes" if getattr(it, "reverse", False) else "no",
                "weight": getattr(it, "weight", None), "universe": universe,
            })
    variables = pd.DataFrame(rows, columns=["variable", "question", "kind", "target", "item",
                                            "dimension", "scale", "valid", "codes", "missing",
                                            "reverse", "weight", "universe"])
    return {"Variables": variables, "Codes": _codes(inst), "Audiences": _audiences(inst),
            "Instrument": _settings(inst)}


def write_codebook(instrument: Instrument, path: str | Path) -> Path:
    """Write the codebook workbook (one sheet per table of :func:`codebook_tables`).

    Examples
    --------
    >>> import tempfile, openpyxl, surveyindex as si
    >>> from pathlib import Path
    >>> out = write_codebook(si.load_instrument("nationbrand"), Path(tempfile.mkdtemp()) / "cb.xlsx")
    >>> openpyxl.load_workbook(out).sheetnames
    ['Variables', 'Codes', 'Audiences', 'Instrument']
    """
    return write_sheets(codebook_tables(instrument), path, what="codebook")


def describe_audience(instrument: Instrument, name: str) -> str:
    """An audience's definition in words.

    >>> import surveyindex as si
    >>> describe_audience(si.load_instrument("favourability"), "young_or_educated")
    'any of (under_30, post_secondary)'
    """
    aud: Audience = instrument.audiences[name]
    parts = [_condition(var, c) for var, c in aud.filter.items()]
    if aud.all_of:
        parts.append(f"all of ({', '.join(aud.all_of)})")
    if aud.any_of:
        parts.append(f"any of ({', '.join(aud.any_of)})")
    return " and ".join(parts) or "everyone"


# -- helpers ------------------------------------------------------------------------------------

def _codes(inst: Instrument) -> pd.DataFrame:
    langs = inst.languages[1:]
    rows = []
    for sid, scale in inst.scales.items():
        for code in scale.codes:
            rows.append({"value_set": sid, "code": code, "label": scale.label(code),
                         "missing": "yes" if code in scale.missing else "no",
                         **{f"label_{lang}": scale.translations.get(lang, {}).get(code)
                            for lang in langs}})
    for var, spec in inst.demographics.items():
        for code, lab in (spec.codes or {}).items():
            rows.append({"value_set": f"demo_{var}", "code": code, "label": lab, "missing": "no",
                         **{f"label_{lang}": spec.translations[lang].codes.get(code)
                            if lang in spec.translations else None for lang in langs}})
    return pd.DataFrame(rows, columns=["value_set", "code", "label", "missing",
                                       *[f"label_{lang}" for lang in langs]])


def _audiences(inst: Instrument) -> pd.DataFrame:
    rows = [{"audience": "all", "label": "Everyone", "definition": "everyone"}]
    rows = [r for r in rows if "all" not in inst.audiences]
    rows += [{"audience": name, "label": a.label, "definition": describe_audience(inst, name)}
             for name, a in inst.audiences.items()]
    return pd.DataFrame(rows, columns=["audience", "label", "definition"])


def _settings(inst: Instrument) -> pd.DataFrame:
    s, x = inst.scoring, inst.index
    pairs = [
        ("id", inst.id), ("version", inst.version), ("title", inst.title),
        ("description", inst.description.strip()), ("languages", ", ".join(inst.languages)),
        ("targets", ", ".join(inst.target_codes)),
        ("targets per respondent", inst.targets_rated),
        ("scoring", s.method), ("minimum valid items", s.min_valid_items),
        ("top box", _list(s.top_box)), ("bottom box", _list(s.bottom_box)),
        ("don't know in base", "yes" if s.dont_know_in_base else "no"),
        ("refused in base", "yes" if s.refused_in_base else "no"),
        ("index scale", f"{_num(x.scale[0])}-{_num(x.scale[1])}"),
        ("dimension weights", x.dimension_weights if isinstance(x.dimension_weights, str)
         else "; ".join(f"{k} = {v:g}" for k, v in x.dimension_weights.items())),
        ("aggregation", x.aggregation), ("across countries", x.cross_country),
        ("weighting", f"rake within {inst.weighting.by} to {', '.join(inst.weighting.margins)}"
         if inst.weighting.margins else "none"),
    ]
    return pd.DataFrame(pairs, columns=["setting", "value"]).astype({"value": object})


def _condition(var: str, c: Condition) -> str:
    out = []
    if c.min is not None or c.max is not None:
        lo = "" if c.min is None else f"{_num(c.min)} <= "
        hi = "" if c.max is None else f" <= {_num(c.max)}"
        out.append(f"{lo}{var}{hi}")
    if c.in_ is not None:
        out.append(f"{var} in {_list(c.in_)}")
    if c.not_in is not None:
        out.append(f"{var} not in {_list(c.not_in)}")
    return " and ".join(out)


def _labels(d: dict[int, str] | None) -> str:
    return "; ".join(f"{k} = {v}" for k, v in (d or {}).items())


def _list(v) -> str:
    if v is None:
        return ""
    return v if isinstance(v, str) else "[" + ", ".join(str(x) for x in v) + "]"


def _num(v) -> str:
    return "" if v is None else f"{v:g}"
