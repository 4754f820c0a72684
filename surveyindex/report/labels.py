"""Labels for readers beside the codes machines use: countries, targets, audiences, dimensions, items.

Country names come from ISO 3166 (pycountry: its common name where it has one, "South Korea"
rather than "Korea, Republic of"), in the report language when pycountry has that translation.
Target names, dimension labels and item wording come from the instrument, in its translation into
the report language when one is chosen; audience labels from the instrument. A code with no label
is shown as it is, so nothing is ever blank.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass, field

import pandas as pd
import pycountry

from ..errors import ReportError

#: Label of the composite "measure" of the comparison tables.
COMPOSITE = {"composite": "Composite index"}


@dataclass(frozen=True)
class Labels:
    """Code -> label maps for the report; build one with :meth:`from_instrument`.

    >>> lab = Labels(targets={"USA": "United States"})
    >>> lab.country("DEU"), lab.country("KOR"), lab.target("USA"), lab.target("X1")
    ('Germany', 'South Korea', 'United States', 'X1')
    """

    targets: dict[str, str] = field(default_factory=dict)
    audiences: dict[str, str] = field(default_factory=lambda: {"all": "All adults"})
    dimensions: dict[str, str] = field(default_factory=dict)
    items: dict[tuple[str, str], str] = field(default_factory=dict)
    language: str | None = None
    instrument: str = ""

    @classmethod
    def from_instrument(cls, inst, language: str | None = None) -> Labels:
        """The instrument's labels, in ``language`` (one of ``inst.languages``) when given.

        >>> import surveyindex as si
        >>> lab = Labels.from_instrument(si.load_instrument("softpower"))
        >>> lab.item("mor1", "USA")
        'The United States acts responsibly in world affairs.'
        >>> fr = Labels.from_instrument(si.load_instrument("favourability"), "fr")
        >>> fr.target("CHN"), fr.dimension("favourability"), fr.country("DEU")
        ('Chine', 'Opinion favorable', 'Allemagne')
        """
        if language is not None and language not in inst.languages:
            raise ReportError(f"report language {language!r}: the instrument {inst.id!r} has "
                              f"texts in {inst.languages}; choose one of those")
        own = language is None or language == inst.languages[0]

        def tr(part, text: str) -> str:
            return text if own else part.translations.get(language, text)

        names = {t.code: tr(t, t.name) for t in inst.targets}
        targets = {t.code: _target_label(t.code, names[t.code], None if own else language)
                   for t in inst.targets}
        items = {}
        for part in [*(it for _, it in inst.items()), *inst.single_items]:
            for code, name in names.items():
                items[(part.id, code)] = _fill(tr(part, part.text), name)
        return cls(targets=targets,
                   audiences={"all": "All adults",
                              **{k: a.label for k, a in inst.audiences.items()}},
                   dimensions={d.id: tr(d, d.label) for d in inst.dimensions},
                   items=items, language=None if own else language,
                   instrument=f"{inst.title} ({inst.id} {inst.version})")

    def country(self, code) -> str:
        return country_name(code, self.language)

    def target(self, code) -> str:
        return self.targets.get(str(code)) or _target_label(str(code), str(code), self.language)

    def audience(self, code) -> str:
        return self.audiences.get(str(code), str(code))

    def dimension(self, code) -> str:
        return self.dimensions.get(str(code)) or COMPOSITE.get(str(code), str(code))

    def item(self, item, target) -> str:
        return self.items.get((str(item), str(target)), str(item))

    def add(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` with ``<code>_label`` columns for the code columns it has.

        Codes: country, target, audience, dimension, measure (a dimension or ``composite``),
        target_a, target_b; ``item`` (with ``target``) gets the wording with the target filled in.

        >>> Labels().add(pd.DataFrame({"country": ["BRA"], "measure": ["composite"]}))
          country    measure country_label    measure_label
        0     BRA  composite        Brazil  Composite index
        """
        if df.empty:
            return df
        out = df.copy()
        how = {"country": self.country, "target": self.target, "target_a": self.target,
               "target_b": self.target, "audience": self.audience,
               "dimension": self.dimension, "measure": self.dimension}
        for col, f in how.items():
            if col in out.columns:
                codes = out[col].astype(str)
                out[f"{col}_label"] = codes.map({c: f(c) for c in codes.unique()})
        if "item" in out.columns:
            pairs = zip(out["item"].astype(str),
                        out["target"].astype(str) if "target" in out else [""] * len(out))
            out["item_label"] = [self.item(i, t) for i, t in pairs]
        return out


def country_name(code, language: str | None = None) -> str:
    """Reader's name of an ISO 3166 alpha-3 (or alpha-2) country code; the code if unknown.

    >>> country_name("GBR"), country_name("IRN"), country_name("ZZZ"), country_name("DEU", "es")
    ('United Kingdom', 'Iran', 'ZZZ', 'Alemania')
    """
    code = str(code)
    c = pycountry.countries.get(alpha_3=code) if len(code) == 3 else \
        pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    if c is None:
        return code
    name = getattr(c, "common_name", None) or c.name
    if language and language != "en":
        name = _translator(language).gettext(c.name)
        # ISO lists "Russie, Fédération de"; a reader writes "Fédération de Russie".
        head, sep, tail = name.partition(", ")
        if sep and "(" not in name:
            name = tail + ("" if tail.endswith("'") else " ") + head
    return name


def _translator(language: str):
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language],
                               fallback=True)


def _target_label(code: str, name: str, language: str | None) -> str:
    """A target's label: its ISO name when its code is a country's, else the instrument's name."""
    if len(code) == 3 and pycountry.countries.get(alpha_3=code) is not None:
        return country_name(code, language)
    return name[:1].upper() + name[1:]


def _fill(text: str, name: str) -> str:
    """Item wording with the target's name in place; a sentence starts with a capital."""
    out = " ".join(str(text).split()).replace("{target}", name)
    return out[:1].upper() + out[1:]
