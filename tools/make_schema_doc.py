"""Write docs/instrument.md, the instrument schema reference, from the pydantic models.

    python tools/make_schema_doc.py          # rewrite the page
    python tools/make_schema_doc.py --check  # exit 1 if the committed page is out of date

The key tables come from the models' fields (type, default, description), the example instrument
is checked by tests/test_instrument_docs.py, and the error shown is the loader's real message.
"""

from __future__ import annotations

import sys
import tempfile
import types
import typing
from pathlib import Path

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "instrument.md"
sys.path.insert(0, str(ROOT))

from surveyindex.errors import InstrumentError  # noqa: E402
from surveyindex.instrument import load_instrument, parts  # noqa: E402
from surveyindex.instrument.schema import Instrument  # noqa: E402

MODELS = [Instrument, parts.Scale, parts.Target, parts.Dimension, parts.Item, parts.SingleItem,
          parts.Demographic, parts.Groups, parts.DemographicText, parts.Audience, parts.Condition,
          parts.Layout, parts.Weighting, parts.Scoring, parts.IndexSettings]

EXAMPLE = """\
id: trust_demo
version: "0.1.0"
title: Trust in two neighbours
language: en

scales:
  agree5:
    min: 1
    max: 5
    labels: {1: Strongly disagree, 3: Neither, 5: Strongly agree}
    missing: {8: Don't know, 9: Refused}
    translations:
      es: {1: Muy en desacuerdo, 3: Ni uno ni otro, 5: Muy de acuerdo, 8: No sabe, 9: No responde}

targets:
  - {code: ARG, name: Argentina, translations: {es: Argentina}}
  - {code: CHL, name: Chile, translations: {es: Chile}}
  - {code: URY, name: Uruguay, translations: {es: Uruguay}}
targets_per_respondent: 2          # each respondent rates 2 of the 3, drawn at random

dimensions:
  - id: trust
    label: Trust
    translations: {es: Confianza}
    scale: agree5
    items:
      - id: tr1
        text: "{target} keeps its promises."
        translations: {es: "{target} cumple sus promesas."}
      - id: tr2
        text: "{target} cannot be relied on."
        translations: {es: "No se puede confiar en {target}."}
        reverse: true
        weight: 0.5                # counts half as much as tr1 in the trust score

demographics:
  country: {type: country, label: Country of residence}
  age:
    type: numeric
    label: Age
    min: 18
    max: 99
    groups: {name: age_group, breaks: [18, 35, 55], labels: ["18-34", "35-54", "55+"]}
  education:
    type: categorical
    label: Education
    codes: {1: Primary, 2: Secondary, 3: Tertiary}

audiences:
  young: {label: "18-34", filter: {age: {max: 34}}}
  tertiary: {label: Tertiary educated, filter: {education: {in: [3]}}}
  young_tertiary: {label: "Tertiary educated 18-34", all_of: [young, tertiary]}
  young_or_tertiary: {label: "18-34 or tertiary", any_of: [young, tertiary]}
  not_chile: {label: Outside Chile, filter: {country: {not_in: [CHL]}}}

weighting: {by: country, margins: [age_group, education]}
scoring: {method: top_box, top_box: [4, 5], min_valid_items: 1}
index: {scale: [0, 100], cross_country: median}
"""

