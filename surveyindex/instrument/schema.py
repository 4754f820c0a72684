"""The instrument schema: a frozen, validated description of the questionnaire.

The pydantic models here and in :mod:`.parts` are the single source of truth for what an
instrument file may contain; :func:`surveyindex.load_instrument` reads YAML into them and turns
validation failures into an :class:`~surveyindex.errors.InstrumentError` that names the file, line
and key path. ``docs/instrument.md`` is generated from them (``tools/make_schema_doc.py``).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from ..errors import UnknownNameError
from .parts import (
    Audience,
    Condition,
    Demographic,
    DemographicText,
    Dimension,
    Groups,
    IndexSettings,
    Item,
    Layout,
    Scale,
    Scoring,
    SingleItem,
    Target,
    Weighting,
    _Frozen,
)

__all__ = ["Audience", "Condition", "Demographic", "DemographicText", "Dimension", "Groups",
           "IndexSettings", "Instrument", "Item", "Layout", "Scale", "Scoring", "SingleItem",
           "Target", "Weighting"]


class Instrument(_Frozen):
    """A questionnaire definition; see ``instruments/softpower.yaml`` for a complete example.

    >>> import surveyindex as si
    >>> inst = si.load_instrument("softpower")
    >>> inst.id, [t.code for t in inst.targets], len(inst.item_ids)
    ('softpower', ['USA', 'CHN'], 20)
    >>> inst.column("USA", "mor1")
    'USA_mor1'
    """

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$", description=(
        "Identifier of the instrument (`softpower`); the XLSForm `form_id`."))
    version: str = Field(description="Version of the instrument, quoted (`\"1.0.0\"`).")
    title: str = Field(description="Title shown in reports and on the form.")
    description: str = Field(default="", description="What the instrument measures.")
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
                          description="Language code of the texts given without translation.")
    scales: dict[str, Scale] = Field(description="Response scales by id.")
    targets: list[Target] = Field(min_length=1, description="What respondents rate, in order.")
    targets_per_respondent: int | None = Field(default=None, ge=1, description=(
        "Planned missingness: each respondent rates this many targets, drawn at random "
        "(uniformly, independently per respondent); unset means every target."))
    dimensions: list[Dimension] = Field(min_length=1, description=(
        "Dimensions and their items; a single-question index is one dimension of one item."))
    single_items: list[SingleItem] = Field(default_factory=list, description=(
        "Items asked about each target but outside every dimension (not in the index)."))
    demographics: dict[str, Demographic] = Field(default_factory=dict, description=(
        "Respondent variables by column name; `country` (type country) is the surveyed country."))
    country_groups: dict[str, list[str]] = Field(default_factory=dict, description=(
        "Named lists of country codes (`G20: [ARG, AUS, ...]`) for audience filters."))
    audiences: dict[str, Audience] = Field(default_factory=dict, description=(
        "Named sub-populations reported beside everyone (`all` is always defined)."))
    layout: Layout = Field(default=Layout(), description="Column names of the response file.")
    weighting: Weighting = Field(default=Weighting(), description="Default weighting.")
    scoring: Scoring = Field(default=Scoring(), description="Default respondent scoring.")
    index: IndexSettings = Field(default=IndexSettings(), description="Default index settings.")

    def __repr__(self) -> str:
        return (f"<Instrument {self.id} {self.version}: {len(self.targets)} targets "
                f"({', '.join(self.target_codes)}), {len(self.dimensions)} dimensions, "
                f"{len(self.item_ids)} items, {len(self.demographics)} demographics>")

    def _repr_html_(self) -> str:
        import pandas as pd

        from ..display import card

        dims = pd.DataFrame({"dimension": [d.id for d in self.dimensions],
                             "label": [getattr(d, "label", "") for d in self.dimensions],
                             "items": [len(d.items) for d in self.dimensions],
                             "scale": [d.scale for d in self.dimensions]})
        return card(f"Instrument {self.id} {self.version}: {self.title}",
                    [("targets", ", ".join(self.target_codes)),
                     ("dimensions", len(self.dimensions)), ("items", len(self.item_ids)),
                     ("demographics", ", ".join(self.demographics)),
                     ("audiences", ", ".join(self.audiences) or "all"),
                     ("weighting", f"rake by {self.weighting.by} to "
                                   f"{', '.join(self.weighting.margins) or '(no margins)'}")],
                    tables=[("Dimensions", dims)],
                    note=".dimensions, .item_ids, .targets, .scales")

    @model_validator(mode="after")
    def _cross_references(self) -> Instrument:
        for i, d in enumerate(self.dimensions):
            if d.scale not in self.scales:
                raise _At(("dimensions", i, "scale"),
                          f"dimension {d.id!r} uses scale {d.scale!r}, not one of {sorted(self.scales)}")
            if self.scoring.min_valid_items > len(d.items):
                raise _At(("scoring", "min_valid_items"),
                          f"is {self.scoring.min_valid_items} but dimension {d.id!r} has only "
                          f"{len(d.items)} items")
            scale = self.scales[d.scale]
            for key in ("top_box", "bottom_box"):
                bad = [c for c in getattr(self.scoring, key) or [] if not scale.min <= c <= scale.max]
                if bad:
                    raise _At(("scoring", key),
                              f"codes {bad} are outside the scale {d.scale!r} "
                              f"({scale.min}..{scale.max}) of dimension {d.id!r}")
        for i, s in enumerate(self.single_items):
            if s.scale not in self.scales:
                raise _At(("single_items", i, "scale"),
                          f"single item {s.id!r} uses scale {s.scale!r}, not one of "
                          f"{sorted(self.scales)}")
        ids = [it.id for d in self.dimensions for it in d.items] + [s.id for s in self.single_items]
        dup = sorted({x for x in ids if ids.count(x) > 1})
        if dup:
            raise ValueError(f"item ids must be unique; repeated: {dup}")
        dims = [d.id for d in self.dimensions]
        if len(set(dims)) != len(dims):
            raise ValueError(f"dimension ids must be unique, got {dims}")
        codes = [t.code for t in self.targets]
        if len(set(codes)) != len(codes):
            raise ValueError(f"target codes must be unique, got {codes}")
        n_items = len(ids)
        if "{item}" not in self.layout.item_column and n_items > 1:
            raise _At(("layout", "item_column"),
                      f"must contain the placeholder {{item}}: the instrument has {n_items} items")
        if len(self.targets) > 1 and "{target}" not in self.layout.item_column:
            raise _At(("layout", "item_column"),
                      "with several targets, the pattern must contain {target}")
        k = self.targets_per_respondent
        if k is not None and k > len(self.targets):
            raise _At(("targets_per_respondent",),
                      f"is {k} but there are only {len(self.targets)} targets")
        _check_translations(self)
        _check_audiences(self)
        known = _variables(self)
        for j, m in enumerate(self.weighting.margins):
            if m not in known:
                raise _At(("weighting", "margins", j),
                          f"names {m!r}, which is not a demographic (known: {sorted(known)})")
            base = next((v for v, d in self.demographics.items()
                         if m == v or (d.groups is not None and d.groups.name == m)), m)
            if not self.demographics[base].required:
                raise _At(("demographics", base, "required"),
                          f"is false but {m!r} is a weighting margin: a respondent missing it "
                          "cannot be raked (make it required, or drop the margin)")
        if isinstance(self.index.dimension_weights, dict):
            if set(self.index.dimension_weights) != set(dims):
                raise _At(("index", "dimension_weights"),
                          f"must give a weight for each of {dims}, got "
                          f"{sorted(self.index.dimension_weights)}")
        if self.index.aggregation == "generalised" and self.index.power == 0:
            raise _At(("index", "power"), "0 makes the generalised mean the geometric mean: use "
                                          "aggregation: geometric")
        if self.index.n_factors is not None and self.index.n_factors > len(dims):
            raise _At(("index", "n_factors"),
                      f"is {self.index.n_factors} but there are only {len(dims)} dimensions")
        singles = [s.id for s in self.single_items]
        if self.index.dimension_weights == "driver" and self.index.driver_outcome not in singles:
            raise _At(("index", "driver_outcome"),
                      f"driver weights regress {self.index.driver_outcome!r} on the dimension "
                      f"scores, but it is not one of the single_items {singles}")
        return self

    # -- convenience views -------------------------------------------------------------------
    @property
    def target_codes(self) -> list[str]:
        """Codes of the rated targets, in instrument order."""
        return [t.code for t in self.targets]

    @property
    def item_ids(self) -> list[str]:
        """Ids of the dimension items, in instrument order (single items excluded)."""
        return [it.id for d in self.dimensions for it in d.items]

    @property
    def dimension_ids(self) -> list[str]:
        """Ids of the dimensions, in instrument order."""
        return [d.id for d in self.dimensions]

    def items(self) -> list[tuple[Dimension, Item]]:
        """All dimension items with their dimension."""
        return [(d, it) for d in self.dimensions for it in d.items]

    def column(self, target: str, item: str) -> str:
        """The wide-file column holding ``item`` for ``target``."""
        return self.layout.item_column.format(target=target, item=item)

    def dimension_weight_vector(self) -> dict[str, float]:
        """Dimension weights normalised to sum to one (``equal`` or given per dimension).

        >>> import surveyindex as si
        >>> si.load_instrument("softpower").dimension_weight_vector()["morality"]
        0.2
        """
        w = self.index.dimension_weights
        if w in ("pca", "factor", "driver"):
            raise ValueError(f"index.dimension_weights is {w!r}: the weights are derived from the "
                             "data by compute_index, not fixed in the instrument")
        raw = {d: 1.0 for d in self.dimension_ids} if w == "equal" else dict(w)
        total = sum(raw.values())
        return {d: v / total for d, v in raw.items()}

    @property
    def languages(self) -> list[str]:
        """The instrument language first, then every language some text is translated into.

        >>> import surveyindex as si
        >>> si.load_instrument("favourability").languages
        ['en', 'es', 'fr']
        """
        found: set[str] = set()
        for part in (*self.scales.values(), *self.targets, *self.dimensions, *self.single_items,
                     *self.demographics.values(), *(it for _, it in self.items())):
            found.update(part.translations)
        return [self.language, *sorted(found - {self.language})]

    @property
    def targets_rated(self) -> int:
        """How many targets each respondent rates (``targets_per_respondent`` or all)."""
        return self.targets_per_respondent or len(self.targets)

    def item_weights(self, dimension: str) -> dict[str, float]:
        """Weights of a dimension's items normalised to sum to one (unset weights count 1).

        >>> import surveyindex as si
        >>> si.load_instrument("softpower").item_weights("morality")
        {'mor1': 0.25, 'mor2': 0.25, 'mor3': 0.25, 'mor4': 0.25}
        """
        dim = next((d for d in self.dimensions if d.id == dimension), None)
        if dim is None:
            raise UnknownNameError(f"no dimension {dimension!r}; dimensions are {self.dimension_ids}")
        raw = {it.id: 1.0 if it.weight is None else it.weight for it in dim.items}
        total = sum(raw.values())
        return {k: v / total for k, v in raw.items()}


# -- cross-reference checks -----------------------------------------------------------------------

class _At(ValueError):
    """A cross-reference error at a key path, so the loader can name the key and its line."""

    def __init__(self, loc: tuple, msg: str) -> None:
        self.loc, self.msg = loc, msg
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        super().__init__(f"{path}: {msg}")


def _variables(inst: Instrument) -> dict[str, set[str] | None]:
    """Variables an audience or a margin may name, with their allowed values (None: any)."""
    out: dict[str, set[str] | None] = {}
    for name, d in inst.demographics.items():
        out[name] = {str(c) for c in d.codes} if d.type == "categorical" else None
        if d.groups is not None:
            out[d.groups.name] = set(d.groups.labels)
    return out


def _check_translations(inst: Instrument) -> None:
    texts = [(("dimensions", i, "items", j), it)
             for i, d in enumerate(inst.dimensions) for j, it in enumerate(d.items)]
    texts += [(("single_items", i), s) for i, s in enumerate(inst.single_items)]
    for where, part in texts:
        for lang, text in part.translations.items():
            if ("{target}" in part.text) != ("{target}" in text):
                raise _At((*where, "translations", lang),
                          "must have the {target} placeholder exactly when the text has it")


def _check_audiences(inst: Instrument) -> None:
    known = _variables(inst)
    names = set(inst.audiences) | {"all"}
    for name, aud in inst.audiences.items():
        for var, cond in aud.filter.items():
            if var not in known:
                raise _At(("audiences", name, "filter", var),
                          f"{var!r} is not a demographic or group (known: {sorted(known)})")
            for key, values in (("in", cond.in_), ("not_in", cond.not_in)):
                if isinstance(values, str):
                    if values not in inst.country_groups:
                        raise _At(("audiences", name, "filter", var, key),
                                  f"names group {values!r}, not one of country_groups "
                                  f"{sorted(inst.country_groups)}")
                elif values is not None and known[var] is not None:
                    bad = [v for v in values if str(v) not in known[var]]
                    if bad:
                        raise _At(("audiences", name, "filter", var, key),
                                  f"has {bad}, not among the values of {var!r}: "
                                  f"{sorted(known[var])}")
        for key in ("all_of", "any_of"):
            bad = [a for a in getattr(aud, key) if a not in names]
            if bad:
                raise _At(("audiences", name, key),
                          f"names {bad}, not defined audiences {sorted(names)}")
    for name in inst.audiences:
        _no_cycle(inst, name, (name,))


def _no_cycle(inst: Instrument, name: str, path: tuple[str, ...]) -> None:
    aud = inst.audiences.get(name)
    if aud is None:
        return
    for ref in (*aud.all_of, *aud.any_of):
        if ref in path:
            raise _At(("audiences", path[0]), f"audiences refer to each other in a circle: "
                                              f"{' -> '.join((*path, ref))}")
        _no_cycle(inst, ref, (*path, ref))
