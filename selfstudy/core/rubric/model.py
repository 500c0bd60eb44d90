"""The rubric: what is asked, how it is rated, and how it is scored.

The models follow `rubric-format.md` key for key. Field-level rules (types,
required keys, unknown keys, weights > 0) live on the models; the rules that
span several nodes (unique ids, targets on the scale, `show_if` references)
live in `checks`, which the loader runs on the raw document so it can
report them together with the field-level problems, and which the `Rubric`
model also runs when it is built directly from Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    FiniteFloat,
    ValidationInfo,
    model_validator,
)

from selfstudy.core.rubric.checks import check_rubric_document

Number = int | FiniteFloat  # no infinity or NaN: they cannot be compared, drawn or averaged
ItemType = Literal["rating", "text", "choice", "multichoice", "number"]
NA = "N/A"

RUBRIC_ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
RUBRIC_ID_MAX_LENGTH = 100
MAX_ID_LENGTH = 200  # a version or an item id: far more than any needs, as the storage keeps it
Slug = Annotated[str, Field(pattern=RUBRIC_ID_PATTERN, max_length=RUBRIC_ID_MAX_LENGTH)]
NonEmpty = Annotated[str, Field(min_length=1)]
Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH)]
Weight = Annotated[Number, Field(gt=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Level(_Model):
    value: Number
    label: NonEmpty
    description: str = ""


class Scale(_Model):
    allow_na: bool = True
    levels: Annotated[list[Level], Field(min_length=2)]

    @cached_property
    def values(self) -> list[Number]:
        return [level.value for level in self.levels]

    @property
    def lowest(self) -> Number:
        return self.levels[0].value

    @property
    def highest(self) -> Number:
        return self.levels[-1].value

    def label_of(self, value: Number) -> str:
        for level in self.levels:
            if level.value == value:
                return level.label
        raise KeyError(value)

    def step_below(self, target: Number) -> Number:
        """The gap between `target` and the next lower scale value (0 at the bottom)."""
        lower = [v for v in self.values if v < target]
        return target - lower[-1] if lower else 0

    def rating_value(self, raw: Any) -> Number | None:
        """The scale value that `raw` names (a value or a label), or None."""
        if isinstance(raw, bool):
            return None
        if isinstance(raw, int | float):
            return next((v for v in self.values if v == raw), None)
        if isinstance(raw, str):
            wanted = " ".join(raw.split()).casefold()
            for level in self.levels:
                if " ".join(level.label.split()).casefold() == wanted:
                    return level.value
        return None


class Resource(_Model):
    title: NonEmpty
    url: str | None = None
    description: str = ""


class ChangeIdea(_Model):
    """A practice a team might try to move a standard forward: a starting point for an
    improvement plan, which names it by `id`. It is never rated, so it never scores."""

    id: Id
    title: NonEmpty
    description: str = ""
    resources: list[Resource] = Field(default_factory=list)


class ShowIf(_Model):
    item: NonEmpty
    equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    at_least: Number | None = None
    at_most: Number | None = None

    @model_validator(mode="after")
    def _exactly_one_condition(self) -> ShowIf:
        given = [
            k for k in ("equals", "in_", "at_least", "at_most") if getattr(self, k) is not None
        ]
        if len(given) != 1:
            raise ValueError("use exactly one of equals, in, at_least, at_most")
        return self

    @property
    def operator(self) -> str:
        for name in ("equals", "in_", "at_least", "at_most"):
            if getattr(self, name) is not None:
                return name.rstrip("_")
        raise AssertionError("validated ShowIf has one condition")

    @property
    def operand(self) -> Any:
        return getattr(self, "in_" if self.operator == "in" else self.operator)


class Item(_Model):
    id: Id
    text: NonEmpty
    type: ItemType = "rating"
    weight: Weight = 1
    required: bool | None = None
    help: str = ""
    options: list[NonEmpty] | None = None
    show_if: ShowIf | None = None

    @property
    def is_rating(self) -> bool:
        return self.type == "rating"

    @property
    def is_required(self) -> bool:
        return self.required if self.required is not None else self.is_rating


class Standard(_Model):
    id: NonEmpty
    title: NonEmpty
    description: str = ""
    weight: Weight = 1
    target: Number | None = None
    levels: dict[Number, str] = Field(default_factory=dict)
    resources: list[Resource] = Field(default_factory=list)
    change_ideas: list[ChangeIdea] = Field(default_factory=list)
    items: Annotated[list[Item], Field(min_length=1)]


class Dimension(_Model):
    id: NonEmpty
    title: NonEmpty
    description: str = ""
    weight: Weight = 1
    target: Number | None = None
    standards: Annotated[list[Standard], Field(min_length=1)]


class Rubric(_Model):
    id: Slug
    version: Id
    title: NonEmpty
    description: str = ""
    scale: Scale
    target: Number
    dimensions: Annotated[list[Dimension], Field(min_length=1)]

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> Rubric:
        if info.context and info.context.get("checked"):
            return self
        problems = check_rubric_document(self.model_dump(by_alias=True, exclude_defaults=True))
        if problems:
            raise ValueError("; ".join(f"{p.path}: {p.message}" for p in problems))
        return self

    # --- lookups, built once per rubric -------------------------------------------------

    def items(self) -> Iterator[Item]:
        for dimension in self.dimensions:
            for standard in dimension.standards:
                yield from standard.items

    def standards(self) -> Iterator[Standard]:
        for dimension in self.dimensions:
            yield from dimension.standards

    def change_ideas(self) -> Iterator[ChangeIdea]:
        for standard in self.standards():
            yield from standard.change_ideas

    @cached_property
    def item_by_id(self) -> dict[str, Item]:
        return {item.id: item for item in self.items()}

    @cached_property
    def standard_by_id(self) -> dict[str, Standard]:
        return {standard.id: standard for standard in self.standards()}

    @cached_property
    def dimension_by_id(self) -> dict[str, Dimension]:
        return {dimension.id: dimension for dimension in self.dimensions}

    @cached_property
    def dimension_of_standard(self) -> dict[str, Dimension]:
        return {s.id: d for d in self.dimensions for s in d.standards}

    @cached_property
    def standard_of_item(self) -> dict[str, Standard]:
        return {i.id: s for s in self.standards() for i in s.items}

    @cached_property
    def change_idea_by_id(self) -> dict[str, ChangeIdea]:
        return {idea.id: idea for idea in self.change_ideas()}

    @cached_property
    def standard_of_change_idea(self) -> dict[str, Standard]:
        return {c.id: s for s in self.standards() for c in s.change_ideas}

    def dimension_target(self, dimension: Dimension) -> Number:
        return dimension.target if dimension.target is not None else self.target

    def standard_target(self, standard: Standard) -> Number:
        if standard.target is not None:
            return standard.target
        return self.dimension_target(self.dimension_of_standard[standard.id])

    @property
    def key(self) -> str:
        """`id@version`, how a self-study names its rubric."""
        return f"{self.id}@{self.version}"


def is_rubric_id(text: str) -> bool:
    """Whether `text` could be a rubric's id: a short slug, so never a path, a URL or a name
    with hidden characters. Ids read from self-studies and sheet copies are checked with it."""
    return len(text) <= RUBRIC_ID_MAX_LENGTH and re.fullmatch(RUBRIC_ID_PATTERN, text) is not None


def rubric_json_schema() -> dict[str, Any]:
    schema = Rubric.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "selfstudy rubric (format version 1)"
    return schema
