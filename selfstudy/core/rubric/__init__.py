"""The rubric: its model (`model`), the rules that span several nodes (`checks`),
and reading one from YAML text (`parse`)."""

from selfstudy.core.rubric.model import (
    NA,
    Dimension,
    Item,
    ItemType,
    Level,
    Number,
    Resource,
    Rubric,
    Scale,
    ShowIf,
    Standard,
    is_rubric_id,
    rubric_json_schema,
)

__all__ = [
    "NA",
    "Dimension",
    "Item",
    "ItemType",
    "Level",
    "Number",
    "Resource",
    "Rubric",
    "Scale",
    "ShowIf",
    "Standard",
    "is_rubric_id",
    "rubric_json_schema",
]
