"""The parts an instrument is made of: scales, targets, items, demographics, audiences, settings.

Every field carries a ``description``: ``tools/make_schema_doc.py`` turns these models into the
reference page ``docs/instrument.md``, and a test keeps the page in step with the code.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

_ID = r"^[A-Za-z][A-Za-z0-9_]*$"
#: Language codes as BCP 47 primary tags ("en", "es", "zh") with an optional region ("pt-BR").
_LANG = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _check_languages(translations: dict, where: str = "translations") -> dict:
    bad = [lang for lang in translations if not re.match(_LANG, str(lang))]
    if bad:
        raise ValueError(f"{where} languages {bad} are not language codes such as 'es' or 'pt-BR'")
    return translations


#: Text in other languages, keyed by language code.
Translations = Annotated[dict[str, str], AfterValidator(_check_languages)]


class Scale(_Frozen):
    """A response scale: valid codes ``min..max``, their labels and the missing codes."""

    min: int = Field(description="Lowest valid code.")
    max: int = Field(description="Highest valid code; higher codes mean a better perception "
                                 "(mark items worded the other way `reverse: true`).")
    labels: dict[int, str] = Field(default_factory=dict, description=(
        "Labels of valid codes (`code: label`); codes without a label are shown as the number."))
    missing: dict[int, str] = Field(default_factory=dict, description=(
        "Missing codes outside `min..max` and their labels, e.g. `8: Don't know`, `9: Refused` "
        "(a label containing 'refus' marks a refusal; any other a don't know)."))
    translations: dict[str, dict[int, str]] = Field(default_factory=dict, description=(
        "Labels of valid and missing codes in other languages: `language: {code: label}`."))

    @model_validator(mode="after")
    def _check(self) -> Scale:
        if self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        outside = [c for c in self.labels if not self.min <= c <= self.max]
        if outside:
            raise ValueError(f"labels {outside} fall outside the scale {self.min}..{self.max}")
        inside = [c for c in self.missing if self.min <= c <= self.max]
        if inside:
            raise ValueError(
                f"missing codes {inside} fall inside the valid range {self.min}..{self.max}; "
                "choose codes outside it (e.g. 8/9 for a 1-5 scale)"
            )
        _check_languages(self.translations, "translations")
        for lang, labels in self.translations.items():
            unknown = [c for c in labels if c not in self.labels and c not in self.missing]
            if unknown:
                raise ValueError(f"translations.{lang} labels codes {unknown}, which have no label "
                                 f"in `labels` or `missing`")
        return self

    @property
    def codes(self) -> list[int]:
        """Valid codes then missing codes, as asked in the field."""
        return [*range(self.min, self.max + 1), *self.missing]

    def label(self, code: int, language: str | None = None) -> str:
        """Label of ``code`` in ``language`` (falling back to the instrument language, then the number).

        >>> Scale(min=1, max=3, labels={1: "No"}, translations={"es": {1: "No"}}).label(2)
        '2'
        """
        if language and code in self.translations.get(language, {}):
            return self.translations[language][code]
        return self.labels.get(code) or self.missing.get(code) or str(code)


class Target(_Frozen):
    """A country (or other object) that respondents rate."""

    code: str = Field(pattern=r"^[A-Za-z0-9_]+$", description=(
        "Short code used in column names, e.g. `USA` (ISO 3166-1 alpha-3 for countries)."))
    name: str = Field(description="Name put in place of `{target}` in item text.")
    translations: Translations = Field(default_factory=dict, description=(
        "The name in other languages: `language: name`."))


class Item(_Frozen):
    """One rated statement; ``reverse`` marks items where agreement means a worse perception."""

    id: str = Field(pattern=_ID, description="Item id, unique in the instrument (`mor1`).")
    text: str = Field(description="Question text; `{target}` is replaced by each target's name.")
    reverse: bool = Field(default=False, description=(
        "Reverse-keyed: recoded `min + max - x` before scoring, so high always means favourable."))
    weight: float | None = Field(default=None, gt=0, description=(
        "Relative weight of the item in its dimension score (default: equal weights)."))
    translations: Translations = Field(default_factory=dict, description=(
        "The text in other languages: `language: text` (keep the `{target}` placeholder)."))


class Dimension(_Frozen):
    """A group of items scored together (e.g. morality)."""

    id: str = Field(pattern=_ID, description="Dimension id (`morality`).")
    label: str = Field(description="Name shown in reports.")
    scale: str = Field(description="Id of the response scale (a key of `scales`) of its items.")
    items: list[Item] = Field(min_length=1, description="The items, at least one.")
    translations: Translations = Field(default_factory=dict, description=(
        "The label in other languages: `language: label`."))


class SingleItem(_Frozen):
    """An item outside any dimension, such as overall favourability."""

    id: str = Field(pattern=_ID, description="Item id, unique in the instrument.")
    text: str = Field(description="Question text, with `{target}` as in dimension items.")
    scale: str = Field(description="Id of its response scale.")
    translations: Translations = Field(default_factory=dict, description=(
        "The text in other languages: `language: text`."))


class Groups(_Frozen):
    """Cut a numeric demographic into labelled groups (left-closed intervals starting at ``breaks``)."""

    name: str = Field(description="Name of the grouped variable (`age_group`), usable in margins "
                                  "and audience filters.")
    breaks: list[float] = Field(min_length=1, description="Lower bounds of the groups, increasing.")
    labels: list[str] = Field(description="One label per break (`18-24`).")

    @model_validator(mode="after")
    def _check(self) -> Groups:
        if len(self.labels) != len(self.breaks):
            raise ValueError(
                f"{len(self.breaks)} breaks need {len(self.breaks)} labels, got {len(self.labels)}"
            )
        if any(b2 <= b1 for b1, b2 in zip(self.breaks, self.breaks[1:])):
            raise ValueError(f"breaks must increase, got {self.breaks}")
        return self


class DemographicText(_Frozen):
    """A demographic's question label and code labels in one other language."""

    label: str = Field(default="", description="The question label.")
    codes: dict[int, str] = Field(default_factory=dict, description="Labels of the codes.")


