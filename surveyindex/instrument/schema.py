"""The instrument schema: a frozen, validated description of the questionnaire.

The pydantic models here are the single source of truth for what an instrument file may contain;
:func:`surveyindex.load_instrument` reads YAML into them and turns validation failures into an
:class:`~surveyindex.errors.InstrumentError` that names the file, line and key path.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Scale(_Frozen):
    """A response scale: valid codes ``min..max``, their labels and the missing codes."""

    min: int
    max: int
    labels: dict[int, str] = Field(default_factory=dict)
    missing: dict[int, str] = Field(default_factory=dict)

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
        return self


class Target(_Frozen):
    """A country (or other object) that respondents rate."""

    code: str = Field(pattern=r"^[A-Za-z0-9_]+$")
    name: str


class Item(_Frozen):
    """One rated statement; ``reverse`` marks items where agreement means a worse perception."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    text: str
    reverse: bool = False


class Dimension(_Frozen):
    """A group of items scored together (e.g. morality)."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    label: str
    scale: str
    items: list[Item] = Field(min_length=1)


class SingleItem(_Frozen):
    """An item outside any dimension, such as overall favourability."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    text: str
    scale: str


class Groups(_Frozen):
    """Cut a numeric demographic into labelled groups (left-closed intervals starting at ``breaks``)."""

    name: str
    breaks: list[float] = Field(min_length=1)
    labels: list[str]

    @model_validator(mode="after")
    def _check(self) -> Groups:
        if len(self.labels) != len(self.breaks):
            raise ValueError(
                f"{len(self.breaks)} breaks need {len(self.breaks)} labels, got {len(self.labels)}"
            )
        if any(b2 <= b1 for b1, b2 in zip(self.breaks, self.breaks[1:])):
            raise ValueError(f"breaks must increase, got {self.breaks}")
        return self


class Demographic(_Frozen):
    """A respondent characteristic: a country code, a number or a set of codes."""

    type: Literal["country", "numeric", "categorical"]
    label: str = ""
    min: float | None = None
    max: float | None = None
    codes: dict[int, str] | None = None
    groups: Groups | None = None

    @model_validator(mode="after")
    def _check(self) -> Demographic:
        if self.type == "categorical" and not self.codes:
            raise ValueError("a categorical demographic needs 'codes'")
        if self.groups is not None and self.type != "numeric":
            raise ValueError("'groups' applies to numeric demographics only")
        return self


class Condition(_Frozen):
    """A filter on one variable: a numeric range and/or a list of allowed values (or a group name)."""

    min: float | None = None
    max: float | None = None
    in_: list[str | int] | str | None = Field(default=None, alias="in")


class Audience(_Frozen):
    """A named sub-population; all conditions must hold (an empty filter means everyone)."""

    label: str
    filter: dict[str, Condition] = Field(default_factory=dict)


class Layout(_Frozen):
    """How a wide response file names its columns."""

    respondent_id: str = "resp_id"
    item_column: str = "{target}_{item}"
    weight: str | None = None

    @field_validator("item_column")
    @classmethod
    def _pattern(cls, v: str) -> str:
        if "{item}" not in v:
            raise ValueError("item_column must contain the placeholder {item}")
        return v


class Weighting(_Frozen):
    """Default weighting: rake within ``by`` to the margins of these variables."""

    by: str = "country"
    margins: list[str] = Field(default_factory=list)
    tolerance: float = Field(default=1e-8, gt=0)
    max_iterations: int = Field(default=100, ge=1)


class Scoring(_Frozen):
    """How respondents' item answers become dimension scores."""

    min_valid_items: int = Field(default=1, ge=1)


class IndexSettings(_Frozen):
    """How dimension scores become the composite index."""

    scale: tuple[float, float] = (0.0, 100.0)
    dimension_weights: Literal["equal"] | dict[str, float] = "equal"
    aggregation: Literal["arithmetic"] = "arithmetic"


class Instrument(_Frozen):
    """A questionnaire definition; see ``instruments/softpower.yaml`` for a complete example.

    >>> import surveyindex as si
    >>> inst = si.load_instrument("softpower")
    >>> inst.id, [t.code for t in inst.targets], len(inst.item_ids)
    ('softpower', ['USA', 'CHN'], 20)
    >>> inst.column("USA", "mor1")
    'USA_mor1'
    """

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")
    version: str
    title: str
    description: str = ""
    language: str = "en"
    scales: dict[str, Scale]
    targets: list[Target] = Field(min_length=1)
    dimensions: list[Dimension] = Field(min_length=1)
    single_items: list[SingleItem] = Field(default_factory=list)
    demographics: dict[str, Demographic] = Field(default_factory=dict)
    country_groups: dict[str, list[str]] = Field(default_factory=dict)
    audiences: dict[str, Audience] = Field(default_factory=dict)
    layout: Layout = Layout()
    weighting: Weighting = Weighting()
    scoring: Scoring = Scoring()
    index: IndexSettings = IndexSettings()

    @model_validator(mode="after")
    def _cross_references(self) -> Instrument:
        for i, d in enumerate(self.dimensions):
            if d.scale not in self.scales:
                raise ValueError(
                    f"dimensions[{i}] ({d.id}) uses scale {d.scale!r}, not one of {sorted(self.scales)}"
                )
            if self.scoring.min_valid_items > len(d.items):
                raise ValueError(
                    f"scoring.min_valid_items = {self.scoring.min_valid_items} but dimension "
                    f"{d.id!r} has only {len(d.items)} items"
                )
        for i, s in enumerate(self.single_items):
            if s.scale not in self.scales:
                raise ValueError(
                    f"single_items[{i}] ({s.id}) uses scale {s.scale!r}, not one of {sorted(self.scales)}"
                )
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
        if len(self.targets) > 1 and "{target}" not in self.layout.item_column:
            raise ValueError("with several targets, layout.item_column must contain {target}")
        known = set(self.demographics) | {
            g.groups.name for g in self.demographics.values() if g.groups is not None
        }
        for name, aud in self.audiences.items():
            for var, cond in aud.filter.items():
                if var not in known:
                    raise ValueError(
                        f"audiences.{name}.filter uses {var!r}, which is not a demographic "
                        f"(known: {sorted(known)})"
                    )
                if isinstance(cond.in_, str) and cond.in_ not in self.country_groups:
                    raise ValueError(
                        f"audiences.{name}.filter.{var}.in names group {cond.in_!r}, not one of "
                        f"country_groups {sorted(self.country_groups)}"
                    )
        for m in self.weighting.margins:
            if m not in known:
                raise ValueError(
                    f"weighting.margins names {m!r}, which is not a demographic (known: {sorted(known)})"
                )
        if isinstance(self.index.dimension_weights, dict):
            if set(self.index.dimension_weights) != set(dims):
                raise ValueError(
                    f"index.dimension_weights must give a weight for each of {dims}, got "
                    f"{sorted(self.index.dimension_weights)}"
                )
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
        """Dimension weights normalised to sum to one."""
        w = self.index.dimension_weights
        raw = {d: 1.0 for d in self.dimension_ids} if w == "equal" else dict(w)
        total = sum(raw.values())
        return {d: v / total for d, v in raw.items()}
