"""Export an instrument as an XLSForm, the spreadsheet form definition ODK, KoboToolbox, SurveyCTO
and Ona read.

The form asks the demographics, then one group of questions per target (the target loop expanded,
``{target}`` replaced by each target's name in each language). Question names are the response
file's column names (``USA_mor1``), so data collected with the form reads back with
:func:`surveyindex.read_responses` as KoboToolbox or ODK Central export it, with no options (group
paths in the headers and the servers' meta columns are recognised: :mod:`surveyindex.io.exports`).
With ``targets_per_respondent`` the device draws each respondent's subset: every target gets a
uniform random number, kept for the whole interview (``once(random())``), and its group is shown
when fewer than ``k`` other targets drew a smaller one, which shows exactly ``k`` targets.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pycountry

from ..errors import InstrumentError
from ..instrument import Instrument
from ._sheets import write_sheets

#: XML names, which XLSForm question and choice-list names must be.
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def xlsform_tables(instrument: Instrument) -> dict[str, pd.DataFrame]:
    """The ``survey``, ``choices`` and ``settings`` sheets of the instrument's XLSForm.

    Label columns are ``label::<Language> (<code>)`` for every language of the instrument, the
    form the XLSForm specification recommends; a text not translated into a language falls back
    to the instrument's own language.

    Examples
    --------
    >>> import surveyindex as si
    >>> t = xlsform_tables(si.load_instrument("favourability"))
    >>> list(t)
    ['survey', 'choices', 'settings']
    >>> t["survey"].loc[t["survey"]["name"] == "CHN_fav", ["type", "label::Spanish (es)"]].values.tolist()
    [['select_one scale_fav4', '¿Tiene usted una opinión muy favorable, algo favorable, algo desfavorable o muy desfavorable de China?']]
    """
    inst = instrument
    langs = inst.languages
    cols = [f"label::{language_name(lang)}" for lang in langs]
    survey: list[dict] = []
    choices: list[dict] = []

    def labels(default: str, translations: dict[str, str], fill=None) -> dict[str, str]:
        out = {}
        for lang, col in zip(langs, cols):
            text = translations.get(lang, default)
            out[col] = text if fill is None else text.replace("{target}", fill(lang))
        return out

    # Start and end times come back as meta columns; read_responses turns them into the
    # interview length the speeder rule uses.
    survey += [{"type": "start", "name": "start"}, {"type": "end", "name": "end"}]
    survey.append({"type": "calculate", "name": _name(inst.layout.respondent_id, "layout"),
                   "calculation": "once(uuid())"})
    for var, spec in inst.demographics.items():
        row = {"name": _name(var, "demographics"), "required": "yes",
               **labels(spec.label or var, {k: v.label for k, v in spec.translations.items()
                                            if v.label})}
        if spec.type == "country":
            row["type"] = "select_one countries"
            row["appearance"] = "autocomplete"
        elif spec.type == "categorical":
            row["type"] = f"select_one demo_{var}"
            for code, lab in spec.codes.items():
                tr = {lang: t.codes[code] for lang, t in spec.translations.items() if code in t.codes}
                choices.append({"list_name": f"demo_{var}", "name": str(code), **labels(lab, tr)})
        else:
            whole = all(v is None or float(v).is_integer() for v in (spec.min, spec.max))
            row["type"] = "integer" if whole else "decimal"
            bounds = [f". >= {spec.min:g}" if spec.min is not None else "",
                      f". <= {spec.max:g}" if spec.max is not None else ""]
            row["constraint"] = " and ".join(b for b in bounds if b)
        survey.append(row)

    targets = inst.targets
    subset = inst.targets_rated < len(targets)
    if subset:
        for t in targets:
            survey.append({"type": "calculate", "name": f"draw_{t.code}",
                           "calculation": "once(random())"})
    for t in targets:
        group = {"type": "begin_group", "name": _name(f"target_{t.code}", "targets"),
                 "appearance": "field-list", **labels(t.name, t.translations)}
        if subset:
            smaller = " + ".join(f"if(${{draw_{o.code}}} < ${{draw_{t.code}}}, 1, 0)"
                                 for o in targets if o is not t)
            group["relevant"] = f"({smaller}) < {inst.targets_rated}"
        survey.append(group)

        def name_of(lang, t=t):
            return t.translations.get(lang, t.name)

        questions = [(it, d.scale) for d, it in inst.items()]
        questions += [(s, s.scale) for s in inst.single_items]
        for q, scale in questions:
            survey.append({"type": f"select_one scale_{scale}", "required": "yes",
                           "name": _name(inst.column(t.code, q.id), "layout.item_column"),
                           **labels(q.text, q.translations, fill=name_of)})
        survey.append({"type": "end_group", "name": f"target_{t.code}"})

    used = {d.scale for d in inst.dimensions} | {s.scale for s in inst.single_items}
    for sid, scale in inst.scales.items():
        if sid not in used:
            continue
        for code in scale.codes:
            choices.append({"list_name": f"scale_{sid}", "name": str(code),
                            **{col: scale.label(code, lang) for lang, col in zip(langs, cols)}})
    if any(d.type == "country" for d in inst.demographics.values()):
        for c in sorted(pycountry.countries, key=lambda c: c.name):
            choices.append({"list_name": "countries", "name": c.alpha_3,
                            **{col: c.name for col in cols}})

    settings = pd.DataFrame([{"form_title": inst.title, "form_id": inst.id,
                              "version": inst.version, "default_language": cols[0][7:]}])
    survey_cols = ["type", "name", *cols, "required", "constraint", "relevant", "calculation",
                   "appearance"]
    return {
        "survey": pd.DataFrame(survey, columns=survey_cols),
        "choices": pd.DataFrame(choices, columns=["list_name", "name", *cols]),
        "settings": settings,
    }


def write_xlsform(instrument: Instrument, path: str | Path) -> Path:
    """Write the instrument's XLSForm workbook to ``path`` (``.xlsx``) and return the path.

    Examples
    --------
    >>> import tempfile, surveyindex as si
    >>> from pathlib import Path
    >>> out = write_xlsform(si.load_instrument("softpower"), Path(tempfile.mkdtemp()) / "f.xlsx")
    >>> out.name
    'f.xlsx'
    """
    return write_sheets(xlsform_tables(instrument), path, what="XLSForm")


def language_name(code: str) -> str:
    """``"Spanish (es)"``: the XLSForm's recommended name of a language.

    >>> language_name("pt-BR")
    'Portuguese (pt-BR)'
    """
    base = code.split("-")[0]
    lang = pycountry.languages.get(alpha_2=base) if len(base) == 2 else None
    lang = lang or pycountry.languages.get(alpha_3=base)
    return f"{lang.name if lang else code} ({code})"


def _name(name: str, key: str) -> str:
    if not _XML_NAME.match(name):
        raise InstrumentError(
            f"{key}: {name!r} cannot be a question name in an XLSForm; names must start with a "
            "letter or underscore and hold only letters, digits, '_', '.' or '-'"
        )
    return name