class Demographic(_Frozen):
    """A respondent characteristic: a country code, a number or a set of codes."""

    type: Literal["country", "numeric", "categorical"] = Field(description=(
        "`country` (ISO 3166-1 alpha-3 code), `numeric` (e.g. age) or `categorical` (codes)."))
    label: str = Field(default="", description="Question label.")
    min: float | None = Field(default=None, description="Lowest allowed value (numeric).")
    max: float | None = Field(default=None, description="Highest allowed value (numeric).")
    codes: dict[int, str] | None = Field(default=None, description=(
        "Allowed codes and their labels (categorical; required there)."))
    groups: Groups | None = Field(default=None, description="Grouping of a numeric variable.")
    required: bool = Field(default=True, description=(
        "A respondent missing it (or a file without the column) is excluded with a ledger "
        "reason; `false` keeps them, with the value missing (then it cannot be a margin)."))
    translations: dict[str, DemographicText] = Field(default_factory=dict, description=(
        "Label and code labels in other languages: `language: {label: ..., codes: {...}}`."))

    @model_validator(mode="after")
    def _check(self) -> Demographic:
        if self.type == "categorical" and not self.codes:
            raise ValueError("a categorical demographic needs 'codes'")
        if self.groups is not None and self.type != "numeric":
            raise ValueError("'groups' applies to numeric demographics only")
        _check_languages(self.translations, "translations")
        for lang, text in self.translations.items():
            unknown = [c for c in text.codes if c not in (self.codes or {})]
            if unknown:
                raise ValueError(f"translations.{lang}.codes labels {unknown}, not among `codes`")
        return self


class Condition(_Frozen):
    """A filter on one variable: a numeric range and/or lists of allowed or excluded values."""

    min: float | None = Field(default=None, description="Lowest value included (inclusive).")
    max: float | None = Field(default=None, description="Highest value included (inclusive).")
    in_: list[str | int] | str | None = Field(default=None, alias="in", description=(
        "Values included: a list of codes (`[3, 4]`), group labels, or the name of a "
        "`country_groups` entry (`G20`)."))
    not_in: list[str | int] | str | None = Field(default=None, description=(
        "Values excluded, given as `in` is."))


class Audience(_Frozen):
    """A named sub-population: every condition of ``filter`` holds (AND), every audience named
    in ``all_of`` holds, and, if ``any_of`` is given, at least one audience named there holds."""

    label: str = Field(description="Name shown in reports.")
    filter: dict[str, Condition] = Field(default_factory=dict, description=(
        "Conditions by variable (a demographic or a group name such as `age_group`); all must "
        "hold. An empty filter means everyone. A missing value fails the condition."))
    all_of: list[str] = Field(default_factory=list, description=(
        "Other audiences the respondent must also belong to (intersection)."))
    any_of: list[str] = Field(default_factory=list, description=(
        "Other audiences of which the respondent must belong to at least one (union)."))


#: Column roles a layout may declare (``read_responses(roles=...)`` and project files take them).
ROLES = ("respondent_id", "country", "weight", "strata", "psu", "fpc", "wave", "duration")


class Layout(_Frozen):
    """How a wide response file names its columns: item pattern and column roles.

    Design columns (weight, strata, PSU, fpc, wave) keep their names in the respondents table,
    so ``make_design(resp, weights="wgt", psu="psu", strata="stratum")`` finds them.
    """

    respondent_id: str = Field(default="resp_id", description="Column of the respondent id.")
    item_column: str = Field(default="{target}_{item}", description=(
        "Pattern of item columns: `{target}` when there are several targets, `{item}` unless "
        "the instrument has a single item (`opi_{target}`)."))
    country: str | None = Field(default=None, description=(
        "File column holding the surveyed country (the `country` demographic), e.g. `sta`; "
        "unset: the column named like the demographic."))
    weight: str | None = Field(default=None, description="Column of design (or final) weights.")
    strata: str | None = Field(default=None, description="Column of the design strata.")
    psu: str | None = Field(default=None, description="Column of the primary sampling units.")
    fpc: str | None = Field(default=None, description=(
        "Column of the finite population correction (as R `svydesign(fpc=)`)."))
    wave: str | None = Field(default=None, description="Column of the survey wave, if any.")
    duration: str | None = Field(default=None, description=(
        "Column of interview durations, if any (used to flag speeders)."))

    def roles(self) -> dict[str, str]:
        """Declared design and wave columns, role -> file column.

        >>> Layout(weight="wgt", psu="psu").roles()
        {'weight': 'wgt', 'psu': 'psu'}
        """
        return {k: getattr(self, k) for k in ("weight", "strata", "psu", "fpc", "wave")
                if getattr(self, k)}


