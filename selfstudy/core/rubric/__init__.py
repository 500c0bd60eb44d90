"""The rubric: its model (`model`), the rules that span several nodes (`checks`),
and reading one from YAML text (`parse`)."""

from selfstudy.core.rubric.model import (
    MAX_ID_LENGTH,
    NA,
    Dimension,
    Id,
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
    "MAX_ID_LENGTH",
    "NA",
    "Dimension",
    "Id",
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