INTRO = """\
# Instrument reference

An instrument is one YAML file that describes a questionnaire from fieldwork to index: the
response scales, the targets respondents rate, the dimensions and their items, the demographics,
the audiences reported, and the default weighting, scoring and index settings. The same file
drives `surveyindex instrument export` (an XLSForm for ODK/KoboToolbox and a codebook),
`surveyindex design-sample`, reading the responses and computing the index.

This page is generated from the schema itself by `tools/make_schema_doc.py`; a test fails when it
is out of date. The bundled instruments are complete examples: `instruments/softpower.yaml` (five
dimensions, reverse-keyed items), `instruments/favourability.yaml` (one four-point favourability
item in the Pew Global Attitudes style, top-box scoring with don't know in the base, English,
Spanish and French texts) and `instruments/nationbrand.yaml` (six dimensions on a 1-7 scale, each
respondent rating 5 of 20 countries).

```bash
surveyindex instrument check my_survey.yaml
surveyindex instrument export my_survey.yaml --xlsform form.xlsx --codebook codebook.xlsx
surveyindex design-sample --moe 0.03 --deff 1.5 --instrument my_survey.yaml --audience young=0.3
```

## A complete small instrument

```yaml
{example}```

## How the parts fit

- **Columns.** A wide response file has one column per target and item, named by
  `layout.item_column` (`ARG_tr1`), one per demographic, and the respondent id. The XLSForm export
  uses the same names, so collected data reads back directly (export it without group names).
- **Codes.** Higher valid codes mean a better perception; items worded the other way are marked
  `reverse: true` and recoded `min + max - x`. Missing codes lie outside `min..max`; a missing
  code whose label contains "refus" is a refusal, any other a don't know.
- **Planned missingness.** With `targets_per_respondent: k`, each respondent rates `k` targets
  drawn at random; unrated targets are blank in the data. The XLSForm draws them on the device
  and `design-sample` scales sample sizes by `targets / k`.
- **Audiences.** `filter` conditions all hold (AND); `all_of` intersects named audiences and
  `any_of` unites them, so any combination of ages, countries (lists or `country_groups` such as
  `G20`, in or `not_in`) and education levels can be named once and reused. `all` is always
  defined. A respondent missing a filter variable is outside the audience.
- **Scoring.** Box codes (`top_box`, `bottom_box`) are codes of the scored scale, after reverse
  keying. `dont_know_in_base: true` keeps don't-know answers in the base of shares.
- **Translations.** Every text has an optional `translations` mapping from a language code to
  the text; the XLSForm gets one `label::<Language> (<code>)` column per language, falling back to
  the instrument's language where a translation is missing (`instrument check` lists these).

## Errors

A broken instrument is reported with the file, the line, the key path and what was expected.
For example, `scale: agree7` in a dimension of the example above, with no such scale:

```
{error}
```

"""


def render() -> str:
    """The reference page, as markdown."""
    out = INTRO.replace("{example}", EXAMPLE).replace("{error}", _example_error())
    for model in MODELS:
        out += _section(model)
    return out.rstrip() + "\n"


def _section(model: type[BaseModel]) -> str:
    doc = " ".join((model.__doc__ or "").strip().split("\n\n")[0].split())
    doc = doc.split(" >>> ")[0].replace("``", "`")
    lines = [f"## {model.__name__}", "", doc, "", "| key | type | default | meaning |",
             "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        key = field.alias or name
        default = "**required**" if field.is_required() else _default(field)
        desc = (field.description or "").replace("|", "\\|")
        lines.append(f"| `{key}` | {_type(field.annotation)} | {default} | {desc} |")
    return "\n".join(lines) + "\n\n"


def _default(field) -> str:
    value = field.get_default(call_default_factory=True)
    if value is PydanticUndefined or value is None:
        return ""
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, (dict, list, str)) and not value:
        return "empty"
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, bool):
        value = str(value).lower()
    return f"`{value}`"


def _type(tp) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return _type(args[0])
    if origin in (typing.Union, types.UnionType):
        kinds = [_type(a) for a in args if a is not type(None)]
        return " or ".join(kinds)
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list of {_type(args[0])}"
    if origin is tuple:
        return f"pair of {_type(args[0])}"
    if origin is dict:
        return f"mapping {_type(args[0])} → {_type(args[1])}"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return f"[{tp.__name__}](#{tp.__name__.lower()})"
    return {str: "text", int: "integer", float: "number", bool: "true/false"}.get(tp, str(tp))


def _example_error() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trust_demo.yaml"
        path.write_text(EXAMPLE.replace("    scale: agree5\n    items:", "    scale: agree7\n    items:"),
                        encoding="utf-8")
        try:
            load_instrument(path)
        except InstrumentError as exc:
            return str(exc).replace(str(path), "trust_demo.yaml")
    raise RuntimeError("the broken example instrument loaded without error")


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not PAGE.exists() or PAGE.read_text(encoding="utf-8") != text:
            print(f"{PAGE} is out of date: run python tools/make_schema_doc.py", file=sys.stderr)
            return 1
        return 0
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