class Weighting(_Frozen):
    """Default weighting: rake within ``by`` to the margins of these variables."""

    by: str = Field(default="country", description="Rake separately within each value of this.")
    margins: list[str] = Field(default_factory=list, description=(
        "Variables (demographics or group names) whose population margins the weights match."))
    tolerance: float = Field(default=1e-8, gt=0, description="Convergence tolerance of raking.")
    max_iterations: int = Field(default=100, ge=1, description="Raking iterations at most.")


class Scoring(_Frozen):
    """How respondents' item answers become scores.

    Box codes refer to the scored scale, after reverse keying, so the top box is always the
    favourable end.
    """

    min_valid_items: int = Field(default=1, ge=1, description=(
        "A respondent's dimension score needs at least this many valid items."))
    method: Literal["mean", "top_box", "net"] = Field(default="mean", description=(
        "`mean`: mean of the valid items; `top_box`: share of answers in `top_box`; `net`: share "
        "in `top_box` minus share in `bottom_box`."))
    top_box: list[int] | None = Field(default=None, description=(
        "Codes counted as favourable, e.g. `[4, 5]` on a 1-5 scale or `[6, 7, 8, 9, 10]` on 0-10."))
    bottom_box: list[int] | None = Field(default=None, description=(
        "Codes counted as unfavourable (for `net`), e.g. `[0, 1, 2, 3, 4]`."))
    dont_know_in_base: bool = Field(default=False, description=(
        "Keep don't-know answers in the base of shares (as Pew does): they count as neither "
        "favourable nor unfavourable."))
    refused_in_base: bool = Field(default=False, description=(
        "Keep refusals in the base of shares, as neither favourable nor unfavourable (Pew "
        "keeps both don't know and refused; other publishers drop both)."))

    @model_validator(mode="after")
    def _check(self) -> Scoring:
        if self.method in ("top_box", "net") and not self.top_box:
            raise ValueError(f"method {self.method!r} needs `top_box` codes")
        if self.method == "net" and not self.bottom_box:
            raise ValueError("method 'net' needs `bottom_box` codes")
        both = set(self.top_box or []) & set(self.bottom_box or [])
        if both:
            raise ValueError(f"codes {sorted(both)} are in both top_box and bottom_box")
        return self


#: Weighting methods an instrument may declare in ``index.dimension_weights``.
WEIGHT_METHODS = ("equal", "pca", "factor", "driver")


class IndexSettings(_Frozen):
    """How dimension scores become the composite index; ``compute_index`` takes these as defaults."""

    scale: tuple[float, float] = Field(default=(0.0, 100.0), description=(
        "Range dimension scores are rescaled to (scale minimum -> first, maximum -> second)."))
    dimension_weights: Literal["equal", "pca", "factor", "driver"] | dict[str, float] = Field(
        default="equal", description=(
            "`equal`, a weight for every dimension id (normalised to sum to one), or weights "
            "derived from the data in every replicate: `pca` (first principal component), "
            "`factor` (OECD/JRC Handbook factor analysis, varimax-rotated; see `n_factors`) or "
            "`driver` (regression of `driver_outcome` on the dimension scores)."))
    aggregation: Literal["arithmetic", "geometric", "generalised"] = Field(
        default="arithmetic", description=(
            "How weighted dimension scores combine into the composite: `arithmetic` (fully "
            "compensatory), `geometric` (partly; needs non-negative scores) or `generalised` "
            "mean with exponent `power`."))
    power: float = Field(default=0.5, description=(
        "Exponent of the `generalised` mean (1 arithmetic, -1 harmonic; not 0, which is "
        "`geometric`)."))
    n_factors: int | None = Field(default=None, ge=1, description=(
        "Number of factors of `factor` weights; unset: the Handbook's rule (eigenvalue > 1, "
        "over 10% of the variance each, over 60% together)."))
    driver_outcome: str = Field(default="fav", description=(
        "Id of the single item (overall rating) that `driver` weights regress on the "
        "dimension scores."))
    cross_country: Literal["mean", "median"] = Field(default="mean", description=(
        "Summary across surveyed countries, each country counting once (Pew reports the median)."))

    @field_validator("dimension_weights", mode="before")
    @classmethod
    def _method_or_mapping(cls, v):
        if isinstance(v, str) and v not in WEIGHT_METHODS:
            raise ValueError(f"must be one of {', '.join(map(repr, WEIGHT_METHODS))} or a mapping "
                             "dimension id -> weight")
        return v
